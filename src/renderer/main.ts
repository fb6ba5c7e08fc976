/**
 * Renderer entry: asks `window.stratus` for the status, renders it, and
 * re-renders on every change. The page has no other way to reach the app.
 */
import { renderStatus } from './statusView.js';

async function start(): Promise<void> {
  const root = document.getElementById('status');
  if (root === null) throw new Error('Stratus: #status element missing from index.html');
  window.stratus.onDidChangeStatus((status) => renderStatus(root, status));
  renderStatus(root, await window.stratus.getStatus());
}

void start();
