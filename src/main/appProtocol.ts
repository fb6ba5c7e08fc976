/**
 * Serves the built renderer on `stratus-app://app/…` instead of `file://`, so the
 * page has a real origin (IPC senders can be checked against it) and every
 * response carries the strict CSP from src/engine/ui/rendererAssets.ts.
 */
import { readFile } from 'node:fs/promises';
import { protocol } from 'electron';
import type { Disposable } from '../core/Emitter.js';
import { APP_HOST, APP_SCHEME, resolveAppAsset } from '../engine/ui/rendererAssets.js';

/** Must run before `app` is ready (Electron's rule for privileged schemes). */
export function registerAppSchemeAsPrivileged(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

export function handleAppProtocol(rendererDir: string): Disposable {
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    if (url.host !== APP_HOST) return new Response('Not found', { status: 404 });
    const asset = resolveAppAsset(rendererDir, url.pathname);
    if (!asset.ok) return new Response('Not found', { status: asset.status });
    try {
      return new Response(await readFile(asset.filePath), { headers: asset.headers });
    } catch {
      return new Response('Not found', { status: 404 });
    }
  });
  return { dispose: () => protocol.unhandle(APP_SCHEME) };
}
