// The soak's record of every file version written, and the oracle that judges the
// final state against it.
//
// Every write makes a new version with unique content: a one-line header
// `SOAK v=<id> by=<writer>` and then incompressible bytes derived from the id. So any
// file, wherever the sync put it, says which version it holds (its SHA-256 is checked
// against the one recorded, so a torn or mixed file is caught as "corrupt").
//
// A version is *superseded* only by a writer that saw it: each edit records its base,
// the version that writer found at the path at that moment (read atomically: the old
// file is moved aside or read through the descriptor that is then overwritten, and
// S3 edits are conditional on the ETag they read). A version nobody superseded is
// *live* and must exist at the end: under its own name, or as a conflicted copy, or
// wherever a rename took it. Renames do not supersede (the content lives on).
import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { content } from '../dataset.js';

const HEADER = /^SOAK v=(\d+) by=([A-Za-z0-9]+)\n/;
/** `stem (conflicted copy <device> <yyyy-mm-dd hhmmss>[ n]).ext`, see src/core/conflictName.ts. */
const CONFLICT = /^(.*) \(conflicted copy .+ \d{4}-\d{2}-\d{2} \d{6}(?: \d+)?\)(\.[^./]*)?$/;

export const sha256 = (buf) => createHash('sha256').update(buf).digest('hex');

/** The version id in the first bytes of a file, or undefined. */
export function versionOf(head) {
  const m = HEADER.exec(head.toString('latin1', 0, Math.min(head.length, 64)));
  return m === null ? undefined : Number(m[1]);
}

/** The path a conflicted copy was made from (applied repeatedly for copies of copies); the path itself otherwise. */
export function originalPath(path) {
  const slash = path.lastIndexOf('/');
  const dir = path.slice(0, slash + 1);
  let name = path.slice(slash + 1);
  for (let m = CONFLICT.exec(name); m !== null; m = CONFLICT.exec(name)) name = `${m[1]}${m[2] ?? ''}`;
  return dir + name;
}

export const isConflictCopy = (path) => originalPath(path) !== path;

export class Ledger {
  /** @type {Map<number, { id: number, by: string, path: string, size: number, hash: string, at: number, placed: boolean, paths: Set<string>, supersededBy?: string, notes: string[] }>} */
  versions = new Map();
  byHash = new Map();
  counts = new Map();
  #next = 1;

  constructor(seed, opsLog) {
    this.seed = seed;
    this.opsLog = opsLog;
    this.started = Date.now();
  }

  /** A new version's bytes (not yet placed anywhere). */
  newVersion(by, path, size) {
    const id = this.#next++;
    const header = Buffer.from(`SOAK v=${id} by=${by}\n`, 'latin1');
    const body = content(`soak:${this.seed}:${id}`, Math.max(0, size - header.length));
    const buf = Buffer.concat([header, body]);
    const v = { id, by, path, size: buf.length, hash: sha256(buf), at: Date.now(), placed: false, paths: new Set(), notes: [] };
    this.versions.set(id, v);
    this.byHash.set(v.hash, id);
    return { id, buf };
  }

  /** The version now exists at `path` (written there, or moved there by a rename the driver made). */
  placed(id, path) {
    const v = this.versions.get(id);
    if (v === undefined) return;
    v.placed = true;
    v.paths.add(path);
  }

  /** `by` replaced or deleted `id` having seen it: it may legitimately be gone. */
  supersede(id, by) {
    const v = this.versions.get(id);
    if (v !== undefined && v.supersededBy === undefined) v.supersededBy = by;
  }

  note(id, text) {
    this.versions.get(id)?.notes.push(text);
  }

  /** One line per operation in ops.jsonl (for replay and debugging) and a count per kind. */
  op(side, kind, fields = {}) {
    const key = `${side} ${kind}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.opsLog !== undefined) appendFileSync(this.opsLog, `${JSON.stringify({ t: Date.now() - this.started, side, kind, ...fields })}\n`);
  }

  /**
   * Judges the final files: [path, sha256] pairs — one tree when both folders and the
   * server agree, or all three together when they do not (then "lost" means gone from
   * everywhere).
   */
  judge(finalFiles) {
    const found = new Map(); // id → paths
    const corrupt = [];
    for (const [path, hash] of finalFiles) {
      const id = this.byHash.get(hash);
      if (id === undefined) {
        corrupt.push({ path, hash });
        continue;
      }
      if (!found.has(id)) found.set(id, []);
      if (!found.get(id).includes(path)) found.get(id).push(path);
    }
    const lost = [];
    const misplaced = [];
    const zombies = [];
    const duplicates = [];
    let live = 0;
    for (const v of this.versions.values()) {
      if (!v.placed) continue;
      const where = found.get(v.id) ?? [];
      if (v.supersededBy === undefined) {
        live++;
        if (where.length === 0) lost.push(v);
      } else if (where.length > 0) {
        zombies.push({ v, where });
      }
      for (const p of where) {
        if (!v.paths.has(p) && !v.paths.has(originalPath(p))) misplaced.push({ v, path: p });
      }
      // Under more than one name: expected when two writers renamed it differently at once (both names were given).
      if (where.length > 1) duplicates.push({ v, where, given: where.every((p) => v.paths.has(p) || v.paths.has(originalPath(p))) });
    }
    const placed = [...this.versions.values()].filter((v) => v.placed).length;
    const paths = new Set([...finalFiles].map(([p]) => p));
    return { written: this.versions.size, placed, live, lost, corrupt, misplaced, zombies, duplicates, conflictCopies: [...paths].filter(isConflictCopy).length };
  }
}

export function describeVersion(v) {
  const paths = [...v.paths].join(' | ');
  return `v${v.id} by ${v.by} at "${paths || v.path}" (${v.size} B, written ${new Date(v.at).toISOString()})${v.supersededBy ? `, superseded by ${v.supersededBy}` : ''}${v.notes.length ? `; ${v.notes.join('; ')}` : ''}`;
}
