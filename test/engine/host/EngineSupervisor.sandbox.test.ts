/**
 * The engine process and its supervisor (issue 8, "Engine host"): a real
 * engine in a forked Node process (the stand-in for the app's utilityProcess)
 * syncing with the sandbox; killed with SIGKILL in the middle of a sync, it is
 * restarted, the UI is told, and the folder converges with nothing lost.
 */
import { randomFillSync } from 'node:crypto';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSupervisor } from '../../../src/engine/host/EngineSupervisor.js';
import type { StatusSnapshot } from '../../../src/shared/StratusApi.js';
import { startCliSandbox, type CliSandbox } from '../../cli/cliSandbox.js';
import { forkedEngineChild } from '../../support/forkedEngineChild.js';
import { until } from '../../support/until.js';

let world: CliSandbox;

beforeAll(async () => {
  world = await startCliSandbox('host');
});

afterAll(async () => {
  await world.dispose();
});


describe('engine process supervised', () => {
  it('restarts an engine process killed mid-sync, says so, and converges with nothing lost', async () => {
    const { sandbox, scratch, admin } = world;
    const folder = await mkdtemp(join(scratch, 'folder-'));
    const prefix = 'host-test/';
    for (let i = 0; i < 40; i += 1) await writeFile(join(folder, `file-${i}.txt`), `content ${i}`);
    // Big enough to be in flight when the process dies.
    await writeFile(join(folder, 'big.bin'), randomFillSync(Buffer.alloc(96 * 1024 * 1024)));
    const supervisor = new EngineSupervisor({
      spawn: () => forkedEngineChild(),
      settings: {
        folder, bucket: sandbox.info.bucket, region: sandbox.info.region, endpoint: sandbox.info.s3Endpoint, prefix,
        credentials: { accessKeyId: sandbox.info.adminAccessKeyId, secretAccessKey: sandbox.info.adminSecretAccessKey },
        debounceMs: 200, pollMs: 500,
      },
      initialBackoffMs: 200,
    });
    const seen: StatusSnapshot[] = [];
    supervisor.onDidChangeStatus((s) => seen.push(s));
    supervisor.start();
    try {
      await until(() => seen.some((s) => s.sync === 'syncing'), 20_000, 'the first sync to start transferring');
      const firstPid = supervisor.pid;
      expect(firstPid).toBeDefined();
      process.kill(firstPid ?? 0, 'SIGKILL');
      await until(() => supervisor.restarts === 1, 10_000, 'the restart');
      expect(seen.some((s) => /stopped unexpectedly and is being restarted \(1 time so far\)\. Nothing is lost\./.test(s.message ?? ''))).toBe(true);
      await until(() => supervisor.pid !== undefined && supervisor.pid !== firstPid, 10_000, 'a new process');
      await until(() => supervisor.current.sync === 'up-to-date', 60_000, 'up to date after the restart');

      const listed = await admin.send(new ListObjectsV2Command({ Bucket: sandbox.info.bucket, Prefix: prefix }));
      const remote = (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/')).sort();
      const local = (await readdir(folder)).filter((n) => n !== '.stratus').sort();
      expect(remote).toEqual(local);
      expect(local).toHaveLength(41);
      expect(local.filter((n) => n.includes('.stratus-tmp-'))).toEqual([]);
    } finally {
      await supervisor.stop();
    }
    expect(supervisor.pid).toBeUndefined();
  }, 120_000);

  it('does not restart an engine that cannot work with its settings, and says why', async () => {
    const supervisor = new EngineSupervisor({
      spawn: () => forkedEngineChild(),
      settings: { folder: join(world.scratch, 'no-such-folder'), bucket: 'b', region: 'us-east-1', endpoint: world.sandbox.info.s3Endpoint, prefix: 'p/' },
      initialBackoffMs: 50,
    });
    const seen: StatusSnapshot[] = [];
    supervisor.onDidChangeStatus((s) => seen.push(s));
    supervisor.start();
    await until(() => seen.some((s) => s.sync === 'needs-attention'), 10_000, 'the fatal status');
    await until(() => supervisor.pid === undefined, 10_000, 'the process to exit');
    await new Promise((r) => setTimeout(r, 500));
    expect(supervisor.restarts).toBe(0);
    expect(supervisor.current.message).toMatch(/no-such-folder/);
    await supervisor.stop();
  });
});
