/**
 * The engine process as an Electron utilityProcess (plain Node, crash-isolated
 * from the UI; ARCHITECTURE.md "Where things run in Electron"), behind the
 * EngineChild interface the supervisor uses. Type-checked here; run by the
 * _electron suite where an Electron binary exists.
 */
import { utilityProcess } from 'electron';
import type { EngineChild } from '../engine/host/EngineSupervisor.js';

/** `modulePath`: the built engineProcessMain (out/main/engineProcess.js). */
export function utilityEngineChild(modulePath: string): EngineChild {
  const child = utilityProcess.fork(modulePath, [], { serviceName: 'Stratus sync engine', stdio: 'inherit' });
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
