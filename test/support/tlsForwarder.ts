/**
 * A TLS-terminating forwarder for tests: listens with TLS on a loopback port
 * (the given key and certificate, e.g. from a throwaway test CA) and pipes
 * each connection's plaintext to an http server, such as a sandbox port. The
 * sandbox needs no change to be served over TLS this way; requests arrive
 * with the Host header the client used (`127.0.0.1:<tls port>`), which is
 * what SigV4 signed.
 *
 * Emits `connections`: how many TLS handshakes completed (a failed certificate
 * check on the client side leaves it unchanged).
 */
import { connect, type Socket } from 'node:net';
import { createServer, type TLSSocket } from 'node:tls';

export interface TlsForwarderOptions {
  /** PEM private key and certificate (chain) to present. */
  readonly key: string;
  readonly cert: string;
  /** The plaintext server. */
  readonly targetPort: number;
  /** @default '127.0.0.1' */
  readonly targetHost?: string;
  /** Listen address. @default '127.0.0.1' */
  readonly host?: string;
}

export interface TlsForwarder {
  readonly port: number;
  /** `https://127.0.0.1:<port>` */
  readonly url: string;
  /** Completed TLS handshakes so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startTlsForwarder(options: TlsForwarderOptions): Promise<TlsForwarder> {
  const host = options.host ?? '127.0.0.1';
  const open = new Set<Socket>();
  let connections = 0;
  const server = createServer({ key: options.key, cert: options.cert }, (client: TLSSocket) => {
    connections++;
    const upstream = connect(options.targetPort, options.targetHost ?? '127.0.0.1');
    open.add(client);
    open.add(upstream);
    const drop = (): void => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  // A client that refuses the certificate aborts the handshake: expected in these tests, not a failure of the forwarder.
  server.on('tlsClientError', () => undefined);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the TLS forwarder has no port');
  return {
    port: address.port,
    url: `https://${host}:${address.port}`,
    get connections() {
      return connections;
    },
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
