/**
 * Serves the built renderer on a free loopback port with the same asset rules
 * and CSP header the Electron app protocol uses (src/engine/ui/rendererAssets.ts).
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolveAppAsset } from '../../src/engine/ui/rendererAssets.js';

export interface StaticServer {
  readonly url: string;
  close(): Promise<void>;
}

export async function serveRenderer(rootDir: string): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const asset = resolveAppAsset(rootDir, path);
    if (!asset.ok) {
      res.writeHead(asset.status).end('Not found');
      return;
    }
    readFile(asset.filePath).then(
      (body) => res.writeHead(200, asset.headers).end(body),
      () => res.writeHead(404).end('Not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
