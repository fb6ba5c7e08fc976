/** Loopback ports for tests. */
import { createServer } from 'node:net';

/**
 * A port that was free a moment ago: bind port 0 on 127.0.0.1, read the port,
 * let it go. Nothing listens there afterwards (until someone binds it).
 */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise<void>((done) => server.close(() => done()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
