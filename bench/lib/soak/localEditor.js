// One person editing one synced folder at random: creates, in-place edits, editor-style
// saves (temp file, then into place), deletes and renames of files and folders. Every
// edit learns its base exactly (see ledger.js): deletes and replaced files are first
// moved aside into a private folder outside the sync folder (an atomic rename captures
// exactly the file that was there), new names are taken with O_EXCL or link(2) (which
// fail rather than overwrite something the sync engine just put there), and in-place
// edits read the header through the same descriptor they then overwrite.
import { randomUUID } from 'node:crypto';
import { link, lstat, mkdir, open, readdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { versionOf } from './ledger.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** Shared by every writer, so that names collide across devices (that is how conflicts happen). */
export const DIR_NAMES = ['docs', 'photos', 'music', 'proj', 'old stuff', 'inbox'];
export const SUB_NAMES = ['a', 'b', 'drafts'];
export const FILE_NAMES = Array.from({ length: 24 }, (_, i) => `note-${String(i).padStart(2, '0')}.txt`)
  .concat(Array.from({ length: 8 }, (_, i) => `data ${i}.bin`));

/** A few names every writer prefers, so that both sides edit the same file within one sync window now and then. */
export const HOT_NAMES = FILE_NAMES.slice(0, 4);

/** A random file, one of the hot ones 40% of the time when there are any. */
export function pickFile(rng, files) {
  const hot = files.filter((f) => HOT_NAMES.includes(f.split('/').pop()));
  return hot.length > 0 && rng.chance(0.4) ? rng.pick(hot) : rng.pick(files);
}

/** A name for a new file: one of the hot names 30% of the time. */
export function pickName(rng) {
  return rng.chance(0.3) ? rng.pick(HOT_NAMES) : rng.pick(FILE_NAMES);
}

/** Mostly small files, some of a few MiB, now and then one above the 16 MiB multipart threshold. */
export function drawSize(rng, bigFiles) {
  const r = rng.next();
  if (bigFiles && r < 0.008) return rng.int(17 * MiB, 22 * MiB);
  if (bigFiles && r < 0.05) return rng.int(1 * MiB, 6 * MiB);
  if (r < 0.3) return rng.int(0, 200);
  return rng.int(200, 64 * KiB);
}

const errno = (err) => err?.code;
const IGNORABLE = new Set(['ENOENT', 'EEXIST', 'ENOTEMPTY', 'ENOTDIR', 'EISDIR', 'EINVAL']);

export class LocalEditor {
  /**
   * @param {{ side: string, root: string, aside: string, ledger: import('./ledger.js').Ledger, rng: any, bigFiles: boolean, maxFolderDelete: number }} o
   */
  constructor(o) {
    this.o = o;
    this.side = o.side;
    this.skipped = 0;
  }

  /** Files and folders of the sync folder, relative, without the engine's own and our temp files. */
  async tree() {
    const files = [];
    const dirs = [];
    let entries;
    try {
      entries = await readdir(this.o.root, { recursive: true, withFileTypes: true });
    } catch {
      return { files, dirs };
    }
    for (const e of entries) {
      const rel = join(e.parentPath, e.name).slice(this.o.root.length + 1);
      if (rel === '.stratus' || rel.startsWith('.stratus/') || e.name.startsWith('.stratus-tmp-') || e.name.endsWith('.part')) continue;
      if (e.isDirectory()) dirs.push(rel);
      else if (e.isFile()) files.push(rel);
    }
    return { files, dirs };
  }

  abs(rel) {
    return join(this.o.root, rel);
  }

  /** Moves whatever is at `rel` out of the folder; returns where it went, or undefined if nothing was there. */
  async captureAside(rel) {
    const to = join(this.o.aside, `${Date.now()}-${randomUUID()}`);
    try {
      await rename(this.abs(rel), to);
      return to;
    } catch (err) {
      if (IGNORABLE.has(errno(err))) return undefined;
      throw err;
    }
  }

  async headerOf(abs) {
    const fh = await open(abs, 'r');
    try {
      const buf = Buffer.alloc(64);
      const { bytesRead } = await fh.read(buf, 0, 64, 0);
      return versionOf(buf.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  }

  /** Records every version in a folder that was moved aside as deleted by this side; removes it. */
  async supersedeTree(abs, what) {
    const entries = await readdir(abs, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      const id = await this.headerOf(join(e.parentPath, e.name)).catch(() => undefined);
      if (id !== undefined) this.o.ledger.supersede(id, `${this.side} ${what}`);
    }
    await rm(abs, { recursive: true, force: true });
  }

  /** One random edit. Returns its kind, or undefined when there was nothing to do it on. */
  async step() {
    const { rng } = this.o;
    const { files, dirs } = await this.tree();
    const kind = rng.weighted({
      create: files.length < 40 ? 40 : 22,
      modify: files.length ? 26 : 0,
      save: files.length ? 10 : 0,
      delete: files.length > 30 ? 10 : 3,
      renameFile: files.length ? 9 : 0,
      mkdir: dirs.length < 12 ? 6 : 2,
      deleteDir: dirs.length > 3 ? 4 : 0,
      renameDir: dirs.length ? 5 : 0,
    });
    try {
      const done = await this[kind](files, dirs);
      if (done === false) {
        this.skipped++;
        return undefined;
      }
      return kind;
    } catch (err) {
      // The sync engine moved something under our feet (a folder deleted or renamed by the other side): skip.
      if (IGNORABLE.has(errno(err))) {
        this.skipped++;
        return undefined;
      }
      throw err;
    }
  }

  randomDir(dirs) {
    const { rng } = this.o;
    return rng.chance(0.25) || dirs.length === 0 ? '' : rng.pick(dirs);
  }

  /** Writes a new file under a name that is free now; O_EXCL so nothing the engine just put there is overwritten. */
  async create(files, dirs, inDir = undefined) {
    const { rng, ledger } = this.o;
    const rel = join(inDir ?? this.randomDir(dirs), pickName(rng));
    if (files.includes(rel)) return this.modify([rel]);
    const { id, buf } = ledger.newVersion(this.side, rel, drawSize(rng, this.o.bigFiles));
    await mkdir(dirname(this.abs(rel)), { recursive: true });
    let fh;
    try {
      fh = await open(this.abs(rel), 'wx');
    } catch (err) {
      if (errno(err) === 'EEXIST') return false;
      throw err;
    }
    const { ino } = await fh.stat();
    try {
      await fh.writeFile(buf);
    } finally {
      await fh.close();
    }
    ledger.placed(id, rel);
    await this.checkStillOurs(rel, ino, id);
    ledger.op(this.side, 'create', { path: rel, v: id, size: buf.length });
    return true;
  }

  /** Rewrites a file in place through one descriptor: its base is what that descriptor read. */
  async modify(files) {
    const { rng, ledger } = this.o;
    const rel = pickFile(rng, files);
    const fh = await open(this.abs(rel), 'r+');
    let id;
    let base;
    let ino;
    try {
      ({ ino } = await fh.stat());
      const head = Buffer.alloc(64);
      const { bytesRead } = await fh.read(head, 0, 64, 0);
      base = versionOf(head.subarray(0, bytesRead));
      const next = ledger.newVersion(this.side, rel, drawSize(rng, this.o.bigFiles));
      id = next.id;
      await fh.truncate(0);
      await fh.write(next.buf, 0, next.buf.length, 0);
    } finally {
      await fh.close();
    }
    if (base !== undefined) ledger.supersede(base, `${this.side} modify`);
    ledger.placed(id, rel);
    await this.checkStillOurs(rel, ino, id);
    ledger.op(this.side, 'modify', { path: rel, v: id, base, size: ledger.versions.get(id)?.size });
    return true;
  }

  /** An editor's save: the new content in a temp file (an ignored *.part name), the old file moved away, the new one linked into place. */
  async save(files) {
    const { rng, ledger } = this.o;
    const rel = pickFile(rng, files);
    const tmp = join(dirname(this.abs(rel)), `.${randomUUID().slice(0, 8)}.part`);
    const { id, buf } = ledger.newVersion(this.side, rel, drawSize(rng, this.o.bigFiles));
    await writeFile(tmp, buf, { flag: 'wx' });
    try {
      const aside = await this.captureAside(rel);
      let base;
      if (aside !== undefined) {
        base = await this.headerOf(aside).catch(() => undefined);
        if (base !== undefined) ledger.supersede(base, `${this.side} save`);
        await rm(aside, { force: true, recursive: true });
      }
      try {
        await link(tmp, this.abs(rel));
      } catch (err) {
        if (errno(err) !== 'EEXIST' && errno(err) !== 'ENOENT') throw err;
        ledger.op(this.side, 'save-lost-race', { path: rel, base, code: errno(err) });
        return true;
      }
      ledger.placed(id, rel);
      ledger.op(this.side, 'save', { path: rel, v: id, base, size: buf.length });
      return true;
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  async delete(files) {
    const { rng, ledger } = this.o;
    const rel = rng.pick(files);
    const aside = await this.captureAside(rel);
    if (aside === undefined) return false;
    const base = await this.headerOf(aside).catch(() => undefined);
    if (base !== undefined) ledger.supersede(base, `${this.side} delete`);
    await rm(aside, { force: true, recursive: true });
    ledger.op(this.side, 'delete', { path: rel, base });
    return true;
  }

  /** link(2) to the new name (fails instead of overwriting), then the old name moved aside. */
  async renameFile(files, dirs) {
    const { rng, ledger } = this.o;
    const from = rng.pick(files);
    const to = rng.chance(0.5) ? join(dirname(from), rng.pick(FILE_NAMES)) : join(this.randomDir(dirs), from.split('/').pop());
    if (to === from || files.includes(to)) return false;
    await mkdir(dirname(this.abs(to)), { recursive: true });
    try {
      await link(this.abs(from), this.abs(to));
    } catch (err) {
      if (errno(err) === 'EEXIST' || errno(err) === 'ENOENT') return false;
      throw err;
    }
    const st = await lstat(this.abs(to));
    const aside = await this.captureAside(from);
    if (aside !== undefined) {
      const asideSt = await lstat(aside);
      if (asideSt.ino !== st.ino) {
        // The engine replaced the old name between link and move: that other version was deleted by this edit.
        const other = await this.headerOf(aside).catch(() => undefined);
        if (other !== undefined) ledger.supersede(other, `${this.side} rename (replaced under it)`);
      }
      await rm(aside, { force: true, recursive: true });
    }
    const id = await this.headerOf(this.abs(to)).catch(() => undefined);
    if (id !== undefined) ledger.placed(id, to);
    ledger.op(this.side, 'renameFile', { from, to, v: id });
    return true;
  }

  async mkdir(files, dirs) {
    const { rng, ledger } = this.o;
    const parent = rng.chance(0.6) || dirs.length === 0 ? '' : rng.pick(dirs.filter((d) => !d.includes('/')).concat(['']));
    const rel = join(parent, parent === '' ? rng.pick(DIR_NAMES) : rng.pick(SUB_NAMES));
    if (dirs.includes(rel)) return false;
    await mkdir(this.abs(rel), { recursive: true });
    ledger.op(this.side, 'mkdir', { path: rel });
    const n = rng.int(0, 4);
    for (let i = 0; i < n; i++) await this.create([], [], rel).catch((err) => {
      if (!IGNORABLE.has(errno(err))) throw err;
    });
    return true;
  }

  /** A whole folder moved aside at once; only small folders, so the engine's mass-delete rail is not the subject. */
  async deleteDir(files, dirs) {
    const { rng, ledger } = this.o;
    const rel = rng.pick(dirs);
    const inside = files.filter((f) => f.startsWith(`${rel}/`)).length;
    if (inside > this.o.maxFolderDelete) return false;
    const aside = await this.captureAside(rel);
    if (aside === undefined) return false;
    await this.supersedeTree(aside, `deleteDir ${rel}`);
    ledger.op(this.side, 'deleteDir', { path: rel, files: inside });
    return true;
  }

  /** rename(2) of a folder fails on a non-empty target, so no version can be overwritten by it. */
  async renameDir(files, dirs) {
    const { rng, ledger } = this.o;
    const from = rng.pick(dirs);
    const parent = dirname(from) === '.' ? '' : dirname(from);
    const to = join(parent, parent === '' ? rng.pick(DIR_NAMES) : rng.pick(SUB_NAMES));
    if (to === from || dirs.includes(to) || files.includes(to) || to.startsWith(`${from}/`)) return false;
    await rename(this.abs(from), this.abs(to));
    const moved = await readdir(this.abs(to), { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of moved) {
      if (!e.isFile() || e.name.endsWith('.part') || e.name.startsWith('.stratus-tmp-')) continue;
      const abs = join(e.parentPath, e.name);
      const id = await this.headerOf(abs).catch(() => undefined);
      if (id !== undefined) ledger.placed(id, abs.slice(this.o.root.length + 1));
    }
    ledger.op(this.side, 'renameDir', { from, to, files: moved.filter((e) => e.isFile()).length });
    return true;
  }

  /** Notes (for the report) when the file we just wrote was replaced by someone else within moments. */
  async checkStillOurs(rel, ino, id) {
    const st = await lstat(this.abs(rel)).catch(() => undefined);
    if (st === undefined || st.ino !== ino) {
      this.o.ledger.note(id, `${this.side}: the file was replaced or removed right after this write (inode changed)`);
      this.o.ledger.op(this.side, 'raced-write', { path: rel, v: id });
    }
  }
}

/** Writes the starting tree (recorded as side `by`'s creates). */
export async function seedTree(root, ledger, rng, count, by) {
  for (let i = 0; i < count; i++) {
    const dir = i < 8 ? '' : join(DIR_NAMES[i % DIR_NAMES.length], i % 3 === 0 ? SUB_NAMES[i % SUB_NAMES.length] : '');
    const rel = i < HOT_NAMES.length ? HOT_NAMES[i] : join(dir, FILE_NAMES[i % FILE_NAMES.length].replace(/(\.[a-z]+)$/, `-${i}$1`));
    const { id, buf } = ledger.newVersion(by, rel, drawSize(rng, false));
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), buf);
    ledger.placed(id, rel);
  }
}
