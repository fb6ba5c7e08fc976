/**
 * Renderer entry: asks the StratusApi for the status, renders it, and
 * re-renders on every change. The API is `window.stratus` in the app (the
 * preload's bridge) or, on the status page of `stratus watch --ui`, the
 * WebSocket transport to the server the page came from. The page has no other
 * way to reach the engine: every button sends a StratusCommand through
 * `api.run`, and a refusal is shown in plain words.
 */
import type { CommandResult, StatusSnapshot, StratusApi, StratusCommand } from '../shared/StratusApi.js';
import { bindControls, documentTitle, renderAccount, renderAttention, renderControls, renderProgress, renderRail } from './panels.js';
import { renderSettings } from './settingsView.js';
import { renderSetup } from './setupView.js';
import { renderActivity, renderDisconnected, renderStatus } from './statusView.js';
import { connectWebSocketApi } from './webSocketApi.js';

function bindTabs(doc: Document, onShow: (screen: string) => void): void {
  const tabs = Array.from(doc.querySelectorAll<HTMLButtonElement>('.tab'));
  for (const tab of tabs) {
    tab.addEventListener('click', () => {
      for (const other of tabs) {
        const selected = other === tab;
        if (selected) other.setAttribute('aria-current', 'page');
        else other.removeAttribute('aria-current');
        const screen = doc.getElementById(other.dataset['screen'] ?? '');
        if (screen !== null) screen.hidden = !selected;
      }
      onShow(tab.dataset['screen'] ?? '');
    });
  }
}

async function start(): Promise<void> {
  const doc = document;
  const root = doc.getElementById('status');
  if (root === null) throw new Error('Stratus: #status element missing from index.html');
  let api: StratusApi;
  if (window.stratus !== undefined) {
    api = window.stratus;
  } else {
    const web = connectWebSocketApi(window.location);
    web.onDidDisconnect(() => {
      renderDisconnected(root);
      const controls = doc.getElementById('controls');
      if (controls !== null) controls.hidden = true;
    });
    api = web;
  }
  const notice = doc.getElementById('notice');
  const showNotice = (text: string | undefined): void => {
    if (notice === null) return;
    notice.hidden = text === undefined;
    notice.textContent = text ?? '';
  };
  /** Sends a command; a refusal is shown in words (a question to confirm is left to the caller). */
  const ask = async (command: StratusCommand): Promise<CommandResult | undefined> => {
    showNotice(undefined);
    try {
      const result = await api.run(command);
      if (!result.ok && result.confirm === undefined) showNotice(result.message ?? 'Stratus could not do that.');
      return result;
    } catch (err) {
      showNotice(err instanceof Error ? err.message : String(err));
      return undefined;
    }
  };
  const run = (command: StratusCommand): void => void ask(command);
  const render = (status: StatusSnapshot): void => {
    doc.title = documentTitle(status);
    renderStatus(root, status);
    // While the first run asks something, nothing else is shown: there is nothing to control yet.
    const asking = renderSetup(doc, status, ask);
    const shown = asking ? { ...status, auth: 'signed-out' as const, recent: [], attention: [] } : status;
    renderProgress(doc, shown);
    renderControls(doc, shown);
    renderRail(doc, shown, run);
    renderAttention(doc, shown, run);
    renderActivity(doc, shown, run);
    renderAccount(doc, status);
  };
  bindTabs(doc, (screen) => {
    // Read when shown, so the screen always says what is in effect now.
    if (screen === 'screen-settings') void renderSettings(doc, { getSettings: () => api.getSettings(), previewIgnore: (text) => api.previewIgnore(text), ask });
  });
  bindControls(doc, run);
  api.onDidChangeStatus(render);
  render(await api.getStatus());
}

void start();
