/**
 * The hooks most engine scenario files share: one sandbox S3 backend for the
 * file, a fresh EngineWorld (its own prefix and client folders) for every
 * test, disposed after it. `use` receives both each time a test starts;
 * `beforeDispose` runs after each test before the world goes (stop watchers,
 * clear faults).
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startEngineWorld, type EngineWorld } from '../engine/scenarios/engineWorld.js';
import { startBackend, type S3Backend } from './s3Backends.js';

export function sandboxWorldPerTest(use: (backend: S3Backend, world: EngineWorld) => void, beforeDispose?: (backend: S3Backend) => Promise<void> | void): void {
  let backend: S3Backend | undefined;
  let world: EngineWorld | undefined;
  beforeAll(async () => {
    backend = await startBackend('sandbox');
  });
  afterAll(async () => {
    await backend?.dispose();
  });
  beforeEach(async () => {
    if (backend === undefined) throw new Error('the sandbox backend did not start');
    world = await startEngineWorld(backend);
    use(backend, world);
  });
  afterEach(async () => {
    if (backend !== undefined) await beforeDispose?.(backend);
    await world?.dispose();
  });
}
