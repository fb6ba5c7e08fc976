// Random fault windows at the sandbox S3 server: quiet for a while, then one kind of
// misbehaviour for a few seconds (latency, 500 or 503 bursts, connection resets, a
// total outage by resets, a mix), now and then every temporary credential expiring at
// once. Each window's draws are seeded (FaultConfig.seed) from the soak's seed.

export const FAULT_KINDS = ['latency', 'error503', 'error500', 'reset', 'mixed', 'outage', 'expiry'];

export class FaultPlan {
  /**
   * @param {{ faults: { set(c: object): void, clear(): void }, rng: any, kinds: string[], log: (line: string) => void }} o
   */
  constructor(o) {
    this.o = o;
    this.windows = new Map();
    this.current = 'none';
    this.stopped = false;
    this.timer = undefined;
    this.wake = undefined;
  }

  config(kind) {
    const { rng } = this.o;
    const seed = rng.int(1, 2 ** 31);
    switch (kind) {
      case 'latency': return { latencyMs: rng.int(100, 1500), seed };
      case 'error503': return { errorRate: rng.float(0.2, 0.8), errorStatus: 503, seed };
      case 'error500': return { errorRate: rng.float(0.2, 0.8), errorStatus: 500, seed };
      case 'reset': return { resetRate: rng.float(0.1, 0.5), seed };
      case 'mixed': return { latencyMs: rng.int(50, 400), errorRate: rng.float(0.1, 0.3), errorStatus: rng.pick([500, 503]), resetRate: rng.float(0.05, 0.2), seed };
      case 'outage': return { resetRate: 1, seed };
      case 'expiry': return { expireCredentials: true };
      default: throw new Error(`unknown fault kind ${kind}`);
    }
  }

  sleep(ms) {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
  }

  async run() {
    const { rng, kinds, faults } = this.o;
    if (kinds.length === 0) return;
    const weights = { latency: 3, error503: 3, error500: 2, reset: 3, mixed: 3, outage: 1, expiry: 1 };
    while (!this.stopped) {
      await this.sleep(rng.int(4000, 15000));
      if (this.stopped) break;
      const kind = rng.weighted(Object.fromEntries(kinds.map((k) => [k, weights[k]])));
      const config = this.config(kind);
      this.windows.set(kind, (this.windows.get(kind) ?? 0) + 1);
      faults.set(config);
      if (kind === 'expiry') {
        // One-shot: the credentials expire now; nothing stays active.
        this.o.log(`fault: every temporary credential expired`);
        faults.clear();
        continue;
      }
      const ms = kind === 'outage' ? rng.int(5000, 25000) : rng.int(2000, 12000);
      this.current = kind;
      this.o.log(`fault: ${kind} ${JSON.stringify({ ...config, seed: undefined })} for ${(ms / 1000).toFixed(1)} s`);
      await this.sleep(ms);
      faults.clear();
      this.current = 'none';
    }
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    this.wake?.();
    this.o.faults.clear();
    this.current = 'none';
  }
}
