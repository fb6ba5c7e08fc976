/**
 * Renders a `StatusSnapshot` into the status card. DOM only, text via
 * textContent (never innerHTML), so nothing in a status can inject markup.
 */
import { ACTIVITY_LABELS, SYNC_STATE_LABELS, type ActivityEntry, type StatusSnapshot, type StratusCommand } from '../shared/StratusApi.js';
import { button, el, patchList } from './dom.js';
import { formatTime } from './format.js';

interface StatusText {
  readonly title: string;
  readonly detail: string;
}

/** "3 items wait" / "1 item waits". */
function waiting(count: number | undefined): string {
  if (count === undefined || count === 0) return '';
  return count === 1 ? ' 1 item waits.' : ` ${count} items wait.`;
}

export function describeStatus(status: StatusSnapshot): StatusText {
  if (status.auth === 'signed-out') {
    return {
      title: 'Not signed in',
      detail: 'Sign in to keep a folder on this computer in sync with your cloud storage.',
    };
  }
  if (status.auth === 'signing-in') {
    return { title: 'Signing in…', detail: 'Finish signing in in the window that opened.' };
  }
  if (status.setup?.step === 'choose-folder') {
    return { title: 'Signed in', detail: 'One more step: choose the folder to keep in sync.' };
  }
  const folder = status.folder ?? 'your folder';
  const title = SYNC_STATE_LABELS[status.sync];
  switch (status.sync) {
    case 'checking':
      return { title, detail: `Comparing ${folder} with your cloud storage.` };
    case 'up-to-date':
      return { title, detail: `${folder} is in sync.` };
    case 'syncing':
      return { title, detail: `Bringing ${folder} up to date.${waiting(status.pending)}` };
    case 'paused': {
      const until = status.pausedUntil === undefined ? '' : formatTime(status.pausedUntil);
      return { title, detail: `Sync is paused${until === '' ? ' until you resume' : ` until ${until}`}. Changes are kept and sent when it resumes.` };
    }
    case 'offline':
      return { title, detail: 'Waiting for the network. Sync resumes by itself.' };
    case 'sign-in-required':
      return { title, detail: 'Your sign-in ended. Sign in again; nothing waiting to sync is lost.' };
    case 'needs-attention':
      return { title, detail: `Some items need you.${waiting(status.pending)} See below.` };
    case 'stopped-confirm-deletes':
      return status.rail?.code === 'first-download'
        ? { title: 'Stopped: confirm download', detail: 'The first sync would download a lot to this computer. Confirm to go ahead.' }
        : { title, detail: 'Sync stopped before deleting many files. Confirm, or restore them.' };
  }
}

/** "Last checked 14:02" in the reader's locale and time zone. */
export function describeLastCheck(lastCheckAt: string | undefined, locale?: string): string {
  if (lastCheckAt === undefined) return 'Not checked yet';
  const at = new Date(lastCheckAt);
  if (Number.isNaN(at.getTime())) return 'Not checked yet';
  return `Last checked ${at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' })}`;
}

export function renderStatus(root: HTMLElement, status: StatusSnapshot): void {
  const doc = root.ownerDocument;
  const text = describeStatus(status);

  const title = doc.createElement('p');
  title.className = 'status-title';
  title.id = 'status-title';
  const dot = doc.createElement('span');
  dot.className = 'status-dot';
  dot.setAttribute('aria-hidden', 'true');
  title.append(dot, doc.createTextNode(text.title));

  const detail = doc.createElement('p');
  detail.className = 'status-detail';
  detail.textContent = status.account === undefined ? text.detail : `${status.account} · ${text.detail}`;

  const children: HTMLElement[] = [title, detail];
  if (status.auth === 'signed-in' && status.setup?.step !== 'choose-folder') {
    const checked = doc.createElement('p');
    checked.className = 'status-checked';
    checked.id = 'status-checked';
    checked.textContent = describeLastCheck(status.lastCheckAt);
    children.push(checked);
  }
  if (status.message !== undefined) {
    const message = doc.createElement('p');
    message.className = 'status-message';
    message.setAttribute('role', 'status');
    message.textContent = status.message;
    children.push(message);
  }

  root.dataset['auth'] = status.auth;
  root.dataset['sync'] = status.sync;
  root.setAttribute('aria-busy', 'false');
  root.replaceChildren(...children);
}

/** "Uploaded · 14:02", or "Could not upload: <reason> · 14:02". */
export function describeActivity(entry: ActivityEntry, locale?: string): { readonly what: string; readonly when: string } {
  const at = new Date(entry.at);
  const when = Number.isNaN(at.getTime()) ? '' : at.toLocaleTimeString(locale, { hour: '2-digit', minute: '2-digit' });
  const label = ACTIVITY_LABELS[entry.kind];
  return { what: entry.failed === undefined ? label : `${label} failed: ${entry.failed}`, when };
}

/** The Activity list (outside the live region: a busy sync must not flood a screen reader). */
export function renderActivity(doc: Document, status: StatusSnapshot, run: (command: StratusCommand) => void): void {
  const section = doc.getElementById('activity');
  const list = doc.getElementById('activity-list');
  if (section === null || list === null) return;
  const recent = status.recent ?? [];
  section.hidden = recent.length === 0;
  const canOpen = status.canOpenFiles === true;
  patchList(list, recent, (e) => `${e.at}|${e.kind}|${e.path}`, (e) => JSON.stringify([e, canOpen]), (entry) => {
    const { what, when } = describeActivity(entry);
    const item = el(doc, 'li', { className: entry.failed === undefined ? 'activity-item' : 'activity-item failed' },
      el(doc, 'span', { className: 'activity-path', text: entry.path }),
      el(doc, 'span', { className: 'activity-what', text: when === '' ? what : `${what} · ${when}` }));
    const gone = entry.kind === 'deleted-here' || entry.kind === 'deleted-remotely' || entry.kind === 'folder-deleted';
    if (canOpen && !gone && entry.failed === undefined) {
      item.append(el(doc, 'span', { className: 'actions' },
        button(doc, 'Open', 'open-path', () => run({ type: 'open-path', path: entry.path }), { ariaLabel: `Open: ${entry.path}` }),
        button(doc, 'Show in folder', 'show-in-folder', () => run({ type: 'show-in-folder', path: entry.path }), { ariaLabel: `Show in folder: ${entry.path}` })));
    }
    return item;
  });
}

/** The status page lost its engine (the watch process stopped): say so instead of showing a stale status. */
export function renderDisconnected(root: HTMLElement): void {
  const doc = root.ownerDocument;
  const title = doc.createElement('p');
  title.className = 'status-title';
  title.id = 'status-title';
  title.textContent = 'Not connected';
  const detail = doc.createElement('p');
  detail.className = 'status-detail';
  detail.textContent = 'This page lost its connection to Stratus. If stratus watch was restarted, open the new URL it printed.';
  root.dataset['sync'] = 'disconnected';
  root.setAttribute('aria-busy', 'false');
  root.replaceChildren(title, detail);
}
