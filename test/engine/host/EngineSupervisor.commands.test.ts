/**
 * EngineSupervisor's command channel and credentials hand-over, against a fake
 * EngineChild (the protocol only: the forked-process test next door covers a
 * real engine). A command is answered by the `command-result` with its id;
 * no engine, a silent engine or an engine that dies first all give `ok: false`
 * with a sentence, never a rejection.
 */
import { describe, expect, it } from 'vitest';
import { EngineSupervisor, type EngineChild } from '../../../src/engine/host/EngineSupervisor.js';
import { isHostToEngine, type EngineSettings, type HostToEngine } from '../../../src/shared/EngineProtocol.js';

class FakeChild implements EngineChild {
  readonly sent: HostToEngine[] = [];
  private messageListeners: ((message: unknown) => void)[] = [];
  private exitListeners: ((code: number | null) => void)[] = [];
  alive = true;
  constructor(readonly pid: number, private readonly autoAnswer = true) {}

  postMessage(message: HostToEngine): void {
    // Every message main sends must pass the engine's own validator.
    expect(isHostToEngine(message)).toBe(true);
    this.sent.push(message);
    if (message.type === 'stop') {
      this.reply({ type: 'stopped' });
      this.exit(0);
    } else if (message.type === 'command' && this.autoAnswer) {
      this.reply({ type: 'command-result', id: message.id, result: { ok: true, message: `did ${message.command.type}` } });
    }
  }
  onMessage(listener: (message: unknown) => void): void {
    this.messageListeners.push(listener);
  }
  onExit(listener: (code: number | null) => void): void {
    this.exitListeners.push(listener);
  }
  kill(): void {
    this.exit(null);
  }
  reply(message: unknown): void {
    for (const l of this.messageListeners) l(message);
  }
  exit(code: number | null): void {
    if (!this.alive) return;
    this.alive = false;
    for (const l of this.exitListeners) l(code);
  }
}

const settings: EngineSettings = { folder: '/tmp/f', bucket: 'b', region: 'us-east-1', prefix: 'p/' };

function supervisorWith(children: FakeChild[], extra: Partial<ConstructorParameters<typeof EngineSupervisor>[0]> = {}): EngineSupervisor {
  let next = 0;
  return new EngineSupervisor({
    spawn: () => {
      const child = children[next++];
      if (child === undefined) throw new Error('no more fake children');
      return child;
    },
    settings,
    initialBackoffMs: 10,
    ...extra,
  });
}

describe('EngineSupervisor.run', () => {
  it('answers ok:false, saying why, when no engine runs', async () => {
    const supervisor = supervisorWith([]);
    const result = await supervisor.run({ type: 'sync-now' });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/not running/);
  });

  it('posts the command with an id and resolves with the matching command-result', async () => {
    const child = new FakeChild(1);
    const supervisor = supervisorWith([child]);
    supervisor.start();
    const [a, b] = await Promise.all([supervisor.run({ type: 'pause', minutes: 30 }), supervisor.run({ type: 'sync-now' })]);
    expect(a).toEqual({ ok: true, message: 'did pause' });
    expect(b).toEqual({ ok: true, message: 'did sync-now' });
    const commands = child.sent.filter((m) => m.type === 'command');
    expect(commands.map((m) => (m.type === 'command' ? m.id : -1))).toEqual([1, 2]);
    await supervisor.stop();
  });

  it('ignores an answer for an unknown id and keeps waiting for its own', async () => {
    const child = new FakeChild(1, false);
    const supervisor = supervisorWith([child]);
    supervisor.start();
    const answer = supervisor.run({ type: 'resume' });
    child.reply({ type: 'command-result', id: 999, result: { ok: true, message: 'not yours' } });
    child.reply({ type: 'command-result', id: 1, result: { ok: false, message: 'Nothing is paused.' } });
    expect(await answer).toEqual({ ok: false, message: 'Nothing is paused.' });
    await supervisor.stop();
  });

  it('gives up after the timeout with a clear ok:false', async () => {
    const child = new FakeChild(1, false);
    const supervisor = supervisorWith([child], { commandTimeoutMs: 30 });
    supervisor.start();
    const result = await supervisor.run({ type: 'sync-now' });
    expect(result).toEqual({ ok: false, message: 'The sync engine did not answer in time; try again in a moment.' });
    await supervisor.stop();
  });

  it('answers ok:false when the engine dies before answering, and runs commands on the restarted one', async () => {
    const first = new FakeChild(1, false);
    const second = new FakeChild(2);
    const supervisor = supervisorWith([first, second]);
    supervisor.start();
    const lost = supervisor.run({ type: 'sync-now' });
    first.kill();
    expect((await lost).message).toMatch(/stopped before it could answer/);
    expect((await supervisor.run({ type: 'sync-now' })).ok).toBe(false);
    await new Promise<void>((resolve) => {
      const wait = (): void => {
        if (supervisor.pid === 2) resolve();
        else setTimeout(wait, 5);
      };
      wait();
    });
    expect(await supervisor.run({ type: 'sync-now' })).toEqual({ ok: true, message: 'did sync-now' });
    await supervisor.stop();
  });

  it('refuses commands once stopping', async () => {
    const child = new FakeChild(1);
    const supervisor = supervisorWith([child]);
    supervisor.start();
    const stopped = supervisor.stop();
    expect((await supervisor.run({ type: 'sync-now' })).message).toMatch(/stopping/);
    await stopped;
  });
});

describe('EngineSupervisor.setCredentials', () => {
  it('sends fresh credentials to the running engine and starts a restarted engine with them', async () => {
    const first = new FakeChild(1);
    const second = new FakeChild(2);
    const supervisor = supervisorWith([first, second]);
    supervisor.start();
    const fresh = { accessKeyId: 'AK2', secretAccessKey: 'S2', sessionToken: 'T2', expiration: '2030-01-01T00:00:00.000Z' };
    supervisor.setCredentials(fresh);
    expect(first.sent.at(-1)).toEqual({ type: 'credentials', credentials: fresh });
    first.kill();
    await new Promise<void>((resolve) => {
      const wait = (): void => {
        if (second.sent.length > 0) resolve();
        else setTimeout(wait, 5);
      };
      wait();
    });
    expect(second.sent[0]).toEqual({ type: 'start', settings: { ...settings, credentials: { accessKeyId: 'AK2', secretAccessKey: 'S2', sessionToken: 'T2' } } });
    await supervisor.stop();
  });

  it('starts without credentials when none were given (the SDK chain)', () => {
    const child = new FakeChild(1);
    const supervisor = supervisorWith([child]);
    supervisor.start();
    expect(child.sent[0]).toEqual({ type: 'start', settings });
    void supervisor.stop();
  });
});
