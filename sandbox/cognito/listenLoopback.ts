/**
 * Starts an HTTP server on a loopback address and returns its port and a close
 * function that also drops idle keep-alive connections (so tests end promptly).
 *
 * When the server is reached as `localhost`, browsers may try `::1` before
 * `127.0.0.1`; `alsoIpv6` binds the same port on `::1` as a best effort.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface LoopbackServer {
  readonly port: number;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function listenLoopback(
  handler: RequestHandler,
  options: { host: string; port: number; alsoIpv6: boolean },
): Promise<LoopbackServer> {
  const primary = createServer(handler);
  const port = await listen(primary, options.host, options.port);
  const servers = [primary];
  if (options.alsoIpv6 && options.host === '127.0.0.1') {
    const secondary = createServer(handler);
    try {
      await listen(secondary, '::1', port);
      servers.push(secondary);
    } catch {
      // No IPv6 loopback here, or the port is taken there: browsers fall back to 127.0.0.1.
    }
  }
  return {
    port,
    close: async () => {
      await Promise.all(servers.map(closeServer));
    },
  };
}
