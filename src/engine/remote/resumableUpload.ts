/**
 * resumableUpload: the multipart upload of a large file that survives a
 * failed request, a lost network or a killed process without sending again
 * what the server already has (issue 5, SCENARIOS 28 and 31).
 *
 * Written here rather than with lib-storage's `Upload`, which keeps its
 * UploadId and part ETags in memory only, aborts the upload on any error, and
 * offers no way to start from a ListParts answer. The small files and the
 * mid-sized ones (below `resumableThreshold`) still go through lib-storage.
 *
 *   1. The journal's record for the key is reused when it belongs to this very
 *      file version (path, size, mtime, inode, MD5, part size) and the server
 *      still has the upload (ListParts); a record for another version is
 *      aborted and forgotten.
 *   2. Otherwise CreateMultipartUpload, and the record is committed BEFORE the
 *      first part is sent, so a kill at any later moment leaves the upload
 *      findable (and abortable) by the next run.
 *   3. The file is read once, in order, by one reader, and each part is
 *      proved to be the scanned version (see sendParts: the scan's part MD5s,
 *      else a whole-file MD5). A part the server already holds (listed by
 *      ListParts, recorded by us, and whose ETag equals the part's MD5 when the
 *      ETag is an MD5) is skipped; others are sent with Content-MD5, at most
 *      `queueSize` at a time, in part order, and each acknowledged part is
 *      committed to the journal. The hashing runs on worker threads
 *      (src/engine/hash). Memory stays at about (queueSize + 1) × partSize.
 *   4. Before CompleteMultipartUpload: the whole-file MD5 must match and the
 *      WriteGuard's recheck runs (conditions on servers that ignore them).
 *      A Complete whose answer was lost and that the server already executed
 *      (NoSuchUpload on the retry) is recognised by the object's ETag.
 *   5. Success or a failure that makes the upload useless (the file changed,
 *      the remote object changed: 412, the server refused the parts) aborts
 *      the upload (unless completed) and forgets the record. Any other failure
 *      (network, 5xx, expired credentials, the caller's abort) keeps both, to
 *      resume.
 */
import { createHash } from 'node:crypto';
import { open, type FileHandle } from 'node:fs/promises';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand,
  ListMultipartUploadsCommand, ListPartsCommand, UploadPartCommand, type ListPartsCommandOutput,
} from '@aws-sdk/client-s3';
import { isPlainMd5Etag, unquoteEtag } from '../../core/model.js';
import { hashPool, SharedBufferPool, type Digests, type HashAlgorithm } from '../hash/hashPool.js';
import { scannedPartMd5s } from '../hash/partHashes.js';
import { isStratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import type { MultipartJournal, MultipartUploadRecord, UploadedPart, UploadRequest } from '../ports.js';
import { FileContentChangedError } from './fileStreams.js';
import { isNotFound, isPreconditionFailed, s3ErrorName } from './s3Errors.js';
import { choosePartSize, uploadMetadata } from './s3Metadata.js';
import type { FileIdentity, SentConditions, UploadTarget } from './s3Transfers.js';

export interface ResumableTarget extends UploadTarget {
  readonly journal: MultipartJournal;
  readonly log?: Logger;
  /** Waits until `bytes` may be sent (a bandwidth limit); resolves at once without one. */
  readonly pace?: (bytes: number, signal?: AbortSignal) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Counters of one call, for tests and logs: what was sent and what the server already had. */
export interface ResumableOutcome {
  readonly etag: string;
  readonly resumed: boolean;
  readonly partsSent: number;
  readonly partsSkipped: number;
}

/** Errors after which the upload can never complete: abort it and start afresh next time. */
function makesUploadUseless(err: unknown): boolean {
  if (err instanceof FileContentChangedError) return true;
  if (isPreconditionFailed(err)) return true;
  if (isStratusError(err) && (err.code === 'remote-changed' || err.code === 'file-changed-during-upload')) return true;
  const name = s3ErrorName(err);
  return name === 'InvalidPart' || name === 'InvalidPartOrder' || name === 'EntityTooSmall' || name === 'NoSuchUpload';
}

function sendOptions(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal === undefined ? {} : { abortSignal: signal };
}

export async function putResumable(
  target: ResumableTarget,
  request: UploadRequest,
  identity: FileIdentity,
  conditions: SentConditions,
  beforeComplete: () => Promise<void>,
): Promise<ResumableOutcome> {
  const { client, bucket, journal } = target;
  const now = target.now ?? Date.now;
  const partSize = choosePartSize(request.size, target.partSize);
  const partCount = Math.max(1, Math.ceil(request.size / partSize));

  // 1. Resume what the journal knows, if it is this file version and the server still has it.
  let uploadId: string | undefined;
  let held = new Map<number, UploadedPart>();
  let recorded = await journal.loadMultipartUpload(request.key);
  if (recorded?.upload.uploadId === PENDING) recorded = await adoptPending(target, recorded.upload, request.signal);
  if (recorded !== undefined) {
    const r = recorded.upload;
    const same = r.filePath === request.filePath && r.size === request.size && r.mtimeMs === request.mtimeMs &&
      r.inode === identity.ino && r.md5 === request.md5 && r.partSize === partSize;
    if (same) {
      const listed = await listParts(target, request.key, r.uploadId, request.signal);
      if (listed === undefined) {
        await journal.forgetMultipartUpload(request.key);
      } else {
        uploadId = r.uploadId;
        const mine = new Map(recorded.parts.map((p) => [p.partNumber, p]));
        // Only parts both sides agree on: listed by the server with the ETag we were given for them.
        for (const part of listed) {
          if (mine.get(part.partNumber)?.etag === part.etag) held.set(part.partNumber, part);
        }
        target.log?.info('resuming a multipart upload', { key: request.key, partsHeld: held.size, partCount });
      }
    } else {
      await abortQuietly(target, request.key, r.uploadId);
      await journal.forgetMultipartUpload(request.key);
    }
  }

  // 2. A new upload, recorded before any part leaves. The record is written first as "pending", so a
  //    process killed between Create's answer and the journal's commit leaves an upload the next run adopts.
  if (uploadId === undefined) {
    held = new Map();
    const record = {
      key: request.key, uploadId: PENDING, filePath: request.filePath, size: request.size, mtimeMs: request.mtimeMs,
      inode: identity.ino, md5: request.md5, partSize, createdAt: now(),
    };
    await journal.beginMultipartUpload(record);
    const created = await client.send(new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: request.key,
      Metadata: uploadMetadata(request.md5, request.mtimeMs),
    }), sendOptions(request.signal));
    if (created.UploadId === undefined || created.UploadId === '') throw new Error('CreateMultipartUpload returned no UploadId');
    uploadId = created.UploadId;
    await journal.beginMultipartUpload({ ...record, uploadId });
  }
  const id = uploadId;
  const resumed = held.size > 0;

  try {
    const { parts, sent, skipped } = await sendParts(target, request, id, partSize, partCount, held);
    await beforeComplete();
    const etag = await complete(target, request, id, parts, conditions);
    await journal.forgetMultipartUpload(request.key);
    return { etag, resumed, partsSent: sent, partsSkipped: skipped };
  } catch (err) {
    if (makesUploadUseless(err)) {
      await abortQuietly(target, request.key, id);
      await journal.forgetMultipartUpload(request.key).catch(() => undefined);
    }
    throw err;
  }
}

/** The upload id of a record written before CreateMultipartUpload was sent (see putResumable, step 2). */
const PENDING = '';
/** S3 refuses requests whose clock is further off than this: an upload we created lies within it of our record. */
const MAX_CLOCK_SKEW_MS = 15 * 60_000;

/**
 * A pending record: the previous process may have died after CreateMultipartUpload
 * succeeded but before it recorded the id. If the server has exactly one upload of
 * this key begun around the record's time, it is that one (no part of it was sent:
 * parts go only after the id is recorded) and is adopted; with none or several, the
 * record is dropped and a new upload begins (stale-upload cleanup takes any orphan).
 */
async function adoptPending(
  target: ResumableTarget, pending: MultipartUploadRecord, signal?: AbortSignal,
): Promise<{ readonly upload: MultipartUploadRecord; readonly parts: UploadedPart[] } | undefined> {
  let candidates: string[] = [];
  try {
    const out = await target.client.send(new ListMultipartUploadsCommand({ Bucket: target.bucket, Prefix: pending.key }), sendOptions(signal));
    candidates = (out.Uploads ?? [])
      .filter((u) => u.Key === pending.key && u.UploadId !== undefined && u.Initiated !== undefined &&
        Math.abs(u.Initiated.getTime() - pending.createdAt) <= MAX_CLOCK_SKEW_MS)
      .map((u) => u.UploadId ?? '');
  } catch (err) {
    target.log?.debug('could not look for an upload begun before a crash', { key: pending.key, error: s3ErrorName(err) ?? String(err) });
  }
  if (candidates.length !== 1) {
    await target.journal.forgetMultipartUpload(pending.key);
    return undefined;
  }
  const upload = { ...pending, uploadId: candidates[0] ?? '' };
  await target.journal.beginMultipartUpload(upload);
  target.log?.info('adopted a multipart upload begun before a crash', { key: pending.key });
  return { upload, parts: [] };
}

/** Every part of `uploadId` (paginated), or undefined when the server no longer has the upload. */
async function listParts(target: ResumableTarget, key: string, uploadId: string, signal?: AbortSignal): Promise<UploadedPart[] | undefined> {
  const parts: UploadedPart[] = [];
  let marker: string | undefined;
  for (let page = 0; page < 20; page += 1) {
    let out: ListPartsCommandOutput;
    try {
      out = await target.client.send(new ListPartsCommand({
        Bucket: target.bucket, Key: key, UploadId: uploadId, ...(marker === undefined ? {} : { PartNumberMarker: marker }),
      }), sendOptions(signal));
    } catch (err) {
      if (isNotFound(err) || s3ErrorName(err) === 'NoSuchUpload') return undefined;
      throw err;
    }
    for (const p of out.Parts ?? []) {
      if (p.PartNumber !== undefined && p.ETag !== undefined) parts.push({ partNumber: p.PartNumber, etag: unquoteEtag(p.ETag), size: p.Size ?? 0 });
    }
    const next = out.NextPartNumberMarker;
    if (out.IsTruncated !== true || next === undefined || next === marker) return parts;
    marker = next;
  }
  return parts; // 20 pages × 1,000 parts covers S3's 10,000-part limit twice over.
}

interface SentParts {
  readonly parts: Map<number, string>;
  readonly sent: number;
  readonly skipped: number;
}

/** What each part sent carries besides its Content-MD5 (decided once per upload, see partHashes). */
interface PartHashPlan {
  readonly algorithms: readonly HashAlgorithm[];
  /** The SDK would add a CRC32 per part (checksum mode WHEN_SUPPORTED): it is computed with the MD5 instead. */
  readonly crc32: boolean;
  /** Parts go through the lean PUT (leanPut.ts) with UNSIGNED-PAYLOAD and no CRC32; the SDK only when it fails. */
  readonly lean: boolean;
}

/**
 * The hashes each part needs, all computed in one pass on a hash worker
 * (src/engine/hash/hashPool.ts) instead of by the SDK on the main thread.
 * Every part carries its MD5 as Content-MD5, which the server verifies (and
 * which is compared with a held part's ETag). Beyond that:
 *  - on a path-style custom endpoint (the lean PUT): nothing. The payload is
 *    signed as UNSIGNED-PAYLOAD: the signature covers Content-MD5, and the
 *    server refuses a body that does not match it (BadDigest), so a SHA-256 of
 *    the payload (for SigV4) and a CRC32 (the SDK's flexible checksum) would
 *    only prove the same thing again — at a cost, on both sides: measured on a
 *    512 MiB upload to the sandbox, SHA-256 ≈ 0.5 s and CRC32 ≈ 0.3 s of CPU
 *    in the client and as much again in a server that verifies them, on a
 *    machine where client and server share two cores (issue 4, (b) up);
 *  - through the SDK (AWS's endpoints, and the fallback): SHA-256 for the
 *    SigV4 payload hash, handed to the signer in `x-amz-content-sha256`; and
 *    CRC32 exactly when the SDK would have added it itself (its checksum mode
 *    is WHEN_SUPPORTED, not switched off for a server that refuses checksums,
 *    see EndpointCapabilities.setRequestChecksumMode), so those requests are
 *    what the SDK sends.
 */
async function partHashes(target: ResumableTarget): Promise<PartHashPlan> {
  if (target.lean !== undefined && (await target.lean.available())) return { algorithms: ['md5'], crc32: false, lean: true };
  const mode = await target.client.config.requestChecksumCalculation();
  const crc = mode === 'WHEN_SUPPORTED';
  return { algorithms: crc ? ['md5', 'sha256', 'crc32'] : ['md5', 'sha256'], crc32: crc, lean: false };
}

/**
 * Lets parts go out in part order, at most `limit` at a time, although their
 * hashes (on the workers) may finish in any order: part n enters after part
 * n - 1 entered or passed (skipped). `open` lets everyone through (after a
 * failure nobody may wait for a part that will never come).
 */
class PartGate {
  private next = 1;
  private active = 0;
  private opened = false;
  private waiters: (() => void)[] = [];
  constructor(private readonly limit: number) {}

  private async turn(n: number, slot: boolean): Promise<void> {
    while (!this.opened && !(this.next === n && (!slot || this.active < this.limit))) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    if (this.opened) return;
    this.next += 1;
    if (slot) this.active += 1;
    this.wake();
  }

  /** Waits for part n's turn and a free slot; call `leave` when its request is done. */
  enter(n: number): Promise<void> {
    return this.turn(n, true);
  }

  /** Part n goes without a request (held by the server): the next part may enter. */
  pass(n: number): Promise<void> {
    return this.turn(n, false);
  }

  leave(): void {
    this.active -= 1;
    this.wake();
  }

  open(): void {
    this.opened = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/**
 * Reads the file once, in order, into a few reused shared buffers; skips the
 * parts the server holds and sends the rest, at most `queueSize` at a time.
 *
 * The hashing runs on the hash workers (issue 4, scenario (b)) while the main
 * thread reads the next part and sends the previous ones. What proves that the
 * bytes sent are the version the engine scanned (`request.md5`), one of:
 *  - the scan's part MD5s (partHashes.ts: computed in the same pass over the same
 *    bytes as `request.md5`). Each part goes with the scan's MD5 of that part as
 *    its Content-MD5 and is accepted only when the server's part ETag equals it,
 *    or else when the part's own MD5 does (sendScanned). All parts equal to the
 *    scan's means the same bytes as the scan's, whose MD5 is `request.md5`: a
 *    second whole-file MD5 would only recompute that value, and where the ETags
 *    are MD5s not even the parts are hashed again here (the server hashes them);
 *  - otherwise (no record: the MD5 came from the journal's hash cache, another
 *    part size, a new process), each part's MD5 is its Content-MD5 and the
 *    whole-file MD5, on one worker fed the parts in file order, must equal
 *    `request.md5` before Complete.
 * Memory: `queueSize + 1` part buffers, as before.
 */
async function sendParts(
  target: ResumableTarget, request: UploadRequest, uploadId: string, partSize: number, partCount: number, held: ReadonlyMap<number, UploadedPart>,
): Promise<SentParts> {
  const parts = new Map<number, string>();
  const hashes = hashPool();
  const plan = await partHashes(target);
  const scanned = scannedPartMd5s(request.filePath, request.size, request.md5, partSize);
  const whole = scanned?.length === partCount ? undefined : hashes.md5Stream();
  const buffers = new SharedBufferPool(Math.min(partSize, Math.max(1, request.size)), target.queueSize + 1);
  const sending = new PartGate(target.queueSize);
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  let sent = 0;
  let skipped = 0;
  let bytesDone = 0;
  const progress = (bytes: number): void => {
    bytesDone += bytes;
    request.onProgress?.(bytesDone);
  };

  const partChanged = (n: number): FileContentChangedError => new FileContentChangedError(`part ${n} differs from the scanned content`);

  /**
   * Sends part n with the scan's MD5 of that part as its Content-MD5, without
   * hashing it here: the server refuses other bytes (BadDigest), and its answer
   * is checked before the part is recorded. The part's ETag is the MD5 of the
   * bytes the server stored (AWS without SSE-KMS, Ceph, MinIO, the sandbox):
   * equal to the scan's, the server holds the scanned bytes, which also covers
   * a server that would ignore Content-MD5. Any other answer (an SSE-KMS part's
   * ETag, which is no MD5, or BadDigest) has the part hashed here after all, as
   * every part was before: bytes other than the scanned ones are a changed file;
   * the scanned ones, sent with their Content-MD5, are what was always accepted.
   */
  const sendScanned = async (n: number, body: Buffer, expected: Buffer, digests: Digests): Promise<string> => {
    const ownMd5 = async (): Promise<Buffer | undefined> => (await hashes.digest(body, ['md5'])).md5;
    const check = async (etag: string): Promise<void> => {
      if (isPlainMd5Etag(etag) && etag === expected.toString('hex')) return;
      const own = await ownMd5();
      if (own === undefined || !own.equals(expected)) throw partChanged(n);
    };
    try {
      return await sendPart(target, request, uploadId, n, body, expected, digests, plan, check);
    } catch (err) {
      if (s3ErrorName(err) === 'BadDigest') {
        const own = await ownMd5();
        if (own === undefined || !own.equals(expected)) throw partChanged(n);
      }
      throw err;
    }
  };

  /** Hashes part `n` (already read into `buffer`), then skips or sends it; gives the buffer back when both hashes are done with it. */
  const handle = async (n: number, buffer: Buffer, body: Buffer, wholeDone: Promise<void>): Promise<void> => {
    try {
      const have = held.get(n);
      // With the scan's part MD5s, a part to send needs no MD5 of its own: see `sendScanned`.
      const expected = whole === undefined ? scanned?.[n - 1] : undefined;
      if (whole === undefined && expected === undefined) throw new Error(`no scanned MD5 for part ${n}`);
      if (expected !== undefined && have === undefined) {
        const digests = await hashes.digest(body, plan.algorithms.filter((a) => a !== 'md5'));
        await sending.enter(n);
        try {
          if (failure !== undefined) return;
          const etag = await sendScanned(n, body, expected, digests);
          parts.set(n, etag);
          sent += 1;
          progress(body.length);
        } finally {
          sending.leave();
        }
        return;
      }
      const digests = await hashes.digest(body, have === undefined ? plan.algorithms : ['md5']);
      const md5 = digests.md5;
      if (md5 === undefined) throw new Error('the hash worker returned no MD5');
      if (expected !== undefined && !expected.equals(md5)) throw partChanged(n);
      // A held part is trusted when its size fits and, where its ETag is an MD5 (no SSE-KMS), it is these very bytes.
      if (have !== undefined && have.size === body.length && (!isPlainMd5Etag(have.etag) || have.etag === md5.toString('hex'))) {
        await sending.pass(n);
        parts.set(n, have.etag);
        skipped += 1;
        progress(body.length);
        return;
      }
      const full = have === undefined ? digests : await hashes.digest(body, plan.algorithms);
      await sending.enter(n);
      try {
        if (failure !== undefined) return;
        const etag = await sendPart(target, request, uploadId, n, body, md5, full, plan);
        parts.set(n, etag);
        sent += 1;
        progress(body.length);
      } finally {
        sending.leave();
      }
    } catch (error) {
      failure ??= { error };
      sending.open();
    } finally {
      // The whole-file hash may still be reading these bytes: the buffer is reused only after it is done.
      await wholeDone.catch((error: unknown) => {
        failure ??= { error };
        sending.open();
      });
      buffers.give(buffer);
    }
  };

  const file = await openForUpload(request);
  try {
    for (let n = 1; n <= partCount && failure === undefined; n += 1) {
      request.signal?.throwIfAborted();
      const offset = (n - 1) * partSize;
      const length = Math.min(partSize, request.size - offset);
      const buffer = await buffers.take();
      let body: Buffer;
      try {
        body = await readExactly(file, buffer, offset, length);
      } catch (err) {
        buffers.give(buffer);
        throw err;
      }
      if (failure !== undefined) {
        buffers.give(buffer);
        break;
      }
      // Updates are given in file order; the stream's worker hashes them in that order.
      const wholeDone = whole === undefined ? Promise.resolve() : whole.update(body);
      const job: Promise<void> = handle(n, buffer, body, wholeDone).finally(() => inFlight.delete(job));
      inFlight.add(job);
    }
  } catch (err) {
    failure ??= { error: err };
  } finally {
    if (failure !== undefined) sending.open();
    await Promise.all(inFlight);
    await file.close().catch(() => undefined);
  }
  if (failure !== undefined) {
    whole?.drop();
    throw failure.error;
  }
  if (whole !== undefined && (await whole.digest()).toString('hex') !== request.md5) {
    throw new FileContentChangedError('content MD5 differs from the scanned one');
  }
  return { parts, sent, skipped };
}

async function sendPart(
  target: ResumableTarget, request: UploadRequest, uploadId: string, partNumber: number, body: Buffer, md5: Buffer,
  digests: Digests, plan: PartHashPlan, check?: (etag: string) => Promise<void>,
): Promise<string> {
  await target.pace?.(body.length, request.signal);
  const lean = plan.lean && target.lean !== undefined
    ? await target.lean.put({
      key: request.key,
      body,
      contentMd5: md5.toString('base64'),
      metadata: {},
      query: { partNumber: String(partNumber), uploadId },
      unsignedPayload: true,
      ...(request.signal === undefined ? {} : { signal: request.signal }),
    })
    : undefined;
  let etag = lean;
  if (etag === undefined) {
    etag = await sendPartWithSdk(target, request, uploadId, partNumber, body, md5, digests, plan);
    if (plan.lean) target.lean?.fallbackWorked();
  }
  if (etag === '') throw new Error(`UploadPart ${partNumber} returned no ETag`);
  await check?.(etag);
  // Committed before the part counts as done: a kill after this line does not send the part again.
  await target.journal.putMultipartPart(request.key, uploadId, { partNumber, etag, size: body.length });
  return etag;
}

/** The UploadPart through the SDK (its retries and error mapping); the payload hash and CRC32 come from the workers when computed. */
async function sendPartWithSdk(
  target: ResumableTarget, request: UploadRequest, uploadId: string, partNumber: number, body: Buffer, md5: Buffer, digests: Digests, plan: PartHashPlan,
): Promise<string> {
  const command = new UploadPartCommand({
    Bucket: target.bucket,
    Key: request.key,
    UploadId: uploadId,
    PartNumber: partNumber,
    Body: body,
    ContentLength: body.length,
    // The server refuses a part damaged on the way (BadDigest); the SDK then retries it.
    ContentMD5: md5.toString('base64'),
    ...(plan.crc32 && digests.crc32 !== undefined ? { ChecksumCRC32: crc32Base64(digests.crc32) } : {}),
  });
  if (digests.sha256 !== undefined) withPayloadHash(command, digests.sha256.toString('hex'));
  const out = await target.client.send(command, sendOptions(request.signal));
  return unquoteEtag(out.ETag ?? '');
}

/** S3's spelling of a CRC32: the 4 bytes, big-endian, in base64. */
function crc32Base64(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return bytes.toString('base64');
}

/**
 * Gives the SigV4 signer the payload's SHA-256, computed on a hash worker: the
 * signer uses an `x-amz-content-sha256` header it finds instead of hashing the
 * body on the main thread (@smithy/signature-v4 getPayloadHash). Added at the
 * build step, so it is in place before signing and on every retry.
 */
function withPayloadHash(command: UploadPartCommand, sha256Hex: string): void {
  command.middlewareStack.add((next) => async (args) => {
    const request = args.request as { headers?: Record<string, string> };
    if (request.headers !== undefined) request.headers['x-amz-content-sha256'] = sha256Hex;
    return next(args);
  }, { step: 'build', name: 'stratusPayloadSha256', override: true });
}

async function complete(
  target: ResumableTarget, request: UploadRequest, uploadId: string, parts: ReadonlyMap<number, string>, conditions: SentConditions,
): Promise<string> {
  const ordered = [...parts.entries()].sort((a, b) => a[0] - b[0]);
  try {
    const out = await target.client.send(new CompleteMultipartUploadCommand({
      Bucket: target.bucket,
      Key: request.key,
      UploadId: uploadId,
      MultipartUpload: { Parts: ordered.map(([PartNumber, etag]) => ({ PartNumber, ETag: `"${etag}"` })) },
      ...(conditions.ifMatch === undefined ? {} : { IfMatch: conditions.ifMatch }),
      ...(conditions.ifNoneMatch === true ? { IfNoneMatch: '*' } : {}),
    }), sendOptions(request.signal));
    return unquoteEtag(out.ETag ?? '');
  } catch (err) {
    // The SDK retries a Complete whose answer was lost; if the first one went through, the retry finds no upload.
    if (s3ErrorName(err) === 'NoSuchUpload') {
      const expected = multipartEtagOf(ordered.map(([, etag]) => etag));
      const current = await target.client.send(new HeadObjectCommand({ Bucket: target.bucket, Key: request.key }), sendOptions(request.signal)).catch(() => undefined);
      const etag = unquoteEtag(current?.ETag ?? '');
      if (expected !== undefined && etag === expected) return etag;
    }
    throw err;
  }
}

/** S3's ETag of a completed multipart object: MD5 of the parts' binary MD5s, "-N"; undefined when a part ETag is no MD5. */
function multipartEtagOf(partEtags: readonly string[]): string | undefined {
  if (!partEtags.every(isPlainMd5Etag)) return undefined;
  const hash = createHash('md5');
  for (const etag of partEtags) hash.update(Buffer.from(etag, 'hex'));
  return `${hash.digest('hex')}-${partEtags.length}`;
}

export async function abortQuietly(target: Pick<ResumableTarget, 'client' | 'bucket' | 'log'>, key: string, uploadId: string): Promise<void> {
  try {
    await target.client.send(new AbortMultipartUploadCommand({ Bucket: target.bucket, Key: key, UploadId: uploadId }));
  } catch (err) {
    // Already gone is what we wanted; anything else is left for the stale-upload cleanup.
    if (!isNotFound(err) && s3ErrorName(err) !== 'NoSuchUpload') target.log?.warn('could not abort a multipart upload', { key, error: s3ErrorName(err) ?? String(err) });
  }
}

async function openForUpload(request: UploadRequest): Promise<FileHandle> {
  try {
    return await open(request.filePath, 'r');
  } catch (err) {
    throw new FileContentChangedError(`cannot open the file: ${(err as { code?: string }).code ?? String(err)}`);
  }
}

/** Reads `length` bytes at `offset` into the start of `into`; returns that view. */
async function readExactly(file: FileHandle, into: Buffer, offset: number, length: number): Promise<Buffer> {
  const data = into.subarray(0, length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await file.read(data, done, length - done, offset + done);
    if (bytesRead === 0) throw new FileContentChangedError(`the file ended after ${offset + done} bytes`);
    done += bytesRead;
  }
  return data;
}

export interface StaleUploadOptions {
  /** The user's prefix: only uploads under it are looked at. */
  readonly prefix: string;
  /** Ask the server (ListMultipartUploads) too, not only the journal. */
  readonly askServer: boolean;
  /** An upload of this prefix the journal does not know is aborted once older than this (it may be another device's). */
  readonly staleAfterMs: number;
  readonly now: number;
  /** Whether the local file of a record is still the version being uploaded. */
  readonly stillCurrent: (record: { readonly filePath: string; readonly size: number; readonly mtimeMs: number; readonly inode: number }) => Promise<boolean>;
  readonly signal?: AbortSignal;
}

/**
 * Cleans up after uploads that will never complete: recorded uploads whose
 * file changed or vanished (aborted and forgotten), records the server no
 * longer has (forgotten), and — when `askServer` — uploads under the prefix
 * that nobody recorded and that are older than `staleAfterMs` (aborted; they
 * cost storage until a lifecycle rule removes them). Best effort: a server
 * that refuses the listing only loses the last part.
 */
export async function cleanStaleUploads(
  target: Pick<ResumableTarget, 'client' | 'bucket' | 'journal' | 'log'>, options: StaleUploadOptions,
): Promise<{ readonly aborted: number; readonly forgotten: number }> {
  let aborted = 0;
  let forgotten = 0;
  const records = await target.journal.loadMultipartUploads();
  const live = new Map<string, string>();
  for (const record of records) {
    if (await options.stillCurrent(record)) {
      live.set(record.uploadId, record.key);
      continue;
    }
    if (record.uploadId !== PENDING) await abortQuietly(target, record.key, record.uploadId);
    await target.journal.forgetMultipartUpload(record.key);
    aborted += 1;
  }
  if (!options.askServer) return { aborted, forgotten };

  const listed = new Set<string>();
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  try {
    for (;;) {
      const out = await target.client.send(new ListMultipartUploadsCommand({
        Bucket: target.bucket,
        Prefix: options.prefix,
        ...(keyMarker === undefined ? {} : { KeyMarker: keyMarker }),
        ...(uploadIdMarker === undefined ? {} : { UploadIdMarker: uploadIdMarker }),
      }), sendOptions(options.signal));
      for (const upload of out.Uploads ?? []) {
        if (upload.Key === undefined || upload.UploadId === undefined || !upload.Key.startsWith(options.prefix)) continue;
        listed.add(upload.UploadId);
        if (live.has(upload.UploadId)) continue;
        const initiated = upload.Initiated?.getTime();
        if (initiated !== undefined && options.now - initiated > options.staleAfterMs) {
          await abortQuietly(target, upload.Key, upload.UploadId);
          aborted += 1;
        }
      }
      if (out.IsTruncated !== true || (out.NextKeyMarker === keyMarker && out.NextUploadIdMarker === uploadIdMarker)) break;
      keyMarker = out.NextKeyMarker;
      uploadIdMarker = out.NextUploadIdMarker;
    }
  } catch (err) {
    target.log?.warn('could not list the multipart uploads in progress', { error: s3ErrorName(err) ?? String(err) });
    return { aborted, forgotten };
  }
  // The listing was complete: a recorded upload the server does not have any more cannot be resumed.
  for (const [uploadId, key] of live) {
    if (listed.has(uploadId)) continue;
    await target.journal.forgetMultipartUpload(key);
    forgotten += 1;
  }
  return { aborted, forgotten };
}
