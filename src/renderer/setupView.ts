/**
 * The first-run flow in the status window (issue 8): Sign in → choose the
 * folder → first sync → done. Shown while `status.setup` says so; the normal
 * panels stay hidden until the engine runs. Sign in answers with the hosted
 * UI's address on the status page (a link opens it; the app opens its own
 * login window instead); a folder that is not empty needs one more click
 * ("Merge with the cloud"), after the page says that nothing is deleted.
 */
import type { CommandResult, StatusSnapshot, StratusCommand } from '../shared/StratusApi.js';
import { button, el } from './dom.js';

export type Ask = (command: StratusCommand) => Promise<CommandResult | undefined>;

/** Renders (or hides) #setup; returns whether the first-run flow is asking something, so the caller hides the rest. */
export function renderSetup(doc: Document, status: StatusSnapshot, ask: Ask): boolean {
  const section = doc.getElementById('setup');
  if (section === null) return false;
  const setup = status.setup;
  const step = setup?.step;
  section.hidden = step === undefined;
  if (setup === undefined) {
    section.replaceChildren();
    delete section.dataset['step'];
    return false;
  }
  const signature = `${setup.step}|${status.auth}|${status.folder ?? ''}`;
  if (section.dataset['step'] === signature) return step === 'sign-in' || step === 'choose-folder';
  section.dataset['step'] = signature;
  const machine = setup.machine ?? 'this computer';
  switch (setup.step) {
    case 'sign-in':
      section.replaceChildren(...signInStep(doc, status, machine, ask));
      return true;
    case 'choose-folder':
      section.replaceChildren(...folderStep(doc, setup.suggestedFolder ?? '', machine, status.canOpenFiles === true, ask));
      doc.getElementById('folder-path')?.focus();
      return true;
    case 'first-sync':
      section.replaceChildren(
        el(doc, 'h2', { text: 'First sync', attrs: { id: 'setup-title' } }),
        el(doc, 'p', { text: `Stratus is bringing ${status.folder ?? 'your folder'} and your cloud storage together. Nothing is deleted on either side; you can keep working.` }),
      );
      return false;
    case 'done':
      section.replaceChildren(
        el(doc, 'h2', { text: 'All set', attrs: { id: 'setup-title' } }),
        el(doc, 'p', { text: `Your files are in ${status.folder ?? 'your folder'}. Stratus keeps them in sync from now on; the tray icon (and this window) says whether they are up to date.` }),
      );
      return false;
  }
}

/** The hosted UI's address once Sign in answered: the step may be drawn again (signing-in) and must keep the link. */
const signInAddress = new WeakMap<Document, string>();

function showSignInAnswer(doc: Document, url: string | undefined, focus: boolean): void {
  const result = doc.getElementById('setup-result');
  if (result === null) return;
  if (url === undefined) {
    result.textContent = 'Finish signing in in the window that opened.';
    return;
  }
  // The page cannot open a window once the click is over (the answer comes later); a link always works.
  const link = el(doc, 'a', { text: 'Open the sign-in page', attrs: { href: url, target: '_blank', rel: 'noopener noreferrer', id: 'sign-in-link' } });
  result.replaceChildren('Sign in on the page that opens: ', link, '. This page continues by itself once you are signed in.');
  if (focus) link.focus();
}

function signInStep(doc: Document, status: StatusSnapshot, machine: string, ask: Ask): HTMLElement[] {
  const result = el(doc, 'p', { className: 'setup-result', attrs: { role: 'status', id: 'setup-result' } });
  const start = button(doc, status.auth === 'signing-in' ? 'Sign in again' : 'Sign in', 'sign-in', () => {
    result.replaceChildren();
    void ask({ type: 'sign-in' }).then((answer) => {
      if (answer?.ok !== true) return;
      if (answer.url !== undefined) signInAddress.set(doc, answer.url);
      showSignInAnswer(doc, answer.url, true);
    });
  }, { primary: true });
  const known = signInAddress.get(doc);
  if (status.auth === 'signing-in' && known !== undefined) queueMicrotask(() => showSignInAnswer(doc, known, false));
  return [
    el(doc, 'h2', { text: 'Welcome to Stratus', attrs: { id: 'setup-title' } }),
    el(doc, 'p', { text: `Sign in to keep a folder on ${machine} in sync with your cloud storage.` }),
    ...(status.message === undefined ? [] : [el(doc, 'p', { className: 'setup-problem', text: status.message })]),
    el(doc, 'div', { className: 'actions' }, start),
    result,
  ];
}

function folderStep(doc: Document, suggested: string, machine: string, canPick: boolean, ask: Ask): HTMLElement[] {
  const input = el(doc, 'input', { attrs: { id: 'folder-path', type: 'text', spellcheck: 'false', autocomplete: 'off', 'aria-describedby': 'folder-hint' } });
  input.value = suggested;
  const result = el(doc, 'div', { className: 'setup-result', attrs: { role: 'status', id: 'setup-result' } });
  const choose = (merge: boolean): void => {
    const path = input.value.trim();
    result.replaceChildren();
    const command: StratusCommand = path === '' ? { type: 'choose-folder' } : { type: 'choose-folder', path, ...(merge ? { merge: true } : {}) };
    void ask(command).then((answer) => {
      if (answer === undefined || answer.ok) return;
      if (answer.confirm !== undefined) {
        const merge = button(doc, 'Merge with the cloud', 'merge-folder', () => choose(true), { primary: true });
        result.replaceChildren(
          el(doc, 'p', { text: answer.confirm }),
          el(doc, 'div', { className: 'actions' }, merge, button(doc, 'Choose another folder', 'choose-another', () => {
            result.replaceChildren();
            input.focus();
            input.select();
          })),
        );
        merge.focus();
      }
    });
  };
  const form = el(doc, 'form', { className: 'folder-form', attrs: { id: 'folder-form' } },
    el(doc, 'label', { text: `Folder on ${machine}`, attrs: { for: 'folder-path' } }),
    input,
    el(doc, 'p', { className: 'muted', text: 'A new, empty folder is best. A folder that already holds files is merged with your cloud storage: nothing is deleted.', attrs: { id: 'folder-hint' } }),
    el(doc, 'div', { className: 'actions' },
      el(doc, 'button', { className: 'btn primary', text: 'Use this folder', attrs: { type: 'submit', 'data-action': 'choose-folder' } }),
      ...(canPick ? [button(doc, 'Choose…', 'pick-folder', () => void ask({ type: 'choose-folder' }))] : [])),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    choose(false);
  });
  return [
    el(doc, 'h2', { text: 'Choose the folder to sync', attrs: { id: 'setup-title' } }),
    form,
    result,
  ];
}
