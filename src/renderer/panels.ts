/**
 * The status window's panels below the status card (issue 8): what is moving
 * now, the controls (Sync now, Pause, Resume), a fired delete rail with
 * Confirm / Restore, "Needs attention" (errors with Retry now, conflicts side
 * by side), and the Account screen. Every action is a StratusCommand sent
 * through `run`; the panels never change anything themselves.
 *
 * Conflicts: the left column is always this computer's version and the right
 * one the cloud's (`here` / `other` in the contract, named in the column
 * headers) — Nextcloud shipped its resolver with the dates swapped (#5840),
 * and a test here proves ours are not.
 */
import { SYNC_STATE_LABELS, type AccountInfo, type AttentionItem, type ConflictVersion, type DeleteRail, type StatusSnapshot, type StratusCommand, type TransferProgress } from '../shared/StratusApi.js';
import { button, el, patchList } from './dom.js';
import { baseName, formatBytes, formatDuration, formatTime } from './format.js';

export type Run = (command: StratusCommand) => void;

/** "Uploading report.pdf and 2 more · 12 of 40 · 120 MiB left · 5.2 MiB/s · about 1 min left". */
export function describeProgress(p: TransferProgress): { readonly moving: string; readonly counts: string } {
  const first = p.current[0];
  const moving = first === undefined ? 'Preparing…' : p.current.length === 1 ? baseName(first) : `${baseName(first)} and ${p.current.length - 1} more`;
  const parts = [`${p.done} of ${p.total} items`];
  if (p.bytesLeft > 0) parts.push(`${formatBytes(p.bytesLeft)} left`);
  if (p.bytesPerSecond !== undefined) parts.push(`${formatBytes(p.bytesPerSecond)}/s`);
  if (p.etaSeconds !== undefined) parts.push(`${formatDuration(p.etaSeconds)} left`);
  return { moving, counts: parts.join(' · ') };
}

export function renderProgress(doc: Document, status: StatusSnapshot): void {
  const section = doc.getElementById('progress');
  if (section === null) return;
  const p = status.sync === 'syncing' ? status.progress : undefined;
  section.hidden = p === undefined;
  if (p === undefined) return;
  const { moving, counts } = describeProgress(p);
  const bar = el(doc, 'progress', { attrs: { max: String(Math.max(1, p.total)), value: String(p.done), 'aria-label': 'Items done in this sync' } });
  const next = p.next ?? [];
  const waiting = p.total - p.done - p.current.length;
  const pending = next.length === 0 ? [] : [el(doc, 'p', { className: 'progress-next', text: `Next: ${next.map(baseName).join(', ')}${waiting > next.length ? ` and ${waiting - next.length} more` : ''}` })];
  section.replaceChildren(
    el(doc, 'p', { className: 'progress-moving', text: moving }),
    bar,
    el(doc, 'p', { className: 'progress-counts', text: counts }),
    ...pending,
  );
}

/** Shows the controls that fit the state; the buttons themselves are static in index.html (focus stays put). */
export function renderControls(doc: Document, status: StatusSnapshot): void {
  const signedIn = status.auth === 'signed-in';
  const paused = status.sync === 'paused';
  const show = (id: string, visible: boolean): void => {
    const node = doc.getElementById(id);
    if (node !== null) node.hidden = !visible;
  };
  show('controls', signedIn);
  show('sync-now', signedIn && !paused && status.sync !== 'sign-in-required');
  show('pause-menu', signedIn && !paused);
  show('resume', signedIn && paused);
}

/** Wires the static controls once. */
export function bindControls(doc: Document, run: Run): void {
  doc.getElementById('sync-now')?.addEventListener('click', () => run({ type: 'sync-now' }));
  doc.getElementById('sign-out')?.addEventListener('click', () => run({ type: 'sign-out' }));
  doc.getElementById('resume')?.addEventListener('click', () => run({ type: 'resume' }));
  const select = doc.getElementById('pause-for');
  const pause = doc.getElementById('pause');
  if (select instanceof HTMLSelectElement && pause !== null) {
    pause.addEventListener('click', () => {
      const minutes = Number(select.value);
      run(minutes > 0 ? { type: 'pause', minutes } : { type: 'pause' });
    });
  }
}

/** "Paused until 14:30" / "Paused until you resume". */
export function describePause(status: StatusSnapshot): string {
  return status.pausedUntil === undefined ? 'Paused until you resume.' : `Paused until ${formatTime(status.pausedUntil)}.`;
}

export function describeRail(rail: DeleteRail): { readonly title: string; readonly confirm: string; readonly restore: string } {
  const files = `${rail.count.toLocaleString()} file${rail.count === 1 ? '' : 's'}`;
  return rail.direction === 'remote'
    ? { title: `${files} deleted on this computer would be deleted in the cloud`, confirm: `Delete ${files} in the cloud`, restore: 'Restore them here' }
    : { title: `${files} missing in the cloud would be deleted on this computer`, confirm: `Delete ${files} here`, restore: 'Upload them again' };
}

export function renderRail(doc: Document, status: StatusSnapshot, run: Run): void {
  const section = doc.getElementById('rail');
  if (section === null) return;
  const rail = status.sync === 'stopped-confirm-deletes' ? status.rail : undefined;
  section.hidden = rail === undefined;
  if (rail === undefined) {
    section.replaceChildren();
    return;
  }
  const signature = JSON.stringify(rail);
  if (section.dataset['sig'] === signature) return;
  section.dataset['sig'] = signature;
  const sample = el(doc, 'ul', { className: 'rail-sample', attrs: { 'aria-label': 'Some of the files' } }, ...rail.sample.map((p) => el(doc, 'li', { text: p })));
  const more = rail.count > rail.sample.length ? [el(doc, 'p', { className: 'muted', text: `…and ${(rail.count - rail.sample.length).toLocaleString()} more.` })] : [];
  if (rail.code === 'first-download') {
    // Nothing was deleted, so there is nothing to restore: Download, or leave it paused until later.
    const files = `${rail.count.toLocaleString()} file${rail.count === 1 ? '' : 's'}`;
    const size = rail.bytes === undefined ? '' : ` (${formatBytes(rail.bytes)})`;
    section.replaceChildren(
      el(doc, 'h2', { text: 'Stopped before downloading', attrs: { id: 'rail-title' } }),
      el(doc, 'p', { className: 'rail-what', text: `The first sync would download ${files}${size} to this computer. Nothing has been transferred.` }),
      sample,
      ...more,
      el(doc, 'div', { className: 'actions' },
        button(doc, `Download ${files}${size}`, 'confirm-download', () => run({ type: 'confirm-download' }), { primary: true }),
        button(doc, 'Pause sync', 'rail-pause', () => run({ type: 'pause' }))),
    );
    return;
  }
  const text = describeRail(rail);
  section.replaceChildren(
    el(doc, 'h2', { text: 'Stopped before deleting', attrs: { id: 'rail-title' } }),
    el(doc, 'p', { className: 'rail-what', text: `${text.title}. Nothing has been deleted.` }),
    sample,
    ...more,
    el(doc, 'div', { className: 'actions' },
      button(doc, text.restore, 'restore-deletes', () => run({ type: 'restore-deletes' }), { primary: true }),
      button(doc, text.confirm, 'confirm-deletes', () => run({ type: 'confirm-deletes' }))),
  );
}

function fileActions(doc: Document, status: StatusSnapshot, path: string, run: Run, label: string): HTMLElement[] {
  if (status.canOpenFiles !== true) return [];
  return [
    button(doc, 'Open', 'open-path', () => run({ type: 'open-path', path }), { ariaLabel: `Open: ${label}` }),
    button(doc, 'Show in folder', 'show-in-folder', () => run({ type: 'show-in-folder', path }), { ariaLabel: `Show in folder: ${label}` }),
  ];
}

function versionColumn(doc: Document, status: StatusSnapshot, heading: string, v: ConflictVersion, side: 'here' | 'other', run: Run): HTMLElement {
  const rows: [string, string][] = [
    ['Name', baseName(v.path)],
    ['Size', formatBytes(v.size)],
    ['Modified', formatTime(v.modifiedAt)],
    ['Device', v.device ?? (side === 'here' ? 'This computer' : 'Unknown')],
  ];
  const list = el(doc, 'dl', { className: 'version-facts' });
  for (const [term, value] of rows) list.append(el(doc, 'dt', { text: term }), el(doc, 'dd', { text: value, attrs: { 'data-fact': term.toLowerCase() } }));
  return el(doc, 'div', { className: 'version', attrs: { 'data-side': side } },
    el(doc, 'h4', { text: heading }), list,
    el(doc, 'div', { className: 'actions' }, ...fileActions(doc, status, v.path, run, `${heading === 'Cloud' ? 'the cloud’s' : 'this computer’s'} version of ${baseName(v.path)}`)));
}

function attentionRow(doc: Document, status: StatusSnapshot, item: AttentionItem, run: Run): HTMLElement {
  const id = `att-${Math.abs(hash(item.kind + item.path))}`;
  if (item.kind === 'error') {
    const when = item.retrying
      ? item.nextAttemptAt === undefined ? 'Stratus tries again by itself.' : `Stratus tries again at ${formatTime(item.nextAttemptAt)}${item.attempts === undefined ? '' : ` (attempt ${item.attempts + 1})`}.`
      : 'Stratus will not try again by itself.';
    return el(doc, 'li', { className: 'attention-item error', attrs: { 'aria-labelledby': `${id}-path` } },
      el(doc, 'h3', { className: 'attention-path', text: item.path, attrs: { id: `${id}-path` } }),
      el(doc, 'p', { className: 'attention-reason', text: item.message, attrs: { id: `${id}-reason` } }),
      el(doc, 'p', { className: 'muted', text: when }),
      el(doc, 'div', { className: 'actions' },
        button(doc, 'Retry now', 'retry-now', () => run({ type: 'retry-now', path: item.path }), { primary: true, ariaLabel: `Retry now: ${item.path}` }),
        ...fileActions(doc, status, item.path, run, item.path),
        button(doc, 'Ignore this file', 'ignore-path', () => run({ type: 'ignore-path', path: item.path }), { ariaLabel: `Ignore this file: ${item.path}` })));
  }
  return el(doc, 'li', { className: 'attention-item conflict', attrs: { 'aria-labelledby': `${id}-path` } },
    el(doc, 'h3', { className: 'attention-path', text: item.path, attrs: { id: `${id}-path` } }),
    el(doc, 'p', { className: 'attention-reason', text: item.message }),
    el(doc, 'div', { className: 'versions' },
      versionColumn(doc, status, 'This computer', item.here, 'here', run),
      versionColumn(doc, status, 'Cloud', item.other, 'other', run)),
    el(doc, 'div', { className: 'actions' },
      button(doc, 'Keep this computer’s', 'keep-here', () => run({ type: 'resolve-conflict', path: item.path, keep: 'here' }), { ariaLabel: `Keep this computer’s: ${item.path}` }),
      button(doc, 'Keep the cloud’s', 'keep-other', () => run({ type: 'resolve-conflict', path: item.path, keep: 'other' }), { ariaLabel: `Keep the cloud’s: ${item.path}` }),
      button(doc, 'Keep both', 'keep-both', () => run({ type: 'resolve-conflict', path: item.path, keep: 'both' }), { primary: true, ariaLabel: `Keep both: ${item.path}` })));
}

/** A small stable string hash for element ids (paths may hold any character). */
function hash(text: string): number {
  let h = 0;
  for (let i = 0; i < text.length; i++) h = (Math.imul(h, 31) + text.charCodeAt(i)) | 0;
  return h;
}

export function renderAttention(doc: Document, status: StatusSnapshot, run: Run): void {
  const section = doc.getElementById('attention');
  const list = doc.getElementById('attention-list');
  if (section === null || list === null) return;
  const items = status.attention ?? [];
  section.hidden = items.length === 0;
  const count = doc.getElementById('attention-count');
  if (count !== null) count.textContent = items.length === 0 ? '' : `(${items.length})`;
  patchList(list, items, (i) => `${i.kind}:${i.path}`, (i) => JSON.stringify([i, status.canOpenFiles]), (i) => attentionRow(doc, status, i, run));
}

export function describeAccount(location: AccountInfo | undefined, account: string | undefined): readonly (readonly [string, string])[] {
  if (location === undefined) return account === undefined ? [] : [['User', account]];
  const rows: [string, string][] = [];
  const user = location.user ?? account;
  if (user !== undefined) rows.push(['User', user]);
  if (location.identityId !== undefined) rows.push(['Identity ID', location.identityId]);
  rows.push(['Bucket', location.bucket], ['Prefix', location.prefix]);
  if (location.endpoint !== undefined) rows.push(['Server', location.endpoint]);
  if (location.usedBytes !== undefined) {
    rows.push(['Storage used', `${formatBytes(location.usedBytes)}${location.usedFiles === undefined ? '' : ` in ${location.usedFiles.toLocaleString()} file${location.usedFiles === 1 ? '' : 's'}`}`]);
  }
  return rows;
}

export function renderAccount(doc: Document, status: StatusSnapshot): void {
  const list = doc.getElementById('account-facts');
  if (list === null) return;
  // Signing out is for a signed-in user (the CLI's aws mode has no account to leave).
  const signOut = doc.getElementById('sign-out');
  if (signOut !== null) signOut.hidden = status.auth !== 'signed-in' || status.account === undefined;
  const rows = describeAccount(status.location, status.account);
  const signature = JSON.stringify(rows);
  if (list.dataset['sig'] === signature) return;
  list.dataset['sig'] = signature;
  list.replaceChildren(...rows.flatMap(([term, value]) => [el(doc, 'dt', { text: term }), el(doc, 'dd', { text: value })]));
  const empty = doc.getElementById('account-empty');
  if (empty !== null) empty.hidden = rows.length > 0;
}

/** The window title follows the state, so the taskbar and a screen reader's window list say it too. */
export function documentTitle(status: StatusSnapshot): string {
  if (status.auth !== 'signed-in') return 'Stratus';
  return `Stratus — ${status.sync === 'stopped-confirm-deletes' && status.rail?.code === 'first-download' ? 'Stopped: confirm download' : SYNC_STATE_LABELS[status.sync]}`;
}
