/**
 * The app's wiring without Electron, against a real engine: AppController →
 * EngineSupervisor → the engine process (a forked Node process, the tests'
 * stand-in for the utilityProcess) → the sandbox's S3. The first run chooses
 * a folder that holds a file (merged after the question), the first sync
 * uploads it, and the status the window would get says Up to date, can open
 * files, and "done". In cognito mode the engine gets the account's prefix
 * and the credentials main holds (here the sandbox's admin key stands in for
 * identity-pool credentials).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppController, type AccountPort, type AppDialogs, type SignedInAccount } from '../../src/main/AppController.js';
import { SettingsStore } from '../../src/main/settings/SettingsStore.js';
import { StatusService } from '../../src/main/StatusService.js';
import { EngineSupervisor } from '../../src/engine/host/EngineSupervisor.js';
import type { StratusConfig } from '../../src/shared/StratusConfig.js';
import { startCliSandbox, type CliSandbox } from '../cli/cliSandbox.js';
import { forkedEngineChild } from '../support/forkedEngineChild.js';
import { until } from '../support/until.js';

let world: CliSandbox;

beforeAll(async () => {
  world = await startCliSandbox('app-controller');
});

afterAll(async () => {
  await world.dispose();
});

const dialogs = (told: string[]): AppDialogs => ({
  pickFolder: () => Promise.resolve(undefined),
  confirmMerge: () => Promise.resolve(false),
  tellFirstRunDone: (message) => told.push(message),
});

function memorySettings(): SettingsStore {
  let stored: unknown = {};
  return new SettingsStore({ read: () => stored, write: (r) => { stored = r; } });
}

async function keys(prefix: string): Promise<string[]> {
  const listed = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).filter((k) => !k.startsWith('.stratus/')).sort();
}

describe('AppController with a real engine process', () => {
  it('runs the first run in aws mode: merge a folder with a file, first sync, done', async () => {
    const { info } = world.sandbox;
    const connection: StratusConfig = { version: 1, auth: 'aws', region: info.region, bucket: info.bucket, endpoint: info.s3Endpoint, forcePathStyle: true, prefix: 'app-aws/' };
    const folder = join(world.scratch, 'aws-folder');
    await mkdir(folder);
    await writeFile(join(folder, 'notes.txt'), 'kept and uploaded');
    const status = new StatusService();
    const told: string[] = [];
    const controller = new AppController({
      connection, noConnectionMessage: 'none', settings: memorySettings(), status, dialogs: dialogs(told), home: world.scratch, machine: 'test',
      // The engine process gets the sandbox's admin key through its environment (the SDK chain of auth "aws").
      createEngine: (settings) => new EngineSupervisor({ spawn: () => forkedEngineChild({ ...process.env, ...world.env }), settings: { ...settings, debounceMs: 200, pollMs: 500 } }),
    });
    try {
      await controller.start();
      expect(status.current.setup?.step).toBe('choose-folder');
      const asked = await controller.run({ type: 'choose-folder', path: folder });
      expect(asked.confirm).toMatch(/already holds 1 item/);
      expect(await controller.run({ type: 'choose-folder', path: folder, merge: true })).toEqual({ ok: true });
      await until(() => status.current.setup?.step === 'done', 60_000, 'the first sync to finish');
      expect(status.current).toMatchObject({ sync: 'up-to-date', canOpenFiles: true, folder });
      expect(told).toHaveLength(1);
      expect(await keys('app-aws/')).toEqual(['notes.txt']);
    } finally {
      await controller.stop();
      controller.dispose();
    }
  }, 90_000);

  it('starts the engine on the account\'s prefix with the credentials main holds (cognito mode)', async () => {
    const { info } = world.sandbox;
    const connection: StratusConfig = { ...info.stratusConfig, endpoint: info.s3Endpoint, forcePathStyle: true };
    const account: SignedInAccount = {
      user: 'ada@example.com', identityId: 'us-east-1:app-test', prefix: 'us-east-1:app-test/',
      credentials: () => Promise.resolve({ accessKeyId: info.adminAccessKeyId, secretAccessKey: info.adminSecretAccessKey, expiration: new Date(Date.now() + 3_600_000).toISOString() }),
      signOut: () => Promise.resolve(),
    };
    const port: AccountPort = { restore: () => Promise.resolve({ kind: 'signed-in', account }), signIn: () => Promise.resolve(account), cancelSignIn: () => undefined };
    const folder = join(world.scratch, 'cognito-folder');
    const status = new StatusService();
    const controller = new AppController({
      connection, noConnectionMessage: 'none', settings: memorySettings(), account: port, status, dialogs: dialogs([]), home: world.scratch, machine: 'test',
      // No AWS key in the environment: the only credentials are the ones main sends.
      createEngine: (settings) => new EngineSupervisor({
        spawn: () => forkedEngineChild({ ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' }),
        settings: { ...settings, debounceMs: 200, pollMs: 500 },
      }),
    });
    try {
      await controller.start();
      expect(await controller.run({ type: 'choose-folder', path: folder })).toEqual({ ok: true });
      await writeFile(join(folder, 'from-ada.txt'), 'hello');
      await until(async () => (await keys('us-east-1:app-test/')).includes('from-ada.txt'), 60_000, 'the upload under the identity prefix');
      await until(() => status.current.sync === 'up-to-date', 30_000, 'up to date');
      expect(status.current).toMatchObject({ auth: 'signed-in', account: 'ada@example.com', canOpenFiles: true });
      expect(status.current.location).toMatchObject({ prefix: 'us-east-1:app-test/', user: 'ada@example.com', identityId: 'us-east-1:app-test' });
    } finally {
      await controller.stop();
      controller.dispose();
    }
  }, 90_000);
});
