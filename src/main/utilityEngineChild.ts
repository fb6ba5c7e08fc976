/**
 * The engine process as an Electron utilityProcess (plain Node, crash-isolated
 * from the UI; ARCHITECTURE.md "Where things run in Electron"), behind the
 * EngineChild interface the supervisor uses. Type-checked here; run by the
 * _electron suite where an Electron binary exists.
 */
import { utilityProcess } from 'electron';
import type { EngineChild } from '../engine/host/EngineSupervisor.js';

/**
 * `modulePath`: the built engineProcessMain (out/main/engineProcess.js).
 * `onLogLine`: the engine's stderr (JSON log lines, redacted), line by line;
 * without it the engine's output goes to main's.
 */
export function utilityEngineChild(modulePath: string, onLogLine?: (line: string) => void): EngineChild {
  const child = utilityProcess.fork(modulePath, [], { serviceName: 'Stratus sync engine', stdio: onLogLine === undefined ? 'inherit' : ['ignore', 'inherit', 'pipe'] });
  if (onLogLine !== undefined && child.stderr !== null) {
    let partial = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') onLogLine(line);
    });
  }
  return {
    get pid() {
      return child.pid;
    },
    postMessage: (message) => child.postMessage(message),
    onMessage: (listener) => {
      child.on('message', listener);
    },
    onExit: (listener) => {
      child.once('exit', listener);
    },
    kill: () => {
      child.kill();
    },
  };
}
