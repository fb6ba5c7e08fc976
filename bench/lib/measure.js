// Runs one command under GNU time (`/usr/bin/time -v`) and returns its wall time,
// peak RSS, exit status and captured output. Only one measured command runs at a time.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

export const GNU_TIME = '/usr/bin/time';

/** Throws a message that says how to get GNU time when it is missing. */
export function requireGnuTime() {
  if (!existsSync(GNU_TIME)) {
    throw new Error(
      `${GNU_TIME} (GNU time) is missing; it is needed to measure peak RSS.\n` +
        '  Install it with: sudo apt-get install -y time   (Debian/Ubuntu; the package is called "time")',
    );
  }
}

/**
 * The child currently running. Children start in their own process group (detached), so
 * that killing the group also ends the tool under /usr/bin/time, which would otherwise be
 * orphaned (GNU time does not pass signals on).
 */
let current;
export async function killCurrent() {
  const child = current;
  if (child?.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const closed = new Promise((resolve) => child.once('close', resolve));
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // the group is already gone
  }
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
}

/**
 * @param {string} cmd
 * @param {string[]} args
 * @param {{ env: Record<string,string>, cwd?: string, scratch: string, label: string }} opts
 * @returns {Promise<{ wallS: number, rssKiB: number, code: number, stdout: string, stderr: string, label: string }>}
 */
export function measure(cmd, args, opts) {
  const timeFile = join(opts.scratch, `time-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}.txt`);
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(GNU_TIME, ['-v', '-o', timeFile, cmd, ...args], {
      env: opts.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    current = child;
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => {
      current = undefined;
      reject(e);
    });
    child.on('close', (code, signal) => {
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      current = undefined;
      let report = '';
      try {
        report = readFileSync(timeFile, 'utf8');
        rmSync(timeFile, { force: true });
      } catch {
        // handled below: no report means the command did not run
      }
      const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(report);
      const exit = /Exit status: (\d+)/.exec(report);
      if (signal !== null || rss === null) {
        reject(
          new Error(
            `${opts.label}: ${cmd} did not finish normally (signal ${signal ?? 'none'}, time exit ${code}).\n` +
              `${Buffer.concat(err).toString().slice(-2000)}`,
          ),
        );
        return;
      }
      resolve({
        label: opts.label,
        wallS,
        rssKiB: Number(rss[1]),
        code: exit === null ? (code ?? -1) : Number(exit[1]),
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
      });
    });
  });
}

/** Runs a command without measuring it; resolves with its output, rejects on a non-zero exit. */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', (e) => {
      current = undefined;
      reject(e);
    });
    child.on('close', (code) => {
      current = undefined;
      const stdout = Buffer.concat(out).toString();
      const stderr = Buffer.concat(err).toString();
      if (code !== 0 && !opts.allowFailure) {
        reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${stderr.slice(-2000)}`));
        return;
      }
      resolve({ code, stdout, stderr });
    });
  });
}
