/**
 * endpointDoctor: the checks behind `stratus doctor` — can Stratus sync with
 * this server, bucket and prefix, and which of the server's departures from
 * AWS will it work around? In order: reachability, clock skew (from the
 * server's Date header), credentials, permissions under the prefix (list,
 * put, get, delete of a scratch key in `<prefix>.stratus/`), whether listing
 * outside the prefix is refused (information only), and the capability table
 * (capabilities.ts). Emits a DoctorReport: one plain-language line per check,
 * and a verdict. Writes only scratch keys it deletes again.
 */
import { randomUUID } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  CAPABILITY_NAMES, ProbeFailedError, probeCapabilities, quirksOf, setRequestChecksumMode,
  type CapabilityName, type CapabilitySet, type EndpointCapabilities,
} from './capabilities.js';
import { httpStatus, s3ErrorName, toStratusError } from './s3Errors.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'info' | 'skipped';

export interface DoctorCheck {
  /** Stable id: `reachability`, `clock`, `credentials`, `list`, `put`, `get`, `delete`, `outside-prefix`, or a capability name. */
  readonly id: string;
  readonly status: CheckStatus;
  /** One sentence a person can act on. */
  readonly message: string;
  /** What the server answered, in a few words, when that helps. */
  readonly evidence?: string;
}

export interface DoctorReport {
  readonly version: 1;
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
  /** Whether Stratus can sync here (quirks it works around do not count against it). */
  readonly canSync: boolean;
  readonly verdict: string;
  readonly checks: readonly DoctorCheck[];
  readonly capabilities: EndpointCapabilities | null;
}

export interface DoctorOptions {
  readonly client: S3Client;
  /** The server's base URL (`http://127.0.0.1:7480`, `https://s3.eu-west-1.amazonaws.com`). */
  readonly endpoint: string;
  readonly bucket: string;
  /** Ends with '/' or is '' (the whole bucket). */
  readonly prefix: string;
  readonly signal?: AbortSignal;
  /** Local clock, for the skew check. @default Date.now */
  readonly now?: () => number;
  /** Gives up on an unreachable server after this long. @default 10 s */
  readonly timeoutMs?: number;
}

const MINUTE = 60_000;
/** Beyond this, the clock is worth fixing; SigV4 refuses requests more than 15 minutes off. */
const SKEW_WARN_MS = 5 * MINUTE;
const SKEW_FAIL_MS = 15 * MINUTE;
const CREDENTIAL_ERRORS = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'TokenRefreshRequired', 'InvalidToken']);
/** The race a HEAD-compare leaves open, said once per warning that relies on one. */
function race(what: 'overwritten' | 'deleted'): string {
  return `a change someone else makes in the instant between that check and the request can be ${what} unseen`;
}

/** The plain verdict per capability value: ok where it behaves as AWS, a warning naming the workaround elsewhere. */
function capabilityCheck<K extends CapabilityName>(name: K, value: CapabilitySet[K], evidence: string): DoctorCheck {
  const warn = (message: string): DoctorCheck => ({ id: name, status: 'warn', message, evidence });
  const ok = (message: string): DoctorCheck => ({ id: name, status: 'ok', message, evidence });
  switch (name) {
    case 'conditionalCreate':
      return value === 'honoured'
        ? ok('conditional create works (If-None-Match: *): a new file never replaces one someone else just created')
        : warn(`the server ${value === 'ignored' ? 'ignores' : 'does not implement'} If-None-Match: * on uploads; Stratus checks with a HEAD just before creating a file instead (${race('overwritten')})`);
    case 'conditionalOverwrite':
      if (value === 'quoted') return ok('conditional overwrite works (If-Match with the quoted ETag)');
      if (value === 'unquoted') {
        return warn('the server refuses If-Match with a quoted ETag (as S3 sends them) even when it matches, and accepts it bare; Stratus sends bare ETags');
      }
      return warn(`the server ${value === 'ignored' ? 'ignores If-Match on uploads' : value === 'unusable' ? 'refuses If-Match on uploads even when it matches' : 'does not implement If-Match on uploads'}; Stratus compares with a HEAD just before each overwrite instead (${race('overwritten')})`);
    case 'conditionalDelete':
      return value === 'honoured'
        ? ok('conditional delete works (If-Match on DeleteObject)')
        : warn(`the server ${value === 'ignored' ? 'ignores If-Match on deletes (a stale delete removes the newer file)' : 'does not implement If-Match on deletes'}; Stratus compares with a HEAD just before each delete instead (${race('deleted')})`);
    case 'conditionalCopy':
      return value === 'honoured'
        ? ok('conditional copy works (renames never overwrite or copy a changed file)')
        : warn(`the server ${value === 'ignored' ? 'ignores the conditions of CopyObject' : 'does not implement conditions on CopyObject'}; Stratus checks source and destination with a HEAD just before each rename instead (${race('overwritten')})`);
    case 'conditionalComplete':
      return value === 'honoured'
        ? ok('conditional multipart uploads work (conditions on CompleteMultipartUpload)')
        : warn(`the server ${value === 'ignored' ? 'ignores the conditions of CompleteMultipartUpload' : 'does not implement conditions on CompleteMultipartUpload'}; for large files Stratus checks with a HEAD just before completing the upload instead (${race('overwritten')})`);
    case 'multipartEtag':
      return value === 'returned'
        ? ok('multipart uploads report their ETag')
        : warn('CompleteMultipartUpload answers without an ETag; Stratus asks with a HEAD after each large upload');
    case 'defaultChecksums':
      return value === 'accepted'
        ? ok('the AWS SDK\'s default checksum headers (CRC32) are accepted')
        : warn('the server rejects the AWS SDK\'s default CRC32 checksum headers; Stratus sends checksums only where S3 requires them (uploads still carry Content-MD5)');
    case 'listPagination':
      if (value === 'honoured') return ok('listings page correctly (max-keys and continuation tokens)');
      return value === 'max-keys-ignored'
        ? warn('the server ignores max-keys in listings; harmless, Stratus reads every page')
        : warn('the server\'s continuation tokens do not lead to the next page; Stratus pages listings with start-after instead');
  }
  return ok(String(value));
}

function describeError(err: unknown): string {
  const status = httpStatus(err);
  const name = s3ErrorName(err);
  if (status === undefined) return name ?? (err instanceof Error ? err.message : String(err));
  return `${name ?? 'error'} (HTTP ${status})`;
}

function formatSkew(ms: number): string {
  const seconds = Math.round(Math.abs(ms) / 1000);
  if (seconds < 120) return `${seconds} s`;
  return `${Math.round(seconds / 60)} min`;
}

export async function diagnoseEndpoint(options: DoctorOptions): Promise<DoctorReport> {
  const { client, bucket, prefix } = options;
  const now = options.now ?? Date.now;
  const send = options.signal === undefined ? {} : { abortSignal: options.signal };
  const checks: DoctorCheck[] = [];
  let blocked: string | undefined;
  let capabilities: EndpointCapabilities | null = null;
  const add = (check: DoctorCheck): void => {
    checks.push(check);
    if (check.status === 'fail') blocked ??= check.message;
  };
  const skipRest = (ids: readonly string[]): void => {
    for (const id of ids) checks.push({ id, status: 'skipped', message: 'not checked: an earlier check failed' });
  };
  const location = `s3://${bucket}/${prefix}`;

  // ── reachability and clock: one unsigned request; any HTTP answer means the server is there ──
  let serverDate: number | undefined;
  try {
    const started = now();
    const response = await fetch(options.endpoint, { method: 'GET', signal: AbortSignal.any([AbortSignal.timeout(options.timeoutMs ?? 10_000), ...(options.signal === undefined ? [] : [options.signal])]) });
    const ended = now();
    await response.body?.cancel();
    const date = response.headers.get('date');
    if (date !== null && !Number.isNaN(Date.parse(date))) serverDate = Date.parse(date) - (started + ended) / 2;
    add({ id: 'reachability', status: 'ok', message: `the server at ${options.endpoint} answers (HTTP ${response.status} in ${Math.round(ended - started)} ms)` });
  } catch (err) {
    const cause = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
    add({ id: 'reachability', status: 'fail', message: `cannot reach ${options.endpoint} (${typeof cause === 'string' ? cause : err instanceof Error ? err.message : String(err)}); check --endpoint and that the server is running` });
  }
  if (blocked !== undefined) {
    skipRest(['clock', 'credentials', 'list', 'put', 'get', 'delete', 'outside-prefix', ...CAPABILITY_NAMES]);
    return finish();
  }
  if (serverDate === undefined) {
    add({ id: 'clock', status: 'warn', message: 'the server sent no Date header, so the clock could not be compared; make sure this computer sets its clock automatically' });
  } else {
    // serverDate holds server − local at the request's midpoint; the header has 1 s resolution.
    const skew = -serverDate;
    const ahead = skew > 0 ? 'ahead of' : 'behind';
    if (Math.abs(skew) > SKEW_FAIL_MS) {
      add({ id: 'clock', status: 'fail', message: `this computer's clock is ${formatSkew(skew)} ${ahead} the server's; S3 refuses requests signed more than 15 min off: set the clock automatically` });
    } else if (Math.abs(skew) > SKEW_WARN_MS) {
      add({ id: 'clock', status: 'warn', message: `this computer's clock is ${formatSkew(skew)} ${ahead} the server's; beyond 15 min S3 refuses requests: set the clock automatically` });
    } else {
      add({ id: 'clock', status: 'ok', message: `this computer's clock is within ${formatSkew(Math.max(Math.abs(skew), 1000))} of the server's` });
    }
  }

  // ── credentials and listing under the prefix: AccessDenied means the key was known and the signature checked ──
  try {
    await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }), send);
    add({ id: 'credentials', status: 'ok', message: 'the server accepts these credentials' });
    add({ id: 'list', status: 'ok', message: `listing ${location} is allowed` });
  } catch (err) {
    const name = s3ErrorName(err) ?? '';
    if (name === 'NoSuchBucket') {
      add({ id: 'credentials', status: 'fail', message: `the bucket "${bucket}" does not exist at this server; check --bucket (and --region)`, evidence: describeError(err) });
    } else if (name === 'RequestTimeTooSkewed') {
      add({ id: 'credentials', status: 'fail', message: 'the server refused the request because this computer\'s clock is too far off; set the clock automatically', evidence: describeError(err) });
    } else if (CREDENTIAL_ERRORS.has(name) || httpStatus(err) === 401) {
      add({ id: 'credentials', status: 'fail', message: `the server refuses these credentials (${name || 'HTTP 401'}); check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the profile) and --region`, evidence: describeError(err) });
    } else if (httpStatus(err) === 403) {
      add({ id: 'credentials', status: 'ok', message: 'the server accepts these credentials (it knows the key; the denial below is about permissions)' });
      add({ id: 'list', status: 'fail', message: `listing ${location} is denied; the credentials must allow s3:ListBucket on this prefix`, evidence: describeError(err) });
    } else {
      const mapped = toStratusError(err, { operation: 'list', bucket, prefix });
      add({ id: 'credentials', status: 'fail', message: mapped.message, evidence: describeError(err) });
    }
  }
  if (blocked !== undefined && !checks.some((c) => c.id === 'list')) {
    skipRest(['list', 'put', 'get', 'delete', 'outside-prefix', ...CAPABILITY_NAMES]);
    return finish();
  }

  // ── put, get, delete of a scratch key under the prefix ──
  const scratch = `${prefix}.stratus/doctor-${randomUUID()}`;
  const body = `stratus doctor ${new Date(now()).toISOString()}`;
  let stored = false;
  try {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: scratch, Body: Buffer.from(body) }), send);
    stored = true;
    add({ id: 'put', status: 'ok', message: `uploading to ${location} is allowed` });
  } catch (err) {
    add({ id: 'put', status: 'fail', message: `uploading to ${location} is ${httpStatus(err) === 403 ? 'denied; the credentials must allow s3:PutObject on this prefix' : `refused (${describeError(err)})`}`, evidence: describeError(err) });
  }
  if (stored) {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: scratch }), send);
      const text = await out.Body?.transformToString();
      add(text === body
        ? { id: 'get', status: 'ok', message: `downloading from ${location} is allowed` }
        : { id: 'get', status: 'fail', message: 'the server returned different bytes than were uploaded', evidence: `${text?.length ?? 0} bytes` });
    } catch (err) {
      add({ id: 'get', status: 'fail', message: `downloading from ${location} is ${httpStatus(err) === 403 ? 'denied; the credentials must allow s3:GetObject on this prefix' : `refused (${describeError(err)})`}`, evidence: describeError(err) });
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: scratch }), send);
      add({ id: 'delete', status: 'ok', message: `deleting in ${location} is allowed` });
    } catch (err) {
      add({ id: 'delete', status: 'fail', message: `deleting in ${location} is ${httpStatus(err) === 403 ? 'denied; the credentials must allow s3:DeleteObject on this prefix' : `refused (${describeError(err)})`} (the scratch key ${scratch} was left behind)`, evidence: describeError(err) });
    }
  } else {
    skipRest(['get', 'delete']);
  }

  // ── outside the prefix: information, since what is right depends on how the bucket is shared ──
  if (prefix === '') {
    add({ id: 'outside-prefix', status: 'info', message: 'Stratus syncs the whole bucket here, so there is nothing outside the prefix to check' });
  } else {
    try {
      await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: '', Delimiter: '/', MaxKeys: 1 }), send);
      add({ id: 'outside-prefix', status: 'info', message: `these credentials may list the whole bucket, not only ${prefix}: normal for a full-access key (aws mode); in a bucket shared by several people, each person's key should be limited to their own prefix` });
    } catch (err) {
      add(httpStatus(err) === 403
        ? { id: 'outside-prefix', status: 'info', message: `listing the bucket outside ${prefix} is refused, as a per-user policy should`, evidence: describeError(err) }
        : { id: 'outside-prefix', status: 'info', message: `listing the bucket outside ${prefix} failed (${describeError(err)})`, evidence: describeError(err) });
    }
  }

  // ── capabilities ──
  if (blocked !== undefined) {
    skipRest(CAPABILITY_NAMES);
  } else {
    const mode = await client.config.requestChecksumCalculation();
    try {
      const probe = await probeCapabilities(client, bucket, prefix, { endpoint: options.endpoint, ...(options.signal === undefined ? {} : { signal: options.signal }) });
      capabilities = probe.capabilities;
      for (const name of CAPABILITY_NAMES) add(capabilityCheck(name, probe.capabilities[name], probe.evidence[name]));
    } catch (err) {
      const cause = err instanceof ProbeFailedError ? err.cause : err;
      add({
        id: 'capabilities',
        status: 'warn',
        message: `the server's behaviour could not be measured (${err instanceof ProbeFailedError ? `${err.step}: ` : ''}${describeError(cause)}); Stratus then assumes AWS behaviour and checks what it can at run time`,
        evidence: describeError(cause),
      });
    } finally {
      // The doctor's client is the caller's: leave its checksum setting as it was.
      setRequestChecksumMode(client, mode as 'WHEN_SUPPORTED' | 'WHEN_REQUIRED');
    }
  }
  return finish();

  function finish(): DoctorReport {
    const canSync = blocked === undefined;
    const quirks = capabilities === null ? 0 : quirksOf(capabilities).length;
    const warnings = checks.filter((c) => c.status === 'warn').length;
    const verdict = canSync
      ? `Stratus can sync ${location} with this server${quirks > 0 ? ` (it works around ${quirks} way${quirks === 1 ? '' : 's'} in which the server differs from AWS S3)` : warnings > 0 ? ` (see the warnings above)` : ''}.`
      : `Stratus cannot sync ${location} with this server: ${blocked ?? ''}.`;
    return { version: 1, endpoint: options.endpoint, bucket, prefix, canSync, verdict, checks, capabilities };
  }
}
