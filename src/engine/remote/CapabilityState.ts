/**
 * CapabilityState: what one S3RemoteStore currently believes about its
 * server, and where that belief comes from — AWS's documented behaviour
 * until `prepare` runs, then the probed record (from the journal's cache, or
 * a fresh probe stored there), then whatever the runtime safety nets learn.
 *
 * When a request contradicts the record (a 412 for an ETag a HEAD shows as
 * current, NotImplemented for a header the probe saw accepted) the record is
 * corrected for this process and the cache entry cleared, so the next run
 * probes again: a server that was upgraded or reconfigured is re-measured,
 * not trusted on old evidence. Emits warn lines for quirks and corrections.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { StratusError } from '../../core/StratusError.js';
import type { Logger } from '../logger.js';
import type { RemoteCache } from '../ports.js';
import {
  AWS_CAPABILITIES, capabilitiesCacheKey, parseCapabilities, ProbeFailedError, probeCapabilities, quirksOf, setRequestChecksumMode,
  type CapabilityName, type CapabilitySet, type EndpointCapabilities,
} from './capabilities.js';
import { toStratusError, type RemoteErrorContext } from './s3Errors.js';

/** Probe failures that end the run: the listing right after would fail the same way, so say it now. */
const FATAL_PROBE_CODES = new Set(['aborted', 'network', 'no-such-bucket', 'credentials-invalid', 'credentials-expired', 'clock-skew']);

export interface CapabilityStateOptions {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;
  /** The server's identity in the cache key (scheme, host, port). */
  readonly endpoint: () => Promise<string>;
  /** Error context for a failed probe (host label for messages). */
  readonly errorContext: () => Promise<Omit<RemoteErrorContext, 'operation'>>;
  /** Re-probe a cached record older than this. @default 30 days (servers get upgraded) */
  readonly maxAgeMs?: number;
  /**
   * Records this user's other folders measured (machineCapabilityCache.ts): read when the journal
   * has none, written after a probe, cleared with the journal's copy.
   */
  readonly machineCache?: Pick<RemoteCache, 'get' | 'set'>;
  readonly log?: Logger;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export class CapabilityState {
  private set: CapabilitySet = AWS_CAPABILITIES;
  private record: EndpointCapabilities | undefined;
  private cache: RemoteCache | undefined;
  private cacheKey: string | undefined;

  constructor(private readonly options: CapabilityStateOptions) {}

  /** The capabilities requests are shaped by now. */
  get current(): CapabilitySet {
    return this.set;
  }

  /** The probed (or cached) record this process uses, if `prepare` found or made one. */
  get probed(): EndpointCapabilities | undefined {
    return this.record;
  }

  /**
   * Loads the record from `cache`, or probes and stores it. A probe that
   * fails because the server refused part of it (e.g. a policy without
   * DeleteObject) leaves AWS's assumptions and the runtime safety nets in
   * place and is tried again next run; one that fails because the server is
   * unreachable or the credentials are wrong throws, as the listing would.
   */
  async prepare(cache: RemoteCache, signal?: AbortSignal): Promise<void> {
    const endpoint = await this.options.endpoint();
    const key = capabilitiesCacheKey(endpoint, this.options.bucket);
    this.cache = cache;
    this.cacheKey = key;
    if (this.record !== undefined && this.fresh(this.record)) return;
    const cached = parseCapabilities(await cache.get(key), endpoint, this.options.bucket);
    if (cached !== undefined && this.fresh(cached)) {
      this.adopt(cached);
      return;
    }
    const machine = this.options.machineCache;
    const shared = machine === undefined ? undefined : parseCapabilities(await machine.get(key).catch(() => undefined), endpoint, this.options.bucket);
    if (shared !== undefined && this.fresh(shared)) {
      this.adopt(shared);
      await cache.set(key, JSON.stringify(shared));
      this.options.log?.info('using the server\'s capabilities measured for another folder on this computer', {
        endpoint, bucket: this.options.bucket, probedAt: shared.probedAt, quirks: quirksOf(shared),
      });
      return;
    }
    let probe;
    try {
      probe = await probeCapabilities(this.options.client, this.options.bucket, this.options.prefix, {
        endpoint,
        ...(signal === undefined ? {} : { signal }),
        ...(this.options.log === undefined ? {} : { log: this.options.log }),
      });
    } catch (err) {
      const cause = err instanceof ProbeFailedError ? err.cause : err;
      const mapped = toStratusError(signal?.aborted === true ? Object.assign(new Error('aborted'), { name: 'AbortError' }) : cause, {
        operation: 'probe',
        ...(await this.options.errorContext()),
      });
      if (FATAL_PROBE_CODES.has(mapped.code)) throw mapped;
      this.options.log?.warn('could not measure the server\'s capabilities; assuming AWS behaviour with runtime checks', {
        step: err instanceof ProbeFailedError ? err.step : 'probe',
        code: mapped.code,
      });
      return;
    }
    this.adopt(probe.capabilities);
    await cache.set(key, JSON.stringify(probe.capabilities));
    await machine?.set(key, JSON.stringify(probe.capabilities)).catch(() => undefined);
    this.options.log?.info('measured the server\'s capabilities', { endpoint, bucket: this.options.bucket, quirks: quirksOf(probe.capabilities) });
  }

  /**
   * The server just contradicted the record: use `value` from now on in this
   * process, and clear the cached record so the next run probes again.
   */
  async changed<K extends CapabilityName>(name: K, value: CapabilitySet[K], reason: string): Promise<void> {
    if (this.set[name] === value) return;
    this.options.log?.warn('the server does not behave as measured; adapting, and measuring again next run', { capability: name, was: this.set[name], now: value, reason });
    this.set = { ...this.set, [name]: value };
    await this.invalidate(reason);
  }

  /** Clears the cached record (the next `prepare` probes); the in-memory capabilities stay as they are. */
  async invalidate(reason: string): Promise<void> {
    this.record = undefined;
    if (this.cache === undefined || this.cacheKey === undefined) return;
    await this.options.machineCache?.set(this.cacheKey, '').catch(() => undefined);
    try {
      await this.cache.set(this.cacheKey, '');
    } catch (err) {
      // Losing the invalidation only delays the re-probe until the record ages out; never fail a write over it.
      this.options.log?.warn('could not clear the cached server capabilities', { reason, error: err instanceof Error ? err.message : String(err) });
    }
  }

  private fresh(record: EndpointCapabilities): boolean {
    return Date.now() - Date.parse(record.probedAt) < (this.options.maxAgeMs ?? 30 * DAY_MS);
  }

  private adopt(record: EndpointCapabilities): void {
    this.record = record;
    this.set = record;
    // R2/B2-style servers refuse the SDK's default CRC32 headers: send checksums only where S3 requires them.
    if (record.defaultChecksums === 'rejected') setRequestChecksumMode(this.options.client, 'WHEN_REQUIRED');
    const quirks = quirksOf(record);
    if (quirks.length > 0) {
      this.options.log?.warn('this server differs from AWS S3; Stratus works around it', Object.fromEntries(quirks.map((q) => [q, record[q]])));
    }
  }
}

/** Thrown by compare-then-write paths, shaped as the 412 a conditional write would have produced. */
export function remoteChangedError(key: string): StratusError {
  return new StratusError('remote-changed', `"${key}" changed on the server since Stratus last looked at it; nothing was overwritten.`, { severity: 'item' });
}
