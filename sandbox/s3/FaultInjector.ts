/**
 * FaultInjector: the misbehaviour the sandbox S3 server adds on request, for the
 * reliability tests — latency, 500 InternalError / 503 SlowDown answers,
 * connections reset mid-body, and all temporary credentials expiring at once.
 * Set from code (`server.faults.set(...)`) or over HTTP
 * (`POST /__sandbox/faults` with `x-sandbox-admin: <admin secret>`).
 * With `seed` the random draws are a fixed sequence, so a failing test replays.
 */

export interface FaultConfig {
  /** Delay before each matching request is handled. @default 0 */
  readonly latencyMs?: number;
  /** Probability (0..1) that a matching request fails with `errorStatus`. @default 0 */
  readonly errorRate?: number;
  /** 500 → InternalError, 503 → SlowDown. @default 503 */
  readonly errorStatus?: 500 | 503;
  /** Probability (0..1) that the connection is destroyed mid-body. @default 0 */
  readonly resetRate?: number;
  /** One-shot action: every temporary credential issued so far expires now. */
  readonly expireCredentials?: true;
  /** Faults apply only to requests whose object key matches this regular expression. */
  readonly onlyKeysMatching?: string;
  /** Seed for the random source; without it draws use Math.random. */
  readonly seed?: number;
}

/** What to do to one request. */
export interface FaultDecision {
  readonly latencyMs: number;
  readonly errorStatus: 500 | 503 | undefined;
  readonly reset: boolean;
}

const NONE: FaultDecision = { latencyMs: 0, errorStatus: undefined, reset: false };

/** mulberry32: tiny, fast, good enough to make fault sequences repeatable. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function probability(value: unknown, name: string): number {
  if (value === undefined) return 0;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) throw new TypeError(`${name} must be a number between 0 and 1`);
  return value;
}

export class FaultInjector {
  private config: FaultConfig = {};
  private keyPattern: RegExp | undefined;
  private random: () => number = Math.random;

  constructor(private readonly expireCredentials: () => void) {}

  get current(): FaultConfig {
    return this.config;
  }

  /** Replaces the active faults; validates so a typo in a test fails loudly. */
  set(config: FaultConfig): void {
    const latencyMs = config.latencyMs ?? 0;
    if (typeof latencyMs !== 'number' || !(latencyMs >= 0)) throw new TypeError('latencyMs must be a non-negative number');
    probability(config.errorRate, 'errorRate');
    probability(config.resetRate, 'resetRate');
    if (config.errorStatus !== undefined && config.errorStatus !== 500 && config.errorStatus !== 503) {
      throw new TypeError('errorStatus must be 500 or 503');
    }
    if (config.seed !== undefined && !Number.isFinite(config.seed)) throw new TypeError('seed must be a number');
    this.keyPattern = config.onlyKeysMatching === undefined ? undefined : new RegExp(config.onlyKeysMatching);
    this.random = config.seed === undefined ? Math.random : seededRandom(config.seed);
    const { expireCredentials, ...persistent } = config;
    this.config = persistent;
    if (expireCredentials) this.expireCredentials();
  }

  clear(): void {
    this.config = {};
    this.keyPattern = undefined;
    this.random = Math.random;
  }

  /** Draws the faults for one request; `key` is undefined for bucket-level requests. */
  decide(key: string | undefined): FaultDecision {
    const { latencyMs = 0, errorRate = 0, errorStatus = 503, resetRate = 0 } = this.config;
    if (latencyMs === 0 && errorRate === 0 && resetRate === 0) return NONE;
    if (this.keyPattern && (key === undefined || !this.keyPattern.test(key))) return NONE;
    // Draw both numbers every time so one rate does not shift the other's sequence.
    const errorDraw = this.random();
    const resetDraw = this.random();
    return {
      latencyMs,
      errorStatus: errorDraw < errorRate ? errorStatus : undefined,
      reset: resetDraw < resetRate,
    };
  }
}
