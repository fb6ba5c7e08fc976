/**
 * WriteGuard: makes every conditional write of S3RemoteStore safe on the
 * server it talks to, using the measured capabilities (CapabilityState):
 *
 * - where the server honours a precondition, it is sent as a header
 *   (If-Match in the spelling the server accepts, If-None-Match: *), and a
 *   412 means someone else changed the object;
 * - where it does not (ignored, 501, refused even when matching), a HEAD
 *   compares the object immediately before the write, and the header is left
 *   out. A mismatch is `remote-changed`, exactly like a 412.
 *
 * Never a false conflict: a 412 for an ETag that a HEAD shows as current is
 * the server's quirk, not a change — the other spelling is tried and the
 * capability corrected (and re-measured next run). Never a silent overwrite
 * because a server ignored a precondition: an ignored precondition is known
 * from the probe, and compared by HEAD instead.
 *
 * The race the HEAD leaves open: a write by someone else that lands between
 * our HEAD and our request is overwritten (or deleted) unseen. The window is
 * one round trip: for a multipart upload the HEAD is repeated right before
 * CompleteMultipartUpload (`recheck`), the request that changes the object.
 * A versioned bucket keeps the overwritten version.
 */
import { StratusError } from '../../core/StratusError.js';
import type { RemoteObjectInfo, WriteConditions } from '../ports.js';
import type { CapabilityState } from './CapabilityState.js';
import { remoteChangedError } from './CapabilityState.js';
import type { ConditionalOverwrite } from './capabilities.js';
import { isNotImplemented, isPreconditionFailed } from './s3Errors.js';
import { quoteEtag } from './s3Metadata.js';
import type { SentConditions } from './s3Transfers.js';

/** Which request a condition rides on: each is measured separately (Ceph honours them on PutObject only). */
export type WriteKind = 'put' | 'multipart' | 'copy' | 'delete';

/** The write itself: sends `sent`; a multipart upload calls `recheck` right before Complete. */
export type GuardedWrite<T> = (sent: SentConditions, recheck: () => Promise<void>) => Promise<T>;

export interface WriteGuardOptions {
  readonly capabilities: CapabilityState;
  readonly head: (key: string, signal?: AbortSignal) => Promise<RemoteObjectInfo | undefined>;
}

type Spelling = 'quoted' | 'unquoted';

function usableSpelling(value: ConditionalOverwrite): Spelling | undefined {
  return value === 'quoted' || value === 'unquoted' ? value : undefined;
}

export class WriteGuard {
  constructor(private readonly options: WriteGuardOptions) {}

  /** If-Match as this server wants it: quoted as S3 documents, bare for servers that refuse the quotes. */
  ifMatchHeader(etag: string, spelling: Spelling = this.spelling()): string {
    return spelling === 'unquoted' ? etag : quoteEtag(etag);
  }

  /** Whether `kind` requests carry If-Match / If-None-Match headers on this server (else compare first). */
  sendsConditions(kind: WriteKind): { readonly ifMatch: boolean; readonly ifNoneMatch: boolean } {
    const c = this.options.capabilities.current;
    switch (kind) {
      case 'put':
        return { ifMatch: usableSpelling(c.conditionalOverwrite) !== undefined, ifNoneMatch: c.conditionalCreate === 'honoured' };
      case 'multipart':
        return {
          ifMatch: c.conditionalComplete === 'honoured' && usableSpelling(c.conditionalOverwrite) !== undefined,
          ifNoneMatch: c.conditionalComplete === 'honoured' && c.conditionalCreate === 'honoured',
        };
      case 'copy':
        return { ifMatch: c.conditionalCopy === 'honoured' && usableSpelling(c.conditionalOverwrite) !== undefined, ifNoneMatch: c.conditionalCopy === 'honoured' };
      case 'delete':
        // `unusable`: the server refuses even a matching If-Match (in either spelling), so a delete would never pass.
        return { ifMatch: c.conditionalDelete === 'honoured' && c.conditionalOverwrite !== 'unusable', ifNoneMatch: false };
    }
  }

  /** Runs `write` (a PutObject, multipart upload or CopyObject) under `conditions`. */
  async write<T>(kind: 'put' | 'multipart' | 'copy', key: string, conditions: WriteConditions, write: GuardedWrite<T>, signal?: AbortSignal): Promise<T> {
    // Only a delete of a missing object comes back undefined (checkCurrent throws remote-missing for the others).
    return (await this.run(kind, key, conditions, write, signal)) as T;
  }

  /** Runs a DeleteObject under If-Match; an object that is already gone is left alone (nothing to delete). */
  async delete(key: string, ifMatch: string | undefined, del: (sent: SentConditions) => Promise<unknown>, signal?: AbortSignal): Promise<void> {
    await this.run('delete', key, ifMatch === undefined ? {} : { ifMatch }, del, signal);
  }

  private async run<T>(kind: WriteKind, key: string, conditions: WriteConditions, write: GuardedWrite<T>, signal?: AbortSignal): Promise<T | undefined> {
    const wanted = { ifMatch: conditions.ifMatch !== undefined, ifNoneMatch: conditions.ifNoneMatch === true };
    const sends = this.sendsConditions(kind);
    /** The conditions the server would ignore, checked by HEAD; false: a delete whose object is already gone. */
    const compare = async (): Promise<boolean> => {
      if (wanted.ifNoneMatch && !sends.ifNoneMatch) await this.checkAbsent(key, signal);
      if (conditions.ifMatch !== undefined && !sends.ifMatch) return this.checkCurrent(kind, key, conditions.ifMatch, signal);
      return true;
    };
    if (!(await compare())) return undefined;
    const recheck = async (): Promise<void> => {
      await compare();
    };
    const spelling = this.spelling();
    const sent: SentConditions = {
      ...(conditions.ifMatch !== undefined && sends.ifMatch ? { ifMatch: this.ifMatchHeader(conditions.ifMatch, spelling) } : {}),
      ...(wanted.ifNoneMatch && sends.ifNoneMatch ? { ifNoneMatch: true } : {}),
    };
    try {
      return await write(sent, recheck);
    } catch (err) {
      if ((sent.ifMatch !== undefined || sent.ifNoneMatch === true) && isNotImplemented(err)) {
        // Accepted when measured, refused now: the server changed. Compare first from now on.
        await this.notImplemented(kind, sent);
        return this.run(kind, key, conditions, write, signal);
      }
      if (sent.ifMatch === undefined || conditions.ifMatch === undefined || !isPreconditionFailed(err)) throw err;
      return this.matchingRefused(kind, key, conditions, conditions.ifMatch, spelling, err, write, signal);
    }
  }

  /**
   * A 412 on If-Match. If HEAD shows a different ETag (or none), someone
   * changed the object: the 412 stands. If it shows exactly the ETag we
   * sent, the server refused a matching precondition (Ceph RGW 16 with a
   * quoted ETag): try the other spelling, then give up on the header.
   */
  private async matchingRefused<T>(
    kind: WriteKind, key: string, conditions: WriteConditions, ifMatch: string, used: Spelling, first: unknown,
    write: GuardedWrite<T>, signal: AbortSignal | undefined,
  ): Promise<T | undefined> {
    const current = await this.options.head(key, signal).catch(() => undefined);
    if (current?.etag !== ifMatch) throw first;
    if (usableSpelling(this.options.capabilities.current.conditionalOverwrite) === undefined) {
      // Only a delete sends If-Match without a measured spelling; its refusal says nothing about PutObject's.
      await this.options.capabilities.changed('conditionalDelete', 'not-implemented', 'a matching If-Match on DeleteObject was refused with 412');
      return this.run(kind, key, conditions, write, signal);
    }
    const other: Spelling = used === 'quoted' ? 'unquoted' : 'quoted';
    await this.options.capabilities.changed('conditionalOverwrite', other, `a matching ${used} If-Match was refused with 412`);
    try {
      const sent = { ...(conditions.ifNoneMatch === true && this.sendsConditions(kind).ifNoneMatch ? { ifNoneMatch: true } : {}), ifMatch: this.ifMatchHeader(ifMatch, other) };
      return await write(sent, () => Promise.resolve());
    } catch (err) {
      if (!isPreconditionFailed(err)) throw err;
      const again = await this.options.head(key, signal).catch(() => undefined);
      if (again?.etag !== ifMatch) throw err;
      // Neither spelling is accepted for a matching ETag: the header is useless here; compare first instead.
      await this.options.capabilities.changed('conditionalOverwrite', 'unusable', 'a matching If-Match was refused in both spellings');
      return this.run(kind, key, conditions, write, signal);
    }
  }

  private async notImplemented(kind: WriteKind, sent: SentConditions): Promise<void> {
    const reason = 'the server answered NotImplemented to a conditional header';
    const caps = this.options.capabilities;
    if (kind === 'delete') await caps.changed('conditionalDelete', 'not-implemented', reason);
    else if (kind === 'copy') await caps.changed('conditionalCopy', 'not-implemented', reason);
    else if (kind === 'multipart') await caps.changed('conditionalComplete', 'not-implemented', reason);
    else if (sent.ifNoneMatch === true) await caps.changed('conditionalCreate', 'not-implemented', reason);
    else await caps.changed('conditionalOverwrite', 'not-implemented', reason);
  }

  /** For servers that ignore If-None-Match: the key must be free right now (race: see the module comment). */
  private async checkAbsent(key: string, signal?: AbortSignal): Promise<void> {
    if ((await this.options.head(key, signal)) !== undefined) throw remoteChangedError(key);
  }

  /**
   * For servers that ignore If-Match: the object must still be the version we
   * know (race: see the module comment). False for a delete of an object that
   * is already gone; a missing object for any other write is `remote-missing`,
   * as S3 answers 404 to If-Match on a missing key.
   */
  private async checkCurrent(kind: WriteKind, key: string, etag: string, signal?: AbortSignal): Promise<boolean> {
    const current = await this.options.head(key, signal);
    if (current === undefined) {
      if (kind === 'delete') return false;
      throw new StratusError('remote-missing', `"${key}" no longer exists on the server.`, { severity: 'item' });
    }
    if (current.etag !== etag) throw remoteChangedError(key);
    return true;
  }

  private spelling(): Spelling {
    return usableSpelling(this.options.capabilities.current.conditionalOverwrite) ?? 'quoted';
  }
}
