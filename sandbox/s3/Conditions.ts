/**
 * Conditions: S3's conditional-request rules and byte ranges.
 *  - reads (GetObject/HeadObject, and CopyObject's x-amz-copy-source-if-*):
 *    If-Match / If-Unmodified-Since → 412, If-None-Match / If-Modified-Since → 304,
 *    with the precedence the GetObject reference documents;
 *  - writes (PutObject, CompleteMultipartUpload, CopyObject destination,
 *    DeleteObject): `If-None-Match: *` → 412 when the key exists, `If-Match`
 *    → 412 on a different ETag and 404 NoSuchKey when there is no object;
 *  - `Range: bytes=a-b | a- | -n`.
 */
import type { ObjectRecord, Precondition } from './ObjectStore.js';
import { normalizeEtag } from './MultipartStore.js';
import { s3Error } from './S3Error.js';

export interface ReadConditionHeaders {
  readonly ifMatch: string | undefined;
  readonly ifNoneMatch: string | undefined;
  readonly ifModifiedSince: string | undefined;
  readonly ifUnmodifiedSince: string | undefined;
}

/** True when `list` (comma-separated ETags or `*`) names `etag`. */
export function etagListMatches(list: string, etag: string): boolean {
  const wanted = normalizeEtag(etag);
  return list.split(',').some((item) => {
    const candidate = item.trim().replace(/^W\//, '');
    return candidate === '*' || normalizeEtag(candidate) === wanted;
  });
}

function parseHttpDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms; // An unparsable date is ignored, as RFC 7232 says.
}

/**
 * Throws PreconditionFailed (412) or NotModified (304) when the read must not
 * proceed. `notModifiedAs412` is for copy sources, where S3 answers 412 for both.
 */
export function checkReadConditions(h: ReadConditionHeaders, record: ObjectRecord, notModifiedAs412 = false): void {
  const validators = { ETag: record.etag, 'Last-Modified': new Date(record.lastModified).toUTCString() };
  const notModified = (): never => {
    if (notModifiedAs412) throw s3Error('PreconditionFailed');
    throw s3Error('NotModified', undefined, {}, validators);
  };
  // Step 1/2: If-Match wins over If-Unmodified-Since (S3: match true + unmodified false → 200).
  if (h.ifMatch !== undefined) {
    if (!etagListMatches(h.ifMatch, record.etag)) throw s3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
  } else {
    const since = parseHttpDate(h.ifUnmodifiedSince);
    if (since !== undefined && record.lastModified > since) {
      throw s3Error('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' });
    }
  }
  // Step 3/4: If-None-Match wins over If-Modified-Since (none-match false + modified true → 304).
  if (h.ifNoneMatch !== undefined) {
    if (etagListMatches(h.ifNoneMatch, record.etag)) notModified();
  } else {
    const since = parseHttpDate(h.ifModifiedSince);
    if (since !== undefined && record.lastModified <= since) notModified();
  }
}

/** The precondition a write's If-Match / If-None-Match headers impose on the current object. */
export function writePrecondition(ifMatch: string | undefined, ifNoneMatch: string | undefined): Precondition {
  if (ifNoneMatch !== undefined && ifNoneMatch.trim() !== '*') {
    throw s3Error('NotImplemented', 'If-None-Match on writes only supports the value *.', { Header: 'If-None-Match' });
  }
  return (current) => {
    if (ifNoneMatch !== undefined && current) throw s3Error('PreconditionFailed', undefined, { Condition: 'If-None-Match' });
    if (ifMatch !== undefined) {
      if (!current) throw s3Error('NoSuchKey');
      if (!etagListMatches(ifMatch, current.etag)) throw s3Error('PreconditionFailed', undefined, { Condition: 'If-Match' });
    }
  };
}

export interface ByteRange {
  readonly start: number;
  /** Inclusive. */
  readonly end: number;
}

/**
 * Parses a single `bytes=` range against `size`. Syntactically invalid or
 * multi-range headers are ignored (whole object, as S3 does); a range that
 * starts past the end is 416 InvalidRange.
 */
export function parseRange(value: string | undefined, size: number): ByteRange | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  const unsatisfiable = () => s3Error('InvalidRange', undefined, { RangeRequested: value, ActualObjectSize: String(size) }, { 'Content-Range': `bytes */${size}` });
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0 || size === 0) throw unsatisfiable();
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  if (m[2] !== '' && Number(m[2]) < start) return undefined;
  if (start >= size) throw unsatisfiable();
  return { start, end };
}
