// A third writer that edits the prefix directly with the AWS SDK (as another tool would:
// it never touches the head marker, so the clients see its writes only on a full
// listing). Every edit is conditional on the ETag it read, so its base is exact: a
// create is `If-None-Match: *`, an overwrite or delete is `If-Match` the ETag whose
// content it read, a rename is a conditional copy followed by a conditional delete.
import { createHash } from 'node:crypto';
import {
  CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3';
import { drawSize, FILE_NAMES, pickFile, pickName } from './localEditor.js';
import { versionOf } from './ledger.js';

const status = (err) => err?.$metadata?.httpStatusCode;
const md5 = (buf) => createHash('md5').update(buf).digest('hex');
const unquote = (etag) => (etag ?? '').replaceAll('"', '');

export class S3Editor {
  /** @param {{ side: string, client: import('@aws-sdk/client-s3').S3Client, bucket: string, prefix: string, ledger: any, rng: any, bigFiles: boolean }} o */
  constructor(o) {
    this.o = o;
    this.side = o.side;
    this.skipped = 0;
    this.failed = 0;
  }

  async list() {
    const out = [];
    let token;
    do {
      const page = await this.o.client.send(new ListObjectsV2Command({ Bucket: this.o.bucket, Prefix: this.o.prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const rel = o.Key.slice(this.o.prefix.length);
        if (rel === '' || rel.endsWith('/') || rel.startsWith('.stratus/')) continue;
        out.push(rel);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return out;
  }

  /** The version in an object and the ETag it was read at. */
  async read(rel) {
    const res = await this.o.client.send(new GetObjectCommand({ Bucket: this.o.bucket, Key: this.o.prefix + rel, Range: 'bytes=0-63' }));
    const head = Buffer.from(await res.Body.transformToByteArray());
    return { etag: res.ETag, base: versionOf(head) };
  }

  /** Whether the object now has this ETag (to tell whether a write that failed in transit landed after all). */
  async hasEtag(rel, etag) {
    try {
      const h = await this.o.client.send(new HeadObjectCommand({ Bucket: this.o.bucket, Key: this.o.prefix + rel }));
      return unquote(h.ETag) === unquote(etag);
    } catch {
      return false;
    }
  }

  async step() {
    const { rng } = this.o;
    let keys;
    try {
      keys = await this.list();
    } catch {
      this.failed++;
      return undefined;
    }
    const kind = rng.weighted({ create: 35, modify: keys.length ? 35 : 0, delete: keys.length ? 15 : 0, rename: keys.length ? 15 : 0 });
    try {
      const done = await this[kind](keys);
      if (!done) this.skipped++;
      return done ? kind : undefined;
    } catch (err) {
      if (status(err) === 412 || status(err) === 404 || status(err) === 409) {
        this.skipped++;
        return undefined;
      }
      this.failed++;
      this.o.ledger.op(this.side, `${kind}-failed`, { error: err?.name ?? String(err) });
      return undefined;
    }
  }

  dirOf(keys) {
    const dirs = [...new Set(keys.map((k) => k.split('/').slice(0, -1).join('/')))];
    return this.o.rng.pick(dirs.concat(['']));
  }

  async put(rel, buf, conditions) {
    try {
      await this.o.client.send(new PutObjectCommand({ Bucket: this.o.bucket, Key: this.o.prefix + rel, Body: buf, ...conditions }));
      return true;
    } catch (err) {
      if (status(err) === 412 || status(err) === 404) return false;
      // A fault may have cut the answer, not the write: look.
      if (await this.hasEtag(rel, md5(buf))) return true;
      throw err;
    }
  }

  async create(keys) {
    const { rng, ledger } = this.o;
    const dir = this.dirOf(keys);
    const rel = (dir ? `${dir}/` : '') + pickName(rng);
    if (keys.includes(rel)) return this.modify([rel]);
    const { id, buf } = ledger.newVersion(this.side, rel, drawSize(rng, this.o.bigFiles));
    if (!(await this.put(rel, buf, { IfNoneMatch: '*' }))) return false;
    ledger.placed(id, rel);
    ledger.op(this.side, 'create', { path: rel, v: id, size: buf.length });
    return true;
  }

  async modify(keys) {
    const { rng, ledger } = this.o;
    const rel = pickFile(rng, keys);
    const { etag, base } = await this.read(rel);
    const { id, buf } = ledger.newVersion(this.side, rel, drawSize(rng, this.o.bigFiles));
    if (!(await this.put(rel, buf, { IfMatch: etag }))) return false;
    if (base !== undefined) ledger.supersede(base, `${this.side} modify`);
    ledger.placed(id, rel);
    ledger.op(this.side, 'modify', { path: rel, v: id, base, size: buf.length });
    return true;
  }

  async delete(keys) {
    const { rng, ledger } = this.o;
    const rel = rng.pick(keys);
    const { etag, base } = await this.read(rel);
    try {
      await this.o.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.o.prefix + rel, IfMatch: etag }));
    } catch (err) {
      if (status(err) === 412 || status(err) === 404) return false;
      if (await this.hasEtag(rel, etag)) throw err;
    }
    if (base !== undefined) ledger.supersede(base, `${this.side} delete`);
    ledger.op(this.side, 'delete', { path: rel, base });
    return true;
  }

  async rename(keys) {
    const { rng, ledger } = this.o;
    const from = rng.pick(keys);
    const dir = rng.chance(0.5) ? from.split('/').slice(0, -1).join('/') : this.dirOf(keys);
    const to = (dir ? `${dir}/` : '') + rng.pick(FILE_NAMES);
    if (to === from || keys.includes(to)) return false;
    const { etag, base } = await this.read(from);
    const source = `${this.o.bucket}/${(this.o.prefix + from).split('/').map(encodeURIComponent).join('/')}`;
    try {
      await this.o.client.send(new CopyObjectCommand({ Bucket: this.o.bucket, Key: this.o.prefix + to, CopySource: source, CopySourceIfMatch: etag, IfNoneMatch: '*' }));
    } catch (err) {
      if (status(err) === 412 || status(err) === 404) return false;
      if (!(await this.hasEtag(to, etag))) throw err;
    }
    if (base !== undefined) ledger.placed(base, to);
    try {
      await this.o.client.send(new DeleteObjectCommand({ Bucket: this.o.bucket, Key: this.o.prefix + from, IfMatch: etag }));
    } catch (err) {
      // Changed meanwhile: the newer version stays under the old name, ours under the new one.
      if (status(err) !== 412 && status(err) !== 404 && (await this.hasEtag(from, etag))) {
        ledger.op(this.side, 'rename-half', { from, to, v: base });
        return true;
      }
    }
    ledger.op(this.side, 'rename', { from, to, v: base });
    return true;
  }
}
