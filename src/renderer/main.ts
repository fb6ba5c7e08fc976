/**
 * Renderer entry: asks the StratusApi for the status, renders it, and
 * re-renders on every change. The API is `window.stratus` in the app (the
 * preload's bridge) or, on the status page of `stratus watch --ui`, the
 * WebSocket transport to the server the page came from. The page has no other
 * way to reach the engine: every button sends a StratusCommand through
 * `api.run`, and a refusal is shown in plain words.
 */
import type { StatusSnapshot, StratusApi, StratusCommand } from '../shared/StratusApi.js';
import { bindControls, documentTitle, renderAccount, renderAttention, renderControls, renderProgress, renderRail } from './panels.js';
import { renderActivity, renderDisconnected, renderStatus } from './statusView.js';
import { connectWebSocketApi } from './webSocketApi.js';

function bindTabs(doc: Document): void {
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
  const run = (command: StratusCommand): void => {
    showNotice(undefined);
    api.run(command).then(
      (result) => {
        if (!result.ok) showNotice(result.message ?? 'Stratus could not do that.');
      },
      (err: unknown) => showNotice(err instanceof Error ? err.message : String(err)),
    );
  };
  const render = (status: StatusSnapshot): void => {
    doc.title = documentTitle(status);
    renderStatus(root, status);
    renderProgress(doc, status);
    renderControls(doc, status);
    renderRail(doc, status, run);
    renderAttention(doc, status, run);
    renderActivity(doc, status, run);
    renderAccount(doc, status);
  };
  bindTabs(doc);
  bindControls(doc, run);
  api.onDidChangeStatus(render);
  render(await api.getStatus());
}

void start();
