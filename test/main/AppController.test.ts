/**
 * The app's behaviour between settings, account and engine, with fakes for
 * the Electron parts: what starts when, which status the window and tray get
 * (always `canOpenFiles: true`), the first run end to end (sign in → folder →
 * first sync → done), credentials renewed before they expire, sign-out, an
 * unreachable sign-in server, pause on battery and a clean stop.
 */
import { describe, expect, it } from 'vitest';
import { Emitter } from '../../src/core/Emitter.js';
import { AppController, type AccountPort, type AppDialogs, type EngineHandle, type SignedInAccount, type Timers } from '../../src/main/AppController.js';
import type { FolderInspection } from '../../src/main/firstRun.js';
import { SettingsStore } from '../../src/main/settings/SettingsStore.js';
import { StatusService } from '../../src/main/StatusService.js';
import type { EngineCredentials, EngineSettings } from '../../src/shared/EngineProtocol.js';
import type { CommandResult, StatusSnapshot, StratusCommand } from '../../src/shared/StratusApi.js';
import type { StratusConfig } from '../../src/shared/StratusConfig.js';

const cognito: StratusConfig = {
  version: 1, auth: 'cognito', region: 'eu-west-1', bucket: 'stratus-data', endpoint: 'http://127.0.0.1:4566', forcePathStyle: true,
  cognito: { issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/x', clientId: 'c', identityPoolId: 'eu-west-1:1', redirectUri: 'http://localhost:53682/callback' },
};
const aws: StratusConfig = { version: 1, auth: 'aws', region: 'us-east-1', bucket: 'team-bucket', prefix: 'team/ada/' };
const NOW = Date.parse('2026-11-22T10:00:00.000Z');

class FakeEngine implements EngineHandle {
  readonly emitter = new Emitter<StatusSnapshot>();
  readonly onDidChangeStatus = this.emitter.event;
  current: StatusSnapshot;
  started = false;
  stopped = false;
  readonly commands: StratusCommand[] = [];
  readonly credentials: EngineCredentials[] = [];
  constructor(readonly settings: EngineSettings) {
    this.current = { version: 1, auth: 'signed-in', sync: 'checking', folder: settings.folder };
  }
  start(): void {
    this.started = true;
  }
  stop(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }
  run(command: StratusCommand): Promise<CommandResult> {
    this.commands.push(command);
    if (command.type === 'pause') this.emit({ ...this.current, sync: 'paused' });
    return Promise.resolve({ ok: true });
  }
  setCredentials(credentials: EngineCredentials): void {
    this.credentials.push(credentials);
  }
  emit(status: StatusSnapshot): void {
    this.current = status;
    this.emitter.fire(status);
  }
}

class FakeTimers implements Timers {
  readonly pending = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.pending.set(id, { fn, ms });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  /** Runs every timer due now (in order) and returns their delays. */
  fire(): number[] {
    const due = [...this.pending];
    this.pending.clear();
    for (const [, t] of due) t.fn();
    return due.map(([, t]) => t.ms);
  }
}

function credentials(n: number, expiresInMs = 60 * 60_000): EngineCredentials {
  return { accessKeyId: `AK${n}`, secretAccessKey: `S${n}`, sessionToken: `T${n}`, expiration: new Date(NOW + expiresInMs).toISOString() };
}

function fakeAccount(): SignedInAccount & { issued: number; failNext: Error | undefined; signedOut: boolean } {
  const account = {
    user: 'ada@example.com', identityId: 'eu-west-1:abc', prefix: 'eu-west-1:abc/', issued: 0, signedOut: false, failNext: undefined as Error | undefined,
    credentials(): Promise<EngineCredentials> {
      if (account.failNext !== undefined) {
        const err = account.failNext;
        account.failNext = undefined;
        return Promise.reject(err);
      }
      account.issued += 1;
      return Promise.resolve(credentials(account.issued));
    },
    signOut(): Promise<void> {
      account.signedOut = true;
      return Promise.resolve();
    },
  };
  return account;
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function setup(options: { connection?: StratusConfig | undefined; folder?: string; restore?: 'signed-in' | 'signed-out' | 'unreachable'; pauseOnBattery?: boolean; inspections?: Record<string, FolderInspection>; picked?: string; mergeAnswer?: boolean } = {}) {
  let stored: unknown = { ...(options.folder === undefined ? {} : { folder: options.folder }), ...(options.pauseOnBattery === true ? { pauseOnBattery: true } : {}) };
  const settings = new SettingsStore({ read: () => stored, write: (r) => { stored = r; } });
  const status = new StatusService();
  const engines: FakeEngine[] = [];
  const account = fakeAccount();
  const timers = new FakeTimers();
  const told: string[] = [];
  const created: string[] = [];
  const asked: string[] = [];
  let signIns = 0;
  const port: AccountPort = {
    restore: () => Promise.resolve(
      options.restore === 'signed-in' ? { kind: 'signed-in', account }
        : options.restore === 'unreachable' ? { kind: 'unreachable', message: 'The sign-in server cannot be reached; Stratus tries again.' }
          : { kind: 'signed-out' }),
    signIn: () => {
      signIns += 1;
      return Promise.resolve(account);
    },
    cancelSignIn: () => undefined,
  };
  const dialogs: AppDialogs = {
    pickFolder: () => Promise.resolve(options.picked),
    confirmMerge: (question) => {
      asked.push(question);
      return Promise.resolve(options.mergeAnswer ?? true);
    },
    tellFirstRunDone: (message) => told.push(message),
  };
  const controller = new AppController({
    connection: 'connection' in options ? options.connection : cognito,
    noConnectionMessage: 'Put a config file at /u/stratus.json.',
    settings, account: port, status, dialogs, home: '/home/ada', machine: 'ada-laptop', timers, now: () => NOW,
    createEngine: (s) => {
      const engine = new FakeEngine(s);
      engines.push(engine);
      return engine;
    },
    folders: {
      inspect: (folder) => Promise.resolve(options.inspections?.[folder] ?? { kind: 'missing' }),
      create: (folder) => {
        created.push(folder);
        return Promise.resolve();
      },
    },
  });
  return { controller, settings, status, engines, account, timers, told, created, asked, signIns: () => signIns };
}

describe('AppController', () => {
  it('without a connection, says where to put a config file and runs nothing', async () => {
    const { controller, status, engines } = setup({ connection: undefined });
    await controller.start();
    expect(status.current).toEqual({ version: 1, auth: 'signed-out', sync: 'needs-attention', message: 'Put a config file at /u/stratus.json.', canOpenFiles: true });
    expect(await controller.run({ type: 'sync-now' })).toEqual({ ok: false, message: 'Put a config file at /u/stratus.json.' });
    expect(engines).toEqual([]);
  });

  it('in aws mode with a folder, starts the engine on the configured prefix with the SDK chain (no credentials)', async () => {
    const { controller, status, engines } = setup({ connection: aws, folder: '/home/ada/Stratus' });
    await controller.start();
    expect(engines).toHaveLength(1);
    expect(engines[0]?.settings).toEqual({ folder: '/home/ada/Stratus', bucket: 'team-bucket', region: 'us-east-1', prefix: 'team/ada/', maxDeletes: 500, maxDeleteRatio: 0.5 });
    expect(engines[0]?.started).toBe(true);
    engines[0]?.emit({ version: 1, auth: 'signed-in', sync: 'up-to-date', lastCheckAt: '2026-11-22T10:00:00.000Z', folder: '/home/ada/Stratus', canOpenFiles: false });
    expect(status.current).toEqual({ version: 1, auth: 'signed-in', sync: 'up-to-date', lastCheckAt: '2026-11-22T10:00:00.000Z', folder: '/home/ada/Stratus', canOpenFiles: true });
    expect(status.current.setup).toBeUndefined();
  });

  it('runs the first run: sign in, choose the default folder (created), first sync, done with the tray line once', async () => {
    const { controller, status, engines, told, created, settings, signIns } = setup();
    const seen: StatusSnapshot[] = [];
    status.onDidChangeStatus((s) => seen.push(s));
    await controller.start();
    // Before the stored session is read, nothing claims "Sign in required" (no notification at every start).
    expect(seen[0]).toEqual({ version: 1, auth: 'signed-out', sync: 'checking', canOpenFiles: true });
    expect(status.current).toMatchObject({ auth: 'signed-out', sync: 'sign-in-required', canOpenFiles: true, setup: { step: 'sign-in', suggestedFolder: '/home/ada/Stratus', machine: 'ada-laptop' } });
    expect(await controller.run({ type: 'choose-folder', path: '/home/ada/Stratus' })).toEqual({ ok: false, message: 'Sign in first.' });

    expect(await controller.run({ type: 'sign-in' })).toEqual({ ok: true });
    expect(signIns()).toBe(1);
    expect(status.current).toMatchObject({ auth: 'signed-in', account: 'ada@example.com', sync: 'needs-attention', setup: { step: 'choose-folder' } });
    expect(engines).toEqual([]);

    expect(await controller.run({ type: 'choose-folder', path: '/home/ada/Stratus' })).toEqual({ ok: true });
    expect(created).toEqual(['/home/ada/Stratus']);
    expect(settings.current.folder).toBe('/home/ada/Stratus');
    const engine = engines[0];
    expect(engine?.settings).toEqual({
      folder: '/home/ada/Stratus', bucket: 'stratus-data', region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566', forcePathStyle: true,
      prefix: 'eu-west-1:abc/', credentials: { accessKeyId: 'AK1', secretAccessKey: 'S1', sessionToken: 'T1' }, maxDeletes: 500, maxDeleteRatio: 0.5,
    });
    expect(status.current.setup?.step).toBe('first-sync');

    engine?.emit({ version: 1, auth: 'signed-in', sync: 'syncing', progress: { done: 1, total: 4, bytesLeft: 10, current: ['a'] }, location: { bucket: 'stratus-data', prefix: 'eu-west-1:abc/' } });
    expect(status.current).toMatchObject({ sync: 'syncing', setup: { step: 'first-sync' }, location: { user: 'ada@example.com', identityId: 'eu-west-1:abc' } });
    engine?.emit({ version: 1, auth: 'signed-in', sync: 'up-to-date', lastCheckAt: '2026-11-22T10:01:00.000Z' });
    expect(status.current.setup?.step).toBe('done');
    engine?.emit({ version: 1, auth: 'signed-in', sync: 'up-to-date', lastCheckAt: '2026-11-22T10:02:00.000Z' });
    expect(told).toHaveLength(1);
    expect(told[0]).toMatch(/^Stratus lives in the tray/);

    await controller.run({ type: 'sync-now' });
    expect(status.current.setup).toBeUndefined();
    expect(engine?.commands).toEqual([{ type: 'sync-now' }]);
    // No secret ever reaches what the renderer gets: the credentials went to the engine only.
    const published = JSON.stringify(seen);
    for (const secret of ['AK1', 'S1', 'T1']) expect(published).not.toContain(`"${secret}"`);
  });

  it('asks before merging a folder that holds files: confirm in the answer, then merge: true', async () => {
    const { controller, engines } = setup({ restore: 'signed-in', inspections: { '/home/ada/Documents': { kind: 'non-empty', entries: 3 } } });
    await controller.start();
    const first = await controller.run({ type: 'choose-folder', path: '/home/ada/Documents' });
    expect(first.ok).toBe(false);
    expect(first.confirm).toMatch(/already holds 3 items.*nothing is deleted/);
    expect(engines).toEqual([]);
    expect(await controller.run({ type: 'choose-folder', path: '/home/ada/Documents', merge: true })).toEqual({ ok: true });
    expect(engines[0]?.settings.folder).toBe('/home/ada/Documents');
  });

  it('uses the folder picker without a path, and asks the merge question in a dialog', async () => {
    const declined = setup({ restore: 'signed-in', picked: '/home/ada/Old', mergeAnswer: false, inspections: { '/home/ada/Old': { kind: 'non-empty', entries: 1 } } });
    await declined.controller.start();
    expect(await declined.controller.run({ type: 'choose-folder' })).toEqual({ ok: false, message: 'No folder was chosen.' });
    expect(declined.asked).toHaveLength(1);
    expect(declined.engines).toEqual([]);
    const accepted = setup({ restore: 'signed-in', picked: '/home/ada/Old', mergeAnswer: true, inspections: { '/home/ada/Old': { kind: 'non-empty', entries: 1 } } });
    await accepted.controller.start();
    expect(await accepted.controller.run({ type: 'choose-folder' })).toEqual({ ok: true });
    expect(accepted.engines[0]?.settings.folder).toBe('/home/ada/Old');
    const cancelled = setup({ restore: 'signed-in' });
    await cancelled.controller.start();
    expect(await cancelled.controller.run({ type: 'choose-folder' })).toEqual({ ok: false, message: 'No folder was chosen.' });
  });

  it('refuses a folder with the reason and stays at choosing', async () => {
    const { controller, status } = setup({ restore: 'signed-in', inspections: { '/home/ada': { kind: 'refused', reason: 'Not the whole home folder.' } } });
    await controller.start();
    expect(await controller.run({ type: 'choose-folder', path: '/home/ada' })).toEqual({ ok: false, message: 'Not the whole home folder.' });
    expect(status.current.setup?.step).toBe('choose-folder');
  });

  it('renews credentials before they expire and hands them to the engine', async () => {
    const { controller, engines, timers } = setup({ restore: 'signed-in', folder: '/f' });
    await controller.start();
    expect(status(engines)).toBe('started');
    // Expiring in 1 h: fetched again 10 min before.
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([50 * 60_000]);
    timers.fire();
    await flush();
    expect(engines[0]?.credentials).toEqual([credentials(2)]);
    expect(timers.pending.size).toBe(1);
  });

  it('stops syncing and asks to sign in when a renewal finds the session over; retries other failures', async () => {
    const { controller, engines, timers, account, status } = setup({ restore: 'signed-in', folder: '/f' });
    await controller.start();
    account.failNext = Object.assign(new Error('The network is down'), { code: 'sign-in-unreachable' });
    timers.fire();
    await flush();
    expect(engines[0]?.stopped).toBe(false);
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([60_000]);
    account.failNext = Object.assign(new Error('You are signed out (your session expired or was revoked); sign in again.'), { code: 'signed-out' });
    timers.fire();
    await flush();
    expect(engines[0]?.stopped).toBe(true);
    expect(status.current).toMatchObject({ auth: 'signed-out', sync: 'sign-in-required', message: 'You are signed out (your session expired or was revoked); sign in again.', folder: '/f' });
    expect(notificationReady(status.current)).toBe(true);
  });

  it('signs out: stops the engine, revokes the session, and shows Sign in required', async () => {
    const { controller, engines, account, status } = setup({ restore: 'signed-in', folder: '/f' });
    await controller.start();
    expect(await controller.run({ type: 'sign-out' })).toEqual({ ok: true });
    expect(engines[0]?.stopped).toBe(true);
    expect(account.signedOut).toBe(true);
    expect(status.current).toMatchObject({ auth: 'signed-out', sync: 'sign-in-required' });
    expect(await controller.run({ type: 'sync-now' })).toEqual({ ok: false, message: 'Sign in first: syncing starts once you are signed in.' });
  });

  it('shows Offline (not a first run) while the sign-in server cannot be reached, and tries again', async () => {
    const { controller, status, timers, engines } = setup({ restore: 'unreachable', folder: '/f' });
    await controller.start();
    expect(status.current).toMatchObject({ auth: 'signed-out', sync: 'offline', message: 'The sign-in server cannot be reached; Stratus tries again.' });
    expect(status.current.setup).toBeUndefined();
    expect([...timers.pending.values()].map((t) => t.ms)).toEqual([60_000]);
    expect(engines).toEqual([]);
  });

  it('pauses on battery when the setting is on, and resumes on mains only what it paused', async () => {
    const on = setup({ connection: aws, folder: '/f', pauseOnBattery: true });
    await on.controller.start();
    on.controller.powerChanged(true);
    on.controller.powerChanged(true);
    on.controller.powerChanged(false);
    expect(on.engines[0]?.commands).toEqual([{ type: 'pause' }, { type: 'resume' }]);
    const off = setup({ connection: aws, folder: '/f' });
    await off.controller.start();
    off.controller.powerChanged(true);
    expect(off.engines[0]?.commands).toEqual([]);
  });

  it('stores preference changes, applies bandwidth live, restarts the engine for a new device name or delete threshold, and moves to a new folder via choose-folder', async () => {
    const { controller, settings, engines } = setup({ connection: aws, folder: '/f', inspections: { '/g': { kind: 'non-empty', entries: 2 } } });
    await controller.start();
    expect(await controller.run({ type: 'update-settings', change: { notifications: false, bandwidth: { upBytesPerSecond: 2048 } } })).toEqual({ ok: true });
    expect(settings.current).toMatchObject({ notifications: false, bandwidth: { upBytesPerSecond: 2048 } });
    expect(engines).toHaveLength(1);
    // Bandwidth applies live in the running engine; no restart.
    expect(engines[0]?.commands).toEqual([{ type: 'update-settings', change: { bandwidth: { upBytesPerSecond: 2048 } } }]);
    expect(await controller.run({ type: 'update-settings', change: { deviceName: 'ada-desk' } })).toEqual({ ok: true });
    expect(engines[0]?.stopped).toBe(true);
    expect(engines[1]?.settings).toMatchObject({ deviceName: 'ada-desk', bandwidth: { upBytesPerSecond: 2048 } });
    // A new mass-delete threshold starts the engine again with it.
    expect(await controller.run({ type: 'update-settings', change: { massDelete: { maxFiles: 20, maxRatio: 0.25 } } })).toEqual({ ok: true });
    expect(engines[1]?.stopped).toBe(true);
    expect(engines[2]?.settings).toMatchObject({ maxDeletes: 20, maxDeleteRatio: 0.25 });
    expect((await controller.run({ type: 'update-settings', change: { logLevel: 'debug' } })).message).toMatch(/next start/);
    const moved = await controller.run({ type: 'update-settings', change: { folder: '/g' } });
    expect(moved.confirm).toMatch(/already holds 2 items/);
    expect(settings.current.folder).toBe('/f');
  });

  it('stops the engine cleanly on quit, with no timer left', async () => {
    const { controller, engines, timers } = setup({ restore: 'signed-in', folder: '/f' });
    await controller.start();
    await controller.stop();
    expect(engines[0]?.stopped).toBe(true);
    expect(timers.pending.size).toBe(0);
  });
});

function status(engines: readonly FakeEngine[]): string {
  return engines.length === 1 && engines[0]?.started === true ? 'started' : 'not started';
}

/** The sign-in-required status is what notificationFor turns into "Sign in to keep syncing". */
function notificationReady(s: StatusSnapshot): boolean {
  return s.sync === 'sign-in-required';
}
