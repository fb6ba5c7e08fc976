/**
 * The StratusApi over the status page's WebSocket (transport 2, issue 8): the
 * same renderer, served by `stratus watch --ui`, talks to the engine through
 * `ws://<this host>/api`. The server authenticated this page by its cookie, so
 * no token is handled here. Every status that arrives is checked with the
 * shared validator before anything renders it.
 *
 * `onDidDisconnect` fires once when the socket closes (the watch process
 * stopped, or the machine went to sleep): the page then says so rather than
 * showing a status that is no longer live.
 */
import type { CommandResult, IgnorePreview, SettingsView, StatusSnapshot, StratusApi } from '../shared/StratusApi.js';
import { isCommandResult, isIgnorePreview, isSettingsView, isStatusSnapshot } from '../shared/validators.js';

export interface WebSocketApi extends StratusApi {
  onDidDisconnect(listener: () => void): void;
}

export function connectWebSocketApi(page: Location): WebSocketApi {
  const url = new URL('/api', page.href);
  url.protocol = page.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url);
  const listeners = new Set<(status: StatusSnapshot) => void>();
  const disconnectListeners: (() => void)[] = [];
  const waiting = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void; valid: (value: unknown) => boolean }>();
  let nextId = 1;
  let closed = false;
  const opened = new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve(), { once: true });
    socket.addEventListener('close', () => reject(new Error('The status page lost its connection to Stratus.')), { once: true });
  });
  opened.catch(() => undefined);

  socket.addEventListener('message', (event: MessageEvent) => {
    let message: unknown;
    try {
      message = JSON.parse(String(event.data));
    } catch {
      return;
    }
    const m = message as { type?: unknown; status?: unknown; id?: unknown; result?: unknown; message?: unknown };
    if (m.type === 'status' && isStatusSnapshot(m.status)) {
      const status = m.status;
      for (const listener of listeners) listener(status);
    } else if (typeof m.id === 'number') {
      const pending = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.type === 'result' && pending?.valid(m.result) === true) pending.resolve(m.result);
      else pending?.reject(new Error(typeof m.message === 'string' ? m.message : 'unexpected answer'));
    }
  });
  socket.addEventListener('close', () => {
    closed = true;
    for (const pending of waiting.values()) pending.reject(new Error('The status page lost its connection to Stratus.'));
    waiting.clear();
    for (const listener of disconnectListeners) listener();
  });

  const call = async <T>(method: string, params: Record<string, unknown>, valid: (value: unknown) => value is T): Promise<T> => {
    await opened;
    if (closed) throw new Error('The status page lost its connection to Stratus.');
    const id = nextId++;
    return new Promise<T>((resolve, reject) => {
      waiting.set(id, { resolve: resolve as (value: unknown) => void, reject, valid });
      socket.send(JSON.stringify({ id, method, ...params }));
    });
  };

  return {
    getStatus: () => call('getStatus', {}, isStatusSnapshot),
    run: (command) => call<CommandResult>('run', { command }, isCommandResult),
    getSettings: () => call<SettingsView>('getSettings', {}, isSettingsView),
    previewIgnore: (text) => call<IgnorePreview>('previewIgnore', { text }, isIgnorePreview),
    onDidChangeStatus(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onDidDisconnect(listener) {
      disconnectListeners.push(listener);
    },
  };
}
