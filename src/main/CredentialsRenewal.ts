/**
 * Keeps the engine process supplied with identity-pool credentials (cognito
 * mode): fetches fresh ones `marginMs` before the current ones expire (at
 * least 30 s from now) and sends them (the `credentials` message). A fetch
 * that finds the session over (signed out, revoked, vault damaged) is handed
 * to `onSessionOver`; any other failure (network, a busy pool) is retried
 * after `retryMs`, while the engine keeps the credentials it has.
 * Timers are injected; nothing here touches Electron.
 */
import type { Disposable } from '../core/Emitter.js';
import type { Logger } from '../engine/logger.js';
import type { EngineCredentials } from '../shared/EngineProtocol.js';
import type { Timers } from './appPorts.js';

/** Error codes that mean the session is over (engine/auth/authErrors.ts). */
const SESSION_OVER_CODES = new Set(['signed-out', 'not-signed-in', 'token-vault-damaged']);

export function isSessionOver(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && SESSION_OVER_CODES.has(code);
}

export interface CredentialsRenewalOptions {
  /** Current credentials (the provider renews them when less than 5 min are left). */
  readonly fetch: () => Promise<EngineCredentials>;
  readonly send: (credentials: EngineCredentials) => void;
  readonly onSessionOver: (err: unknown) => void;
  readonly timers: Timers;
  readonly now: () => number;
  /** @default 10 min */
  readonly marginMs?: number;
  /** @default 60 s */
  readonly retryMs?: number;
  readonly log?: Logger;
}

export class CredentialsRenewal implements Disposable {
  private timer: unknown;
  private disposed = false;

  constructor(private readonly o: CredentialsRenewalOptions) {}

  /** Plans the next fetch for credentials that expire at `current.expiration` (none: nothing to renew). */
  schedule(current: EngineCredentials): void {
    if (current.expiration === undefined) return;
    const wait = Math.max(30_000, Date.parse(current.expiration) - this.o.now() - (this.o.marginMs ?? 10 * 60_000));
    this.after(wait);
  }

  private after(ms: number): void {
    if (this.disposed) return;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    this.timer = this.o.timers.setTimeout(() => {
      this.timer = undefined;
      void this.renew();
    }, ms);
  }

  private async renew(): Promise<void> {
    try {
      const fresh = await this.o.fetch();
      if (this.disposed) return;
      this.o.send(fresh);
      this.schedule(fresh);
    } catch (err) {
      if (this.disposed) return;
      this.o.log?.warn('could not renew the credentials', { code: (err as { code?: unknown } | undefined)?.code });
      if (isSessionOver(err)) this.o.onSessionOver(err);
      else this.after(this.o.retryMs ?? 60_000);
    }
  }

  dispose(): void {
    this.disposed = true;
    if (this.timer !== undefined) this.o.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
