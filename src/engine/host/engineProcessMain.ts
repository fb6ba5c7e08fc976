/**
 * Entry point of the engine process: `utilityProcess.fork(<this file built>)`
 * in the app, `child_process.fork(out/tsc/src/engine/host/engineProcessMain.js)`
 * in the tests. Everything is in engineProcess.ts.
 */
import { connectPort, serveEngine } from './engineProcess.js';

serveEngine(connectPort());
