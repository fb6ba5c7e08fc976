// Runs `stratus watch --json` as a child process and follows its event stream (one
// JSON object per line: started, run, state; see src/cli/commands/watch.ts). Keeps
// per-client figures (runs and their counts, offline/error spells, stderr lines) and
// stops the process by its pid.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const COUNTS = ['uploaded', 'downloaded', 'deletedLocal', 'deletedRemote', 'moved', 'conflicts', 'errors'];

/**
 * @param {{ repoRoot: string, name: string, args: string[], env: Record<string,string>, logFile: string }} o
 */
export function startWatch(o) {
  const child = spawn(process.execPath, [join(o.repoRoot, 'bin/stratus.js'), 'watch', '--json', ...o.args], {
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = createWriteStream(o.logFile);
  const waiters = new Set();
  const stats = {
    runs: 0,
    stoppedRuns: 0,
    totals: Object.fromEntries(COUNTS.map((k) => [k, 0])),
    states: {},
    stderrLines: 0,
    lastStderr: [],
    lastRunAt: 0,
    lastEventAt: 0,
    state: 'starting',
  };
  const events = [];
  let exit;
  const exited = new Promise((resolve) => child.on('close', (code, signal) => {
    exit = { code, signal };
    resolve(exit);
  }));

  createInterface({ input: child.stdout }).on('line', (line) => {
    const now = Date.now();
    log.write(`${new Date(now).toISOString()} out ${line}\n`);
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    ev.receivedAt = now;
    ev.receivedPerf = performance.now();
    events.push(ev);
    stats.lastEventAt = now;
    if (ev.event === 'run') {
      stats.runs++;
      stats.lastRunAt = now;
      if (ev.stopped !== undefined) stats.stoppedRuns++;
      for (const k of COUNTS) stats.totals[k] += ev[k] ?? 0;
      // A state event (offline, error) follows the run event when the run ended that way.
      stats.state = ev.stopped === undefined ? 'idle' : 'error';
    } else if (ev.event === 'state') {
      stats.states[ev.state] = (stats.states[ev.state] ?? 0) + 1;
      stats.state = ev.state;
      if (ev.error !== undefined) stats.lastError = ev.error;
    }
    for (const w of [...waiters]) {
      if (w.test(ev)) {
        waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve(ev);
      }
    }
  });
  createInterface({ input: child.stderr }).on('line', (line) => {
    log.write(`${new Date().toISOString()} err ${line}\n`);
    stats.stderrLines++;
    stats.lastStderr.push(line);
    if (stats.lastStderr.length > 20) stats.lastStderr.shift();
  });

  return {
    name: o.name,
    pid: child.pid,
    stats,
    events,
    exited,
    get running() {
      return exit === undefined;
    },
    /** The next event (after now) for which `test` holds. */
    next(test, timeoutMs, what) {
      return new Promise((resolve, reject) => {
        const w = { test, resolve };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${o.name}: no ${what} within ${Math.round(timeoutMs / 1000)} s${exit ? ` (the process exited: ${JSON.stringify(exit)})` : ''}`));
        }, timeoutMs);
        waiters.add(w);
        exited.then(() => {
          if (!waiters.has(w)) return;
          waiters.delete(w);
          clearTimeout(w.timer);
          reject(new Error(`${o.name} exited (${JSON.stringify(exit)}) while waiting for ${what}; last stderr: ${stats.lastStderr.slice(-3).join(' | ')}`));
        });
      });
    },
    /** SIGINT (Ctrl-C, a clean stop), then SIGKILL after `graceMs`; resolves with how it ended. */
    async stop(graceMs = 20_000) {
      if (exit !== undefined) return { ...exit, forced: false };
      process.kill(child.pid, 'SIGINT');
      const timeout = new Promise((resolve) => setTimeout(() => resolve('timeout'), graceMs).unref());
      if ((await Promise.race([exited, timeout])) === 'timeout') {
        process.kill(child.pid, 'SIGKILL');
        const e = await exited;
        log.end();
        return { ...e, forced: true };
      }
      log.end();
      return { ...exit, forced: false };
    },
    killSync() {
      if (exit === undefined) {
        try {
          process.kill(child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    },
  };
}
