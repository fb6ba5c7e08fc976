/**
 * s3Metadata: the small encodings S3RemoteStore writes next to each object
 * and reads back, kept compatible with rclone so files either tool uploaded
 * are recognised by the other:
 *
 *   x-amz-meta-md5chksum: base64 of the 16-byte content MD5   e.g. "1B2M2Y8AsgTpgAmY7PhCfg=="
 *   x-amz-meta-mtime:     seconds since the epoch, with fraction e.g. "1700000000.123456789"
 *
 * plus ETag quoting and the multipart part-size rule (S3: 5 MiB ≤ part ≤ 5 GiB,
 * at most 10,000 parts).
 */

export const META_MD5 = 'md5chksum';
export const META_MTIME = 'mtime';

const MiB = 1024 * 1024;
export const MIN_PART_SIZE = 5 * MiB;
export const MAX_PART_SIZE = 5 * 1024 * MiB;
export const MAX_PARTS = 10_000;
/** S3's single PutObject limit. */
export const MAX_SINGLE_PUT = 5 * 1024 * MiB;

export function md5HexToBase64(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Hex MD5 from an `md5chksum` value; undefined when it is not a 16-byte base64 value. */
export function md5Base64ToHex(value: string | undefined): string | undefined {
  if (value === undefined || !/^[A-Za-z0-9+/]{22}==$/.test(value.trim())) return undefined;
  return Buffer.from(value.trim(), 'base64').toString('hex');
}

/** rclone's mtime format: seconds with nine fraction digits; undefined for times it cannot represent. */
export function formatMtime(mtimeMs: number): string | undefined {
  if (!Number.isFinite(mtimeMs) || mtimeMs < 0) return undefined;
  // Integer nanoseconds, so the fraction is exact digits rather than float noise.
  const ns = BigInt(Math.round(mtimeMs * 1e6));
  const seconds = ns / 1_000_000_000n;
  const fraction = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${seconds}.${fraction}`;
}

/** Parses `mtime` metadata (seconds, optionally fractional) into epoch ms. */
export function parseMtime(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
  const ms = Number(value) * 1000;
  return Number.isFinite(ms) ? ms : undefined;
}

/** Metadata for an upload: the content MD5 and (when representable) the mtime. */
export function uploadMetadata(md5Hex: string, mtimeMs: number): Record<string, string> {
  const mtime = formatMtime(mtimeMs);
  return { [META_MD5]: md5HexToBase64(md5Hex), ...(mtime === undefined ? {} : { [META_MTIME]: mtime }) };
}

/** The md5/mtime fields of RemoteObjectInfo from an SDK `Metadata` map (keys arrive lower-cased). */
export function readMetadata(metadata: Readonly<Record<string, string>> | undefined): { md5?: string; mtimeMs?: number } {
  const md5 = md5Base64ToHex(metadata?.[META_MD5]);
  const mtimeMs = parseMtime(metadata?.[META_MTIME]);
  return { ...(md5 === undefined ? {} : { md5 }), ...(mtimeMs === undefined ? {} : { mtimeMs }) };
}

/** S3 sends and expects ETags in quotes; the port passes them unquoted. */
export function quoteEtag(etag: string): string {
  return etag.startsWith('"') ? etag : `"${etag}"`;
}

/**
 * The part size for a multipart upload of `size` bytes: `preferred`, grown
 * to a whole MiB when the file would otherwise need more than 10,000 parts
 * (a 100 GiB file at 8 MiB would need 12,800).
 */
export function choosePartSize(size: number, preferred: number): number {
  let part = Math.max(preferred, MIN_PART_SIZE);
  const needed = Math.ceil(size / MAX_PARTS);
  if (needed > part) part = Math.ceil(needed / MiB) * MiB;
  if (part > MAX_PART_SIZE) {
    throw new RangeError(`A file of ${size} bytes needs parts larger than S3's 5 GiB limit.`);
  }
  return part;
}

/**
 * Decodes a key from a listing requested with `encoding-type=url` (which S3
 * needs to return keys holding control characters XML cannot carry). Only
 * when the server says it applied the encoding: some S3-compatibles ignore
 * the parameter, and decoding a raw key with `%` or `+` would corrupt it.
 */
export function decodeListedKey(key: string, encodingType: string | undefined): string {
  if (encodingType !== 'url') return key;
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** `bucket/key` for x-amz-copy-source: each segment percent-encoded, `/` kept (identity ids hold ':'). */
export function copySource(bucket: string, key: string): string {
  return `${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
