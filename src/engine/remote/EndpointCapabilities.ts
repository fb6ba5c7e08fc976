/**
 * EndpointCapabilities: the persisted record of what one S3 server does with
 * the requests the engine relies on — its types, parser and cache key, what
 * AWS documents, and the switch for the SDK's checksum headers. The record is
 * measured by probeCapabilities (capabilities.ts, which re-exports all of this
 * and draws the persisted format next to the probe that writes it).
 */
import type { S3Client } from '@aws-sdk/client-s3';

export const CAPABILITIES_VERSION = 1;

/** `If-None-Match: *` on PutObject over an existing key: 412 (honoured), written anyway (ignored), or 501. */
export type ConditionalCreate = 'honoured' | 'ignored' | 'not-implemented';
/**
 * `If-Match: <etag>` on PutObject: which spelling works. `quoted` is AWS's
 * (ETags travel quoted); `unquoted` is Ceph RGW 16's (a quoted one is refused
 * with 412 even when it matches). `ignored`: a stale ETag was written over;
 * `unusable`: even a matching ETag is refused in both spellings.
 */
export type ConditionalOverwrite = 'quoted' | 'unquoted' | 'ignored' | 'unusable' | 'not-implemented';
/** `If-Match` on DeleteObject (AWS since 2024): 412 on a stale ETag, or the object deleted anyway (ignored), or 501. */
export type ConditionalDelete = 'honoured' | 'ignored' | 'not-implemented';
/**
 * CopyObject's conditions (`x-amz-copy-source-if-match` on the source, `If-None-Match: *`
 * on the destination): both refuse with 412 (honoured), either is written through (ignored), or 501/400.
 */
export type ConditionalCopy = 'honoured' | 'ignored' | 'not-implemented';
/** If-None-Match: * and If-Match on CompleteMultipartUpload (AWS since 2024): 412, written anyway (ignored), or 501/400. */
export type ConditionalComplete = 'honoured' | 'ignored' | 'not-implemented';
/** Whether CompleteMultipartUpload's answer carries the object's ETag (Ceph RGW 16 sends an empty one). */
export type MultipartEtag = 'returned' | 'missing';
/** Whether the AWS SDK's default flexible checksum (CRC32 headers, WHEN_SUPPORTED) is accepted (R2 and B2 refused it). */
export type DefaultChecksums = 'accepted' | 'rejected';
/** ListObjectsV2 `max-keys` and continuation tokens; `continuation-broken` lists page by page with start-after. */
export type ListPagination = 'honoured' | 'max-keys-ignored' | 'continuation-broken';

export interface CapabilitySet {
  readonly conditionalCreate: ConditionalCreate;
  readonly conditionalOverwrite: ConditionalOverwrite;
  readonly conditionalDelete: ConditionalDelete;
  readonly conditionalCopy: ConditionalCopy;
  readonly conditionalComplete: ConditionalComplete;
  readonly multipartEtag: MultipartEtag;
  readonly defaultChecksums: DefaultChecksums;
  readonly listPagination: ListPagination;
}

export interface EndpointCapabilities extends CapabilitySet {
  readonly version: typeof CAPABILITIES_VERSION;
  /** ISO 8601 time of the probe. */
  readonly probedAt: string;
  readonly endpoint: string;
  readonly bucket: string;
}

export type CapabilityName = keyof CapabilitySet;

/** What AWS S3 documents; also what a store assumes before (or without) a probe. */
export const AWS_CAPABILITIES: CapabilitySet = {
  conditionalCreate: 'honoured',
  conditionalOverwrite: 'quoted',
  conditionalDelete: 'honoured',
  conditionalCopy: 'honoured',
  conditionalComplete: 'honoured',
  multipartEtag: 'returned',
  defaultChecksums: 'accepted',
  listPagination: 'honoured',
};

export const CAPABILITY_NAMES: readonly CapabilityName[] = Object.keys(AWS_CAPABILITIES) as CapabilityName[];

const ALLOWED: { readonly [K in CapabilityName]: readonly CapabilitySet[K][] } = {
  conditionalCreate: ['honoured', 'ignored', 'not-implemented'],
  conditionalOverwrite: ['quoted', 'unquoted', 'ignored', 'unusable', 'not-implemented'],
  conditionalDelete: ['honoured', 'ignored', 'not-implemented'],
  conditionalCopy: ['honoured', 'ignored', 'not-implemented'],
  conditionalComplete: ['honoured', 'ignored', 'not-implemented'],
  multipartEtag: ['returned', 'missing'],
  defaultChecksums: ['accepted', 'rejected'],
  listPagination: ['honoured', 'max-keys-ignored', 'continuation-broken'],
};

/** Parses a cached record; undefined for anything that is not a valid version-1 record for this endpoint and bucket. */
export function parseCapabilities(text: string | undefined, endpoint: string, bucket: string): EndpointCapabilities | undefined {
  if (text === undefined || text === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v['version'] !== CAPABILITIES_VERSION || v['endpoint'] !== endpoint || v['bucket'] !== bucket) return undefined;
  if (typeof v['probedAt'] !== 'string' || Number.isNaN(Date.parse(v['probedAt']))) return undefined;
  for (const name of CAPABILITY_NAMES) {
    if (!(ALLOWED[name] as readonly unknown[]).includes(v[name])) return undefined;
  }
  return value as EndpointCapabilities;
}

/** The journal meta key of an endpoint+bucket's capabilities. */
export function capabilitiesCacheKey(endpoint: string, bucket: string): string {
  return `capabilities:${endpoint}|${bucket}`;
}

/** Capabilities that differ from AWS's documented behaviour (what `stratus doctor` warns about). */
export function quirksOf(capabilities: CapabilitySet): CapabilityName[] {
  return CAPABILITY_NAMES.filter((name) => capabilities[name] !== AWS_CAPABILITIES[name]);
}

export type ChecksumMode = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';

/**
 * Switches the client's request checksums in place. The SDK's flexible
 * checksum middleware calls `config.requestChecksumCalculation()` on every
 * request (checked in @aws-sdk/checksums 3.11xx, and by a test that looks at
 * the headers sent), so replacing the provider reconfigures the live client,
 * lib-storage uploads included, without rebuilding it.
 */
export function setRequestChecksumMode(client: S3Client, mode: ChecksumMode): void {
  (client.config as { requestChecksumCalculation: () => Promise<string> }).requestChecksumCalculation = () => Promise.resolve(mode);
}
