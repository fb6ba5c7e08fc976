/**
 * OidcMemoryStore: the user pool's storage for oidc-provider models (sessions,
 * interactions, codes, grants, refresh tokens), one store per pool.
 *
 * oidc-provider's built-in memory adapter is an LRU capped at 1000 entries, so a
 * long sandbox run (benchmarks) could silently evict live grants and break refresh
 * tokens; this one keeps every entry until it expires. State is lost on restart,
 * which invalidates refresh tokens — unlike Cognito, and acceptable for a sandbox.
 */

type Payload = Record<string, unknown> & { grantId?: string; uid?: string; consumed?: number };

interface Entry {
  readonly payload: Payload;
  readonly expiresAt: number;
}

/** The adapter contract oidc-provider calls, per model name. */
export interface OidcAdapter {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/** Models whose entries die with their grant when a refresh token is revoked. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken']);
/** Kept a little past expiry; oidc-provider applies its own clock tolerance (15 s). */
const GRACE_MS = 15_000;
const SWEEP_EVERY = 200;

export class OidcMemoryStore {
  private readonly entries = new Map<string, Entry>();
  private readonly grantMembers = new Map<string, Set<string>>();
  private readonly sessionByUid = new Map<string, string>();
  private writes = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Pass as oidc-provider's `adapter` option: a factory called once per model name. */
  readonly adapterFactory = (model: string): OidcAdapter => {
    const key = (id: string) => `${model}:${id}`;
    return {
      upsert: async (id, payload, expiresIn) => {
        const expiresAt = typeof expiresIn === 'number' ? this.now() + expiresIn * 1000 + GRACE_MS : Infinity;
        this.entries.set(key(id), { payload, expiresAt });
        if (model === 'Session' && typeof payload.uid === 'string') this.sessionByUid.set(payload.uid, id);
        if (GRANTABLE.has(model) && payload.grantId) {
          const members = this.grantMembers.get(payload.grantId) ?? new Set<string>();
          members.add(key(id));
          this.grantMembers.set(payload.grantId, members);
        }
        if (++this.writes % SWEEP_EVERY === 0) this.sweep();
      },
      find: async (id) => this.read(key(id)),
      findByUid: async (uid) => {
        const id = this.sessionByUid.get(uid);
        return id === undefined ? undefined : this.read(`Session:${id}`);
      },
      // Device flow is disabled, so there are no user codes.
      findByUserCode: async () => undefined,
      consume: async (id) => {
        const entry = this.entries.get(key(id));
        if (entry) entry.payload.consumed = Math.floor(this.now() / 1000);
      },
      destroy: async (id) => {
        this.remove(key(id));
      },
      revokeByGrantId: async (grantId) => {
        for (const member of this.grantMembers.get(grantId) ?? []) this.remove(member);
        this.grantMembers.delete(grantId);
      },
    };
  };

  private read(storeKey: string): Payload | undefined {
    const entry = this.entries.get(storeKey);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.remove(storeKey);
      return undefined;
    }
    return entry.payload;
  }

  private remove(storeKey: string): void {
    const entry = this.entries.get(storeKey);
    this.entries.delete(storeKey);
    const uid = entry?.payload.uid;
    if (storeKey.startsWith('Session:') && typeof uid === 'string') this.sessionByUid.delete(uid);
    const grantId = entry?.payload.grantId;
    if (grantId) this.grantMembers.get(grantId)?.delete(storeKey);
  }

  private sweep(): void {
    const now = this.now();
    for (const [storeKey, entry] of this.entries) if (entry.expiresAt <= now) this.remove(storeKey);
    for (const [grantId, members] of this.grantMembers) if (members.size === 0) this.grantMembers.delete(grantId);
  }
}
