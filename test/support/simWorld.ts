/**
 * An in-memory world for planner tests: one remote prefix shared by several
 * clients, each with its own local tree and journal. It executes plans with
 * the same rules the real propagator follows (conditional writes against
 * ETags, local deletes only when the file is as expected, folder deletes only
 * when empty, journal row only after success), so the pure planner can be run
 * through thousands of random histories (Dropbox's CanopyCheck idea).
 */
import { createHash } from 'node:crypto';
import { ancestors, parentPath } from '../../src/core/keys.js';
import type { LocalEntry, LocalSnapshot, SyncedEntry } from '../../src/core/model.js';
import type { Action, Plan } from '../../src/core/plan.js';
import { reconcile, type ReconcilePolicy } from '../../src/core/reconcile.js';
import { buildRemoteSnapshot } from '../../src/core/remoteSnapshot.js';

export const PREFIX = 'us-east-1:00000000-0000-4000-8000-000000000001/';

export function md5(content: string): string {
  return createHash('md5').update(content).digest('hex');
}

export type LocalNode =
  | { kind: 'file'; content: string; mtimeMs: number; inode: number }
  | { kind: 'folder'; mtimeMs: number; inode: number };

export class SimRemote {
  readonly objects = new Map<string, { content: string; etag: string }>();

  put(key: string, content: string): string {
    // A real server's ETag for a single PUT is the MD5; add a version salt so a
    // re-upload of the same bytes is still "a write" only where that matters.
    const etag = md5(content);
    this.objects.set(key, { content, etag });
    return etag;
  }

  listing() {
    return [...this.objects].map(([key, o]) => ({ key, size: o.content.length, etag: o.etag }));
  }

  /** path → content, for comparing with a client's local tree. */
  files(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, o] of this.objects) if (!key.endsWith('/')) out.set(key.slice(PREFIX.length), o.content);
    return out;
  }
}

export class SimClient {
  readonly local = new Map<string, LocalNode>();
  readonly journal = new Map<string, SyncedEntry>();
  readonly trash: string[] = [];
  private clock = 1_000_000;
  private nextInode = 1;

  constructor(
    readonly name: string,
    readonly remote: SimRemote,
  ) {}

  tick(): number {
    this.clock += 1000;
    return this.clock;
  }

  // ---- user actions on the local tree ----
  mkdirp(path: string): void {
    for (const dir of [...ancestors(path), path]) {
      const node = this.local.get(dir);
      if (node === undefined) this.local.set(dir, { kind: 'folder', mtimeMs: this.tick(), inode: this.nextInode++ });
      else if (node.kind !== 'folder') throw new Error(`${this.name}: ${dir} is a file`);
    }
  }

  write(path: string, content: string): void {
    const parent = parentPath(path);
    if (parent !== '') this.mkdirp(parent);
    const existing = this.local.get(path);
    if (existing?.kind === 'folder') throw new Error(`${this.name}: ${path} is a folder`);
    this.local.set(path, { kind: 'file', content, mtimeMs: this.tick(), inode: existing?.inode ?? this.nextInode++ });
  }

  remove(path: string): void {
    for (const p of [...this.local.keys()]) if (p === path || p.startsWith(`${path}/`)) this.local.delete(p);
  }

  rename(from: string, to: string): void {
    const moved = [...this.local].filter(([p]) => p === from || p.startsWith(`${from}/`));
    for (const [p] of moved) this.local.delete(p);
    const parent = parentPath(to);
    if (parent !== '') this.mkdirp(parent);
    for (const [p, node] of moved) this.local.set(to + p.slice(from.length), node);
  }

  files(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [p, n] of this.local) if (n.kind === 'file') out.set(p, n.content);
    return out;
  }

  folders(): Set<string> {
    return new Set([...this.local].filter(([, n]) => n.kind === 'folder').map(([p]) => p));
  }

  // ---- sync ----
  scan(): LocalSnapshot {
    const entries = new Map<string, LocalEntry>();
    for (const [path, node] of this.local) {
      entries.set(path, {
        path,
        kind: node.kind,
        size: node.kind === 'file' ? node.content.length : 0,
        mtimeMs: node.mtimeMs,
        inode: node.inode,
        ...(node.kind === 'file' ? { md5: md5(node.content) } : {}),
      });
    }
    return { entries, problems: [] };
  }

  plan(policy: Partial<ReconcilePolicy> = {}): Plan {
    const remote = buildRemoteSnapshot(this.remote.listing(), { prefix: PREFIX, os: 'linux' });
    return reconcile(
      { local: this.scan(), remote, synced: this.journal },
      { prefix: PREFIX, os: 'linux', caseInsensitive: false, deviceName: this.name, now: new Date(this.clock), ...policy },
    );
  }

  /** Plans and executes one run; returns the plan and how many actions failed. */
  sync(policy: Partial<ReconcilePolicy> = {}): { plan: Plan; failed: number } {
    const plan = this.plan(policy);
    if (plan.stop !== undefined) return { plan, failed: 0 };
    return { plan, failed: this.execute(plan) };
  }

  execute(plan: Plan): number {
    let failed = 0;
    for (const action of plan.actions) {
      if (!this.apply(action)) failed++;
    }
    return failed;
  }

  /**
   * Writes the journal row for `path`. `etag` is the remote version the action
   * verified; the journal must never record a newer remote version it has not seen.
   */
  private record(path: string, key: string, kind: 'file' | 'folder', etag?: string): void {
    const node = this.local.get(path);
    const current = this.remote.objects.get(key);
    const object = etag === undefined ? current : { etag, content: current?.etag === etag ? current.content : '' };
    if (node === undefined) throw new Error(`record: ${path} missing locally`);
    this.journal.set(path, {
      path,
      kind,
      local: { size: node.kind === 'file' ? node.content.length : 0, mtimeMs: node.mtimeMs, inode: node.inode },
      remote: { key, etag: object?.etag ?? '', size: object?.content.length ?? 0 },
      ...(node.kind === 'file' ? { md5: md5(node.content) } : {}),
    });
  }

  private matches(path: string, expected: { size: number; mtimeMs: number }): boolean {
    const node = this.local.get(path);
    return node?.kind === 'file' && node.content.length === expected.size && node.mtimeMs === expected.mtimeMs;
  }

  /** Writes a downloaded object to `path` unless that would clobber unsynced local content. */
  private place(path: string, key: string): boolean {
    const object = this.remote.objects.get(key);
    if (object === undefined) return false;
    const existing = this.local.get(path);
    const synced = this.journal.get(path);
    if (existing?.kind === 'folder') return false;
    if (existing !== undefined && (synced === undefined || md5(existing.content) !== synced.md5)) {
      // Same bytes already there: nothing to write. Otherwise a local change appeared since planning.
      if (md5(existing.content) !== object.etag) return false;
    }
    this.write(path, object.content);
    return true;
  }

  private apply(a: Action): boolean {
    const remote = this.remote.objects;
    switch (a.type) {
      case 'problem':
        return true;
      case 'forget':
        this.journal.delete(a.path);
        return true;
      case 'record':
        this.journal.set(a.path, a.entry);
        return true;
      case 'upload': {
        const node = this.local.get(a.path);
        if (node?.kind !== 'file' || md5(node.content) !== a.md5) return false; // changed since planned
        const current = remote.get(a.key);
        if (a.ifNoneMatch === true && current !== undefined) return false; // 412
        if (a.ifMatch !== undefined && current?.etag !== a.ifMatch) return false; // 412
        this.remote.put(a.key, node.content);
        this.record(a.path, a.key, 'file');
        return true;
      }
      case 'download': {
        const object = remote.get(a.key);
        if (object === undefined || object.etag !== a.etag) return false; // 412 / 404
        if (!this.place(a.path, a.key)) return false;
        this.record(a.path, a.key, 'file');
        return true;
      }
      case 'deleteRemote': {
        if (remote.get(a.key)?.etag !== a.etag) return false;
        remote.delete(a.key);
        this.journal.delete(a.path);
        return true;
      }
      case 'deleteLocal': {
        if (!this.matches(a.path, a.expected)) return false;
        this.trash.push(a.path);
        this.local.delete(a.path);
        this.journal.delete(a.path);
        return true;
      }
      case 'createRemoteFolder': {
        if (!remote.has(a.key)) this.remote.put(a.key, '');
        if (this.local.get(a.path)?.kind !== 'folder') return false;
        this.record(a.path, a.key, 'folder');
        return true;
      }
      case 'createLocalFolder': {
        const node = this.local.get(a.path);
        if (node !== undefined && node.kind !== 'folder') return false;
        try {
          this.mkdirp(a.path);
        } catch {
          return false;
        }
        this.record(a.path, `${PREFIX}${a.path}/`, 'folder');
        return true;
      }
      case 'deleteRemoteFolder': {
        const marker = remote.get(a.key);
        if (marker !== undefined && marker.etag !== a.etag) return false;
        remote.delete(a.key);
        this.journal.delete(a.path);
        return true;
      }
      case 'deleteLocalFolder': {
        if (this.local.get(a.path)?.kind !== 'folder') return false;
        if ([...this.local.keys()].some((p) => p.startsWith(`${a.path}/`))) return false; // not empty: keep
        this.local.delete(a.path);
        this.journal.delete(a.path);
        return true;
      }
      case 'moveRemote': {
        const source = remote.get(a.fromKey);
        if (source === undefined || source.etag !== a.etag || remote.has(a.key)) return false;
        this.remote.put(a.key, source.content);
        remote.delete(a.fromKey);
        this.journal.delete(a.from);
        if (a.local !== undefined) this.record(a.path, a.key, 'file');
        return true;
      }
      case 'moveLocal': {
        if (!this.matches(a.from, a.expected) || this.local.has(a.path)) return false;
        this.rename(a.from, a.path);
        this.journal.delete(a.from);
        if (a.remote !== undefined) this.record(a.path, a.remote.key, 'file', a.remote.etag);
        return true;
      }
      case 'conflict': {
        if (!this.matches(a.path, a.expected) || this.local.has(a.conflictPath)) return false;
        const object = remote.get(a.key);
        if (object === undefined || object.etag !== a.etag) return false;
        this.rename(a.path, a.conflictPath);
        this.journal.delete(a.path);
        this.write(a.path, object.content);
        this.record(a.path, a.key, 'file');
        const copy = this.local.get(a.conflictPath);
        if (copy?.kind === 'file' && !remote.has(a.conflictKey)) {
          this.remote.put(a.conflictKey, copy.content);
          this.record(a.conflictPath, a.conflictKey, 'file');
        }
        return true;
      }
    }
  }
}

/** Runs every client in turn until a full round plans nothing; returns the number of rounds. */
export function syncUntilQuiet(clients: readonly SimClient[], maxRounds = 10): number {
  for (let round = 1; round <= maxRounds; round++) {
    let busy = false;
    for (const client of clients) {
      const { plan } = client.sync();
      if (plan.stop !== undefined) throw new Error(`${client.name}: safety stop: ${plan.stop.message}`);
      if (plan.actions.some((a) => a.type !== 'problem')) busy = true;
    }
    if (!busy) return round;
  }
  throw new Error(`no convergence after ${maxRounds} rounds`);
}
