/**
 * Renderer entry: asks the StratusApi for the status, renders it, and
 * re-renders on every change. The API is `window.stratus` in the app (the
 * preload's bridge) or, on the status page of `stratus watch --ui`, the
 * WebSocket transport to the server the page came from. The page has no other
 * way to reach the engine.
 */
import type { StratusApi } from '../shared/StratusApi.js';
import { renderDisconnected, renderStatus } from './statusView.js';
import { connectWebSocketApi } from './webSocketApi.js';

async function start(): Promise<void> {
  const root = document.getElementById('status');
  if (root === null) throw new Error('Stratus: #status element missing from index.html');
  let api: StratusApi;
  if (window.stratus !== undefined) {
    api = window.stratus;
  } else {
    const web = connectWebSocketApi(window.location);
    web.onDidDisconnect(() => renderDisconnected(root));
    api = web;
  }
  api.onDidChangeStatus((status) => renderStatus(root, status));
  renderStatus(root, await api.getStatus());
}

void start();
