/**
 * HeadMarker: cheap remote change detection. After a run that changed the
 * remote prefix, a client writes one small object, `<prefix>.stratus/head`;
 * idle clients GET it (conditional on the last ETag, so "nothing new" is a
 * bodiless 304) instead of listing the whole prefix. Keys under
 * `<prefix>.stratus/` are the engine's own and are never synced.
 *
 * The object (version 1, JSON, a few hundred bytes):
 *
 *     { "version": 1,
 *       "generation": "7c1e…-uuid",   // new on every write: "something changed"
 *       "writtenBy": "ada-laptop",     // the device name, for people reading logs
 *       "at": "2026-11-22T12:03:04.000Z" }
 *
 * A server that ignores If-None-Match answers 200 with the same ETag: that is
 * compared too. Our own write is recognised by its generation, so it does not
 * trigger a run here. Writes by other tools never touch the marker; the slow
 * full listing (ContinuousSync) is what finds those.
 *
 * Emits nothing; counts its requests (`requests`) for tests and diagnostics.
 */
import { randomUUID } from 'node:crypto';
import { GetObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ENGINE_FOLDER } from '../local/IgnoreRules.js';
import { httpStatus, isNotFound, toStratusError } from '../remote/s3Errors.js';

export const HEAD_MARKER_NAME = 'head';

export interface HeadMarkerBody {
  readonly version: 1;
  readonly generation: string;
  readonly writtenBy: string;
  readonly at: string;
}

export interface HeadMarkerOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** The sync prefix, ending in '/' (or '' for a whole bucket). */
  readonly prefix: string;
  /** Written into the marker as `writtenBy`. */
  readonly deviceName: string;
  /** Names the server in error messages. */
  readonly endpoint?: string;
}

export type PollResult = 'changed' | 'unchanged';

function parseBody(text: string): HeadMarkerBody | undefined {
  try {
    const body = JSON.parse(text) as Partial<HeadMarkerBody>;
    return body.version === 1 && typeof body.generation === 'string' ? (body as HeadMarkerBody) : undefined;
  } catch {
    // Not ours or damaged: still "something changed", just not attributable.
    return undefined;
  }
}

export class HeadMarker {
  readonly key: string;
  /** Requests sent, by kind. */
  readonly requests = { get: 0, put: 0 };
  /** undefined: never looked; null: the marker did not exist. */
  private lastEtag: string | null | undefined;
  /** The generations this client wrote, so its own write is not read as someone else's change. */
  private readonly ownGenerations = new Set<string>();

  constructor(private readonly o: HeadMarkerOptions) {
    this.key = `${o.prefix}${ENGINE_FOLDER}/${HEAD_MARKER_NAME}`;
  }

  /**
   * One GET. 'changed' when the marker differs from the last one seen (and
   * was not written by us); the first call only learns the baseline.
   * Throws a StratusError (`network` when the server cannot be reached).
   */
  async poll(signal?: AbortSignal): Promise<PollResult> {
    const known = this.lastEtag;
    this.requests.get++;
    let etag: string | null;
    let body: HeadMarkerBody | undefined;
    try {
      const out = await this.o.client.send(
        new GetObjectCommand({ Bucket: this.o.bucket, Key: this.key, ...(typeof known === 'string' ? { IfNoneMatch: known } : {}) }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      etag = out.ETag ?? null;
      if (etag !== null && etag === known) {
        // The server ignored If-None-Match; the ETag says the same thing a 304 would have.
        await out.Body?.transformToString().catch(() => undefined);
        return 'unchanged';
      }
      body = parseBody((await out.Body?.transformToString('utf8')) ?? '');
    } catch (err) {
      if (httpStatus(err) === 304) return 'unchanged';
      if (!isNotFound(err)) throw toStratusError(err, { operation: 'head', bucket: this.o.bucket, key: this.key, ...(this.o.endpoint === undefined ? {} : { endpoint: this.o.endpoint }) });
      etag = null;
    }
    this.lastEtag = etag;
    if (known === undefined || known === etag) return 'unchanged';
    // Our own write seen for the first time (e.g. after a restart of the poll): not a change by anyone else.
    if (body !== undefined && this.ownGenerations.has(body.generation)) return 'unchanged';
    return 'changed';
  }

  /**
   * Announces that this client changed the prefix. Looks first (one GET), so
   * a change another client announced meanwhile is not overwritten unseen:
   * returns 'changed' in that case, and the caller should run again.
   */
  async publish(signal?: AbortSignal): Promise<PollResult> {
    const before = this.lastEtag === undefined ? 'unchanged' : await this.poll(signal);
    const body: HeadMarkerBody = { version: 1, generation: randomUUID(), writtenBy: this.o.deviceName, at: new Date().toISOString() };
    this.requests.put++;
    try {
      const out = await this.o.client.send(
        new PutObjectCommand({ Bucket: this.o.bucket, Key: this.key, Body: JSON.stringify(body), ContentType: 'application/json' }),
        signal === undefined ? {} : { abortSignal: signal },
      );
      this.ownGenerations.add(body.generation);
      // Only the last few matter: another write replaces the marker anyway.
      if (this.ownGenerations.size > 16) this.ownGenerations.delete(this.ownGenerations.values().next().value as string);
      this.lastEtag = out.ETag ?? this.lastEtag;
    } catch (err) {
      throw toStratusError(err, { operation: 'upload', bucket: this.o.bucket, key: this.key, ...(this.o.endpoint === undefined ? {} : { endpoint: this.o.endpoint }) });
    }
    return before;
  }
}
