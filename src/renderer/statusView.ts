/**
 * Renders a `StatusSnapshot` into the status card. DOM only, text via
 * textContent (never innerHTML), so nothing in a status can inject markup.
 */
import type { StatusSnapshot } from '../shared/StratusApi.js';

interface StatusText {
  readonly title: string;
  readonly detail: string;
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
  const folder = status.folder ?? 'your folder';
  switch (status.sync) {
    case 'idle':
      return { title: 'Up to date', detail: `${folder} is in sync.` };
    case 'syncing':
      return { title: 'Syncing…', detail: `Bringing ${folder} up to date.` };
    case 'paused':
      return { title: 'Paused', detail: 'Sync is paused. Changes are kept and sent when you resume.' };
    case 'offline':
      return { title: 'Offline', detail: 'Waiting for the network. Sync resumes by itself.' };
    case 'error':
      return { title: 'Needs attention', detail: 'Sync stopped. See the message below.' };
  }
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
