/**
 * Endpoint capabilities: what an S3 server really does with the requests the
 * engine relies on, measured instead of assumed (issue 10). `--endpoint` can
 * point at anything that speaks S3 (Ceph RGW, MinIO, R2, B2, OVH…), and each
 * of them departs from AWS somewhere; a precondition a server silently
 * ignores would turn a conflict into an overwrite.
 *
 * `probeCapabilities` runs a short scripted sequence under the user's own
 * prefix, on scratch keys `<prefix>.stratus/probe-<uuid>-<role>` (the engine
 * never syncs `<prefix>.stratus/`), and deletes every key it wrote — on
 * failure too. Cost: about 28 requests and one 5 MiB part.
 *
 * Persisted (journal meta `capabilities:<endpoint>|<bucket>`, written by
 * S3RemoteStore.prepare), one JSON object:
 *
 *   { "version": 1, "probedAt": "2025-01-01T00:00:00.000Z",
 *     "endpoint": "http://127.0.0.1:7480", "bucket": "stratus",
 *     "conditionalCreate": "honoured", "conditionalOverwrite": "unquoted",
 *     "conditionalDelete": "ignored", "conditionalCopy": "ignored",
 *     "conditionalComplete": "ignored", "multipartEtag": "missing",
 *     "defaultChecksums": "accepted", "listPagination": "honoured" }
 *
 * A different `version` (or anything unparsable) is treated as absent, so a
 * newer Stratus re-probes rather than misreading an old record.
 */
import { randomUUID } from 'node:crypto';
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, UploadPartCommand, type S3Client,
} from '@aws-sdk/client-s3';
import { unquoteEtag } from '../../core/model.js';
import type { Logger } from '../logger.js';
import { nextAttemptDelayMs } from '../retryPolicy.js';
import { httpStatus, isNotImplemented, isPreconditionFailed, s3ErrorName } from './s3Errors.js';
import { copySource, MIN_PART_SIZE, quoteEtag } from './s3Metadata.js';
import {
  CAPABILITIES_VERSION, setRequestChecksumMode,
  type CapabilityName, type ChecksumMode, type ConditionalComplete, type ConditionalCopy, type ConditionalCreate, type ConditionalDelete,
  type ConditionalOverwrite, type DefaultChecksums, type EndpointCapabilities, type ListPagination, type MultipartEtag,
} from './EndpointCapabilities.js';

export * from './EndpointCapabilities.js';

export interface CapabilityProbe {
  readonly capabilities: EndpointCapabilities;
  /** What the server answered, per capability, in a few words (for `stratus doctor` and logs). */
  readonly evidence: Readonly<Record<CapabilityName, string>>;
}

export interface ProbeOptions {
  /** Names the server in the result and the cache key (e.g. `http://127.0.0.1:7480`). */
  readonly endpoint: string;
  readonly signal?: AbortSignal;
  /** @default () => new Date() */
  readonly now?: () => Date;
  readonly log?: Logger;
}

/** A probe step failed for a reason other than the capability under test (denied, unreachable…). */
export class ProbeFailedError extends Error {
  override readonly name = 'ProbeFailedError';
  constructor(readonly step: string, cause: unknown) {
    super(`capability probe failed at "${step}"`, { cause });
  }
}


async function currentChecksumMode(client: S3Client): Promise<string> {
  return client.config.requestChecksumCalculation();
}

/** Errors a server gives to a request feature it does not take (rather than to the request itself). */
function isRefusal(err: unknown): boolean {
  const status = httpStatus(err);
  return isNotImplemented(err) || status === 400;
}

const MULTIPART_FIRST_PART = MIN_PART_SIZE;

/**
 * Probes `client`'s server under `prefix` (ends with '/' or is '') and
 * returns what it found. Throws ProbeFailedError when a step fails for
 * another reason (access denied, server error, abort); the scratch keys are
 * deleted either way. Leaves the client's checksum mode as the probe found
 * it, except that it switches to WHEN_REQUIRED when the default is refused.
 */
export async function probeCapabilities(client: S3Client, bucket: string, prefix: string, options: ProbeOptions): Promise<CapabilityProbe> {
  const base = `${prefix}.stratus/probe-${randomUUID()}`;
  const written = new Set<string>();
  const uploads = new Map<string, string>();
  const send = options.signal === undefined ? {} : { abortSignal: options.signal };
  const evidence: Partial<Record<CapabilityName, string>> = {};

  /**
   * Set by the first part of the probe that fails: the other parts stop at their next request (not in
   * the middle of one: an interrupted CreateMultipartUpload could leave an upload nobody knows of).
   */
  let stopped: { readonly error: unknown } | undefined;
  const stopIfFailed = (): void => {
    if (stopped !== undefined) throw PROBE_STOPPED;
  };
  async function step<T>(name: string, run: () => Promise<T>): Promise<T> {
    stopIfFailed();
    try {
      return await run();
    } catch (err) {
      throw new ProbeFailedError(name, err);
    }
  }
  /** Runs a request whose failure is part of the answer: returns the error instead of throwing it. */
  async function attempt<T>(run: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
    stopIfFailed();
    try {
      return { ok: true, value: await run() };
    } catch (error) {
      options.signal?.throwIfAborted();
      return { ok: false, error };
    }
  }
  const put = (key: string, body: string, extra: { IfMatch?: string; IfNoneMatch?: string } = {}): Promise<string> =>
    client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.from(body), ...extra }), send).then((out) => {
      written.add(key);
      return unquoteEtag(out.ETag ?? '');
    });
  const head = (key: string): Promise<string | undefined> =>
    client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), send).then(
      (out) => unquoteEtag(out.ETag ?? ''),
      (err: unknown) => {
        if (httpStatus(err) === 404) return undefined;
        throw err;
      },
    );
  const unexpected = (what: string, err: unknown): ProbeFailedError => new ProbeFailedError(what, err);
  const describe = (err: unknown): string => `${httpStatus(err) ?? '?'} ${s3ErrorName(err) ?? 'error'}`;

  const originalMode = await currentChecksumMode(client);
  try {
    // ── checksums first: every later PUT must travel in a form the server takes ──
    const checksumKey = `${base}-checksum`;
    setRequestChecksumMode(client, 'WHEN_SUPPORTED');
    const withDefault = await attempt(() => put(checksumKey, 'stratus capability probe: checksum'));
    let defaultChecksums: DefaultChecksums = 'accepted';
    setRequestChecksumMode(client, 'WHEN_REQUIRED');
    const withRequired = await attempt(() => put(checksumKey, 'stratus capability probe: checksum'));
    if (!withDefault.ok) {
      if (!withRequired.ok || !isRefusal(withDefault.error)) throw unexpected('checksum headers', withDefault.error);
      defaultChecksums = 'rejected';
      evidence.defaultChecksums = `CRC32 headers refused (${describe(withDefault.error)}); accepted without them`;
    } else if (!withRequired.ok) {
      throw unexpected('PutObject without checksum headers', withRequired.error);
    } else {
      evidence.defaultChecksums = 'CRC32 headers accepted';
    }
    // The rest of the probe (and, through the store, every later request) uses what worked.
    setRequestChecksumMode(client, defaultChecksums === 'accepted' ? (originalMode as ChecksumMode) : 'WHEN_REQUIRED');

    // ── three independent parts, each on keys of its own, sent at the same time: within a part the
    //    requests depend on each other, across parts they do not. ≈ 15 round trips after the checksum
    //    step instead of ≈ 28 one after another (issue 4: the probe of a folder's first sync is waited
    //    for before anything is transferred; 0.3 s on loopback, seconds over a WAN) ──
    const writeKey = `${base}-write`;
    /** An ETag no object has: the stale condition of every conditional request. */
    const stale = 'ffffffffffffffffffffffffffffffff';
    const writes = (async () => {
      // ── conditional create ──
      let etag = await step('PutObject', () => put(writeKey, 'v1'));
      let conditionalCreate: ConditionalCreate;
      const create = await attempt(() => put(writeKey, 'v2 (must not be written)', { IfNoneMatch: '*' }));
      if (create.ok) {
        conditionalCreate = 'ignored';
        etag = create.value;
        evidence.conditionalCreate = 'If-None-Match: * wrote over an existing object';
      } else if (isPreconditionFailed(create.error)) {
        conditionalCreate = 'honoured';
        evidence.conditionalCreate = 'If-None-Match: * on an existing key: 412';
      } else if (isRefusal(create.error)) {
        conditionalCreate = 'not-implemented';
        evidence.conditionalCreate = `If-None-Match: * refused (${describe(create.error)})`;
      } else {
        throw unexpected('conditional create', create.error);
      }

      // ── conditional overwrite: quoted first (AWS), then bare (Ceph RGW) ──
      let conditionalOverwrite: ConditionalOverwrite | undefined;
      const notes: string[] = [];
      for (const spelling of ['quoted', 'unquoted'] as const) {
        const form = (e: string): string => (spelling === 'quoted' ? quoteEtag(e) : e);
        const staleTry = await attempt(() => put(writeKey, `stale ${spelling}`, { IfMatch: form(stale) }));
        if (staleTry.ok) {
          // Written over despite a wrong ETag: the server does not look at If-Match at all.
          etag = staleTry.value;
          conditionalOverwrite = 'ignored';
          notes.push(`${spelling} stale If-Match was written over`);
          break;
        }
        if (!isPreconditionFailed(staleTry.error)) {
          if (!isRefusal(staleTry.error)) throw unexpected('conditional overwrite', staleTry.error);
          conditionalOverwrite = 'not-implemented';
          notes.push(`If-Match refused (${describe(staleTry.error)})`);
          break;
        }
        const matching = await attempt(() => put(writeKey, `matching ${spelling}`, { IfMatch: form(etag) }));
        if (matching.ok) {
          etag = matching.value;
          conditionalOverwrite = spelling;
          notes.push(`${spelling} ETag: stale 412, matching 200`);
          break;
        }
        if (!isPreconditionFailed(matching.error)) throw unexpected('conditional overwrite', matching.error);
        notes.push(`${spelling} ETag refused with 412 although it matched`);
      }
      conditionalOverwrite ??= 'unusable';
      evidence.conditionalOverwrite = notes.join('; ');

      // ── conditional copy: onto an existing key with If-None-Match: *, then from a stale source ETag ──
      const copyNotes: string[] = [];
      let conditionalCopy: ConditionalCopy = 'honoured';
      const copyTries = [
        { what: 'If-None-Match: * onto an existing key', to: checksumKey, extra: { IfNoneMatch: '*' } },
        { what: 'a stale x-amz-copy-source-if-match', to: `${base}-copy`, extra: { CopySourceIfMatch: quoteEtag(stale) } },
      ];
      for (const t of copyTries) {
        const copied = await attempt(() => client.send(new CopyObjectCommand({
          Bucket: bucket, Key: t.to, CopySource: copySource(bucket, writeKey), ...t.extra,
        }), send));
        if (copied.ok) {
          written.add(t.to);
          conditionalCopy = 'ignored';
          copyNotes.push(`copy with ${t.what} was written`);
        } else if (isPreconditionFailed(copied.error)) {
          copyNotes.push(`copy with ${t.what}: 412`);
        } else if (isRefusal(copied.error)) {
          if (conditionalCopy === 'honoured') conditionalCopy = 'not-implemented';
          copyNotes.push(`copy with ${t.what} refused (${describe(copied.error)})`);
        } else {
          throw unexpected('conditional copy', copied.error);
        }
      }
      evidence.conditionalCopy = copyNotes.join('; ');
      return { conditionalCreate, conditionalOverwrite, conditionalCopy };
    })();
    const completes = (async () => {
      // ── conditions on CompleteMultipartUpload: tiny one-part uploads (a last part may be small) ──
      const completeKey = `${base}-complete`;
      await step('PutObject', () => put(completeKey, 'stratus capability probe: complete'));
      const completeNotes: string[] = [];
      let conditionalComplete: ConditionalComplete = 'honoured';
      const completeTries = [
        { what: 'If-None-Match: * onto an existing key', extra: { IfNoneMatch: '*' } },
        { what: 'a stale If-Match', extra: { IfMatch: quoteEtag(stale) } },
      ];
      for (const t of completeTries) {
        const upload = await step('CreateMultipartUpload', () => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: completeKey }), send));
        const id = upload.UploadId ?? '';
        uploads.set(`${completeKey}\n${id}`, id);
        const part = await step('UploadPart', () => client.send(new UploadPartCommand({ Bucket: bucket, Key: completeKey, UploadId: id, PartNumber: 1, Body: Buffer.from('complete probe') }), send));
        const done = await attempt(() => client.send(new CompleteMultipartUploadCommand({
          Bucket: bucket, Key: completeKey, UploadId: id, MultipartUpload: { Parts: [{ ETag: part.ETag ?? '', PartNumber: 1 }] }, ...t.extra,
        }), send));
        if (done.ok) {
          uploads.delete(`${completeKey}\n${id}`);
          conditionalComplete = 'ignored';
          completeNotes.push(`Complete with ${t.what} was written`);
          break;
        }
        if (isPreconditionFailed(done.error)) {
          completeNotes.push(`Complete with ${t.what}: 412`);
        } else if (isRefusal(done.error)) {
          conditionalComplete = 'not-implemented';
          completeNotes.push(`Complete with ${t.what} refused (${describe(done.error)})`);
          break;
        } else {
          throw unexpected('conditional CompleteMultipartUpload', done.error);
        }
      }
      evidence.conditionalComplete = completeNotes.join('; ');
      return conditionalComplete;
    })();
    const multipart = (async () => {
      // ── multipart: does Complete carry the ETag? (two parts: the first at S3's 5 MiB minimum) ──
      const multipartKey = `${base}-multipart`;
      const created = await step('CreateMultipartUpload', () => client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: multipartKey }), send));
      const uploadId = created.UploadId ?? '';
      uploads.set(`${multipartKey}\n${uploadId}`, uploadId);
      const parts = [Buffer.alloc(MULTIPART_FIRST_PART, 0x73), Buffer.from('end')];
      const partEtags: string[] = [];
      for (const [index, body] of parts.entries()) {
        const out = await step('UploadPart', () => client.send(new UploadPartCommand({ Bucket: bucket, Key: multipartKey, UploadId: uploadId, PartNumber: index + 1, Body: body }), send));
        partEtags.push(out.ETag ?? '');
      }
      const completed = await step('CompleteMultipartUpload', () => client.send(new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: multipartKey,
        UploadId: uploadId,
        MultipartUpload: { Parts: partEtags.map((ETag, index) => ({ ETag, PartNumber: index + 1 })) },
      }), send));
      uploads.delete(`${multipartKey}\n${uploadId}`);
      written.add(multipartKey);
      const completeEtag = unquoteEtag(completed.ETag ?? '');
      const multipartEtag: MultipartEtag = completeEtag === '' ? 'missing' : 'returned';
      evidence.multipartEtag = multipartEtag === 'returned'
        ? `Complete answered ETag ${completeEtag}`
        : `Complete answered no ETag; HEAD shows ${(await step('HeadObject', () => head(multipartKey))) ?? 'nothing'}`;
      return multipartEtag;
    })();
    // Every part settles before the probe goes on (or its scratch keys are cleaned up): the first failure is the answer.
    const parts = [writes, completes, multipart].map((part) => part.catch((error: unknown) => {
      if (error !== PROBE_STOPPED) stopped ??= { error };
    }));
    await Promise.all(parts);
    if (stopped !== undefined) throw stopped.error;
    const [{ conditionalCreate, conditionalOverwrite, conditionalCopy }, conditionalComplete, multipartEtag] = await Promise.all([writes, completes, multipart]);

    // ── listing: max-keys 1 over the three probe objects, then the continuation ──
    const listed: string[] = [];
    const first = await step('ListObjectsV2', () => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${base}-`, MaxKeys: 1 }), send));
    for (const item of first.Contents ?? []) listed.push(item.Key ?? '');
    let listPagination: ListPagination;
    if ((first.Contents?.length ?? 0) > 1) {
      listPagination = 'max-keys-ignored';
      evidence.listPagination = `max-keys=1 answered ${first.Contents?.length ?? 0} keys in one page`;
    } else if (first.IsTruncated === true && first.NextContinuationToken !== undefined && first.NextContinuationToken !== '') {
      const token = first.NextContinuationToken;
      const rest = await attempt(() => client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${base}-`, ContinuationToken: token }), send));
      if (rest.ok) for (const item of rest.value.Contents ?? []) listed.push(item.Key ?? '');
      const complete = listed.length === written.size && new Set(listed).size === written.size && [...written].every((k) => listed.includes(k));
      listPagination = complete ? 'honoured' : 'continuation-broken';
      evidence.listPagination = complete
        ? 'max-keys=1 gave 1 key and a token; the token gave the rest'
        : `the continuation token did not lead to the remaining keys (${rest.ok ? `got ${listed.length} of ${written.size}` : describe(rest.error)})`;
    } else {
      listPagination = 'continuation-broken';
      evidence.listPagination = 'max-keys=1 gave a page without a continuation token';
    }

    // ── conditional delete (last: a server that ignores it deletes the probe object) ──
    let conditionalDelete: ConditionalDelete;
    const deleteForm = (e: string): string => (conditionalOverwrite === 'unquoted' ? e : quoteEtag(e));
    const del = await attempt(() => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: writeKey, IfMatch: deleteForm(stale) }), send));
    if (del.ok) {
      const still = await step('HeadObject', () => head(writeKey));
      conditionalDelete = still === undefined ? 'ignored' : 'honoured';
      evidence.conditionalDelete = still === undefined ? 'DeleteObject with a stale If-Match deleted the object' : 'stale If-Match: answered 2xx but kept the object';
    } else if (isPreconditionFailed(del.error)) {
      conditionalDelete = 'honoured';
      evidence.conditionalDelete = 'DeleteObject with a stale If-Match: 412';
    } else if (isRefusal(del.error)) {
      conditionalDelete = 'not-implemented';
      evidence.conditionalDelete = `If-Match on DeleteObject refused (${describe(del.error)})`;
    } else {
      throw unexpected('conditional delete', del.error);
    }

    const capabilities: EndpointCapabilities = {
      version: CAPABILITIES_VERSION,
      probedAt: (options.now?.() ?? new Date()).toISOString(),
      endpoint: options.endpoint,
      bucket,
      conditionalCreate,
      conditionalOverwrite,
      conditionalDelete,
      conditionalCopy,
      conditionalComplete,
      multipartEtag,
      defaultChecksums,
      listPagination,
    };
    // Only after a probe that worked: a server that refused it (no bucket, no access) has nothing to clean for us.
    await removeStaleProbeObjects(client, bucket, prefix, options);
    return { capabilities, evidence: evidence as Record<CapabilityName, string> };
  } catch (err) {
    // A failed probe must not change how the client signs requests.
    setRequestChecksumMode(client, originalMode as ChecksumMode);
    if (err instanceof ProbeFailedError) throw err;
    throw new ProbeFailedError('probe', err);
  } finally {
    // Scratch keys go, whatever happened; without the caller's signal, so an abort still cleans up.
    await Promise.all([
      ...[...uploads].map(([entry, uploadId]) => abortScratchUpload(client, bucket, entry.slice(0, entry.indexOf('\n')), uploadId, options.log)),
      ...[...written].map((key) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch((err: unknown) => {
        options.log?.warn('could not delete a capability probe object', { key, error: s3ErrorName(err) ?? String(err) });
      })),
    ]);
  }
}

/** Thrown by a part of the probe that stops because another part failed (never the probe's answer). */
const PROBE_STOPPED = new Error('the capability probe stopped: another part of it failed');

/** Attempts (each with the SDK's own retries) to abort a scratch upload: nothing but the 7-day cleanup would find one left open. */
const ABORT_ATTEMPTS = 3;

async function abortScratchUpload(client: S3Client, bucket: string, key: string, uploadId: string, log: Logger | undefined): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }));
      return;
    } catch (err) {
      if (httpStatus(err) === 404 || s3ErrorName(err) === 'NoSuchUpload') return;
      if (attempt >= ABORT_ATTEMPTS) {
        log?.warn('could not abort a capability probe upload', { key, error: s3ErrorName(err) ?? String(err) });
        return;
      }
      const delay = nextAttemptDelayMs(attempt, Math.random, { baseMs: 100 });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

/** Older than this, a probe object is a leftover (a probe takes seconds; another device may be probing right now). */
const STALE_PROBE_MS = 60 * 60_000;

/**
 * Scratch objects an earlier probe could not delete (the server failed, the
 * process died) would stay under `.stratus/` forever: the next probe removes
 * those older than an hour. Best effort, one listing page.
 */
async function removeStaleProbeObjects(client: S3Client, bucket: string, prefix: string, options: ProbeOptions): Promise<void> {
  try {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}.stratus/probe-` }));
    const now = options.now?.().getTime() ?? Date.now();
    for (const item of listed.Contents ?? []) {
      if (item.Key === undefined || item.LastModified === undefined || now - item.LastModified.getTime() < STALE_PROBE_MS) continue;
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: item.Key }));
    }
  } catch (err) {
    options.log?.debug('could not clean up earlier probe objects', { error: s3ErrorName(err) ?? String(err) });
  }
}
