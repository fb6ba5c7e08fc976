/**
 * A real HTTP CONNECT proxy for tests: Debian's tinyproxy, started in the
 * foreground (-d) with a generated configuration on a free loopback port,
 * allowing only 127.0.0.1 and CONNECT to the given ports, logging every
 * request to a file the test reads. Stopped by its own PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { freePort } from '../../support/ports.js';

export const TINYPROXY = '/usr/bin/tinyproxy';

export interface Tinyproxy {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** The `CONNECT host:port` targets logged so far, in order. */
  connects(): Promise<string[]>;
  /** The whole log (for failure messages). */
  log(): Promise<string>;
  stop(): Promise<void>;
}

/** Why tinyproxy cannot be used here, or undefined when it can. */
export function tinyproxyUnavailable(): string | undefined {
  return existsSync(TINYPROXY) ? undefined : `${TINYPROXY} is not installed (apt-get install -y --no-install-recommends tinyproxy; .ci/run installs it)`;
}

/** Resolves once `port` accepts a TCP connection (tinyproxy at LogLevel Connect logs nothing when ready). */
async function waitForPort(port: number, child: ChildProcess, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    const text = await readFile(logFile, 'utf8').catch(() => '');
    if (child.exitCode !== null) throw new Error(`tinyproxy exited with ${child.exitCode}: ${text}`);
    if (Date.now() > deadline) throw new Error(`tinyproxy did not listen within ${timeoutMs} ms: ${text}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startTinyproxy(dir: string, connectPorts: readonly number[]): Promise<Tinyproxy> {
  const port = await freePort();
  const logFile = join(dir, 'tinyproxy.log');
  const config = join(dir, 'tinyproxy.conf');
  await writeFile(config, [
    `Port ${port}`,
    'Listen 127.0.0.1',
    'Timeout 30',
    `LogFile "${logFile}"`,
    // Connect level logs each request line ("CONNECT 127.0.0.1:8443 HTTP/1.1").
    'LogLevel Connect',
    'MaxClients 50',
    'Allow 127.0.0.1',
    ...connectPorts.map((p) => `ConnectPort ${p}`),
    'DisableViaHeader Yes',
    '',
  ].join('\n'));
  // Hermetic: no proxy or CA variables from this machine reach the child.
  const child = spawn(TINYPROXY, ['-d', '-c', config], { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' }, stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.once('error', () => resolve());
  });
  try {
    await waitForPort(port, child, logFile, 10_000);
  } catch (err) {
    if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
    throw err;
  }
  const log = (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    log,
    async connects() {
      return [...(await log()).matchAll(/Request \(file descriptor \d+\): CONNECT (\S+) HTTP/g)].map((m) => m[1] ?? '');
    },
    async stop() {
      if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGTERM');
      await exited;
    },
  };
}
