/**
 * The engine process as a forked Node process: the tests' stand-in for the
 * app's utilityProcess, behind the same EngineChild interface (issue 8: "kill
 * the utilityProcess stand-in mid-sync (in Node, behind the same interface)").
 * Runs the tsc-built entry, so `npm run build` must have run (npm test does).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EngineChild } from '../../src/engine/host/EngineSupervisor.js';

const entry = join(resolve(import.meta.dirname, '../..'), 'out/tsc/src/engine/host/engineProcessMain.js');

export function forkedEngineChild(env: NodeJS.ProcessEnv = process.env): EngineChild {
  if (!existsSync(entry)) throw new Error(`${entry} is missing: run "npm run build" first (npm test does).`);
  const child = fork(entry, [], { env, stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
  // Drained, so the process never blocks on a full pipe; kept quiet (JSON log lines).
  child.stderr?.resume();
  return {
    get pid() {
      return child.pid;
    },
    postMessage: (message) => {
      if (child.connected) child.send(message);
    },
    onMessage: (listener) => {
      child.on('message', listener);
    },
    onExit: (listener) => {
      if (child.exitCode !== null || child.signalCode !== null) listener(child.exitCode);
      else child.once('exit', (code) => listener(code));
    },
    kill: () => {
      child.kill('SIGKILL');
    },
  };
}
