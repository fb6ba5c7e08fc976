/**
 * `stratus doctor` end to end through runCli, against each backend: the
 * sandbox must look exactly like AWS (no warnings), Ceph RGW must show its
 * measured quirks as warnings and still "can sync" (exit 0). Then what makes
 * it say "cannot sync" (exit 2): refused credentials, a denied prefix, an
 * unreachable server; and the clock check, with a skewed local clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/cli/commands/doctor.js';
import type { Env } from '../../src/cli/config.js';
import { ExitCode, runCli } from '../../src/cli/runCli.js';
import { diagnoseEndpoint } from '../../src/engine/remote/endpointDoctor.js';
import { freePort } from '../support/ports.js';
import { describeEachBackend, startBackend, type S3Backend, type S3Credentials } from '../support/s3Backends.js';

/** The capability warnings each backend must produce, no more and no fewer. */
const EXPECTED_WARNINGS: Readonly<Record<string, readonly string[]>> = {
  sandbox: [],
  // Measured on Ceph 16.2 (docs/s3-compatibility.md): the README's two, plus three ignored preconditions.
  ceph: ['conditionalComplete', 'conditionalCopy', 'conditionalDelete', 'conditionalOverwrite', 'multipartEtag'],
};
const ALWAYS_OK = ['reachability', 'clock', 'credentials', 'list', 'put', 'get', 'delete'];

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

function envFor(credentials: S3Credentials): Env {
  return {
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
    ...(credentials.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: credentials.sessionToken }),
    // Isolation: whatever profile the machine has must not take part.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  };
}

async function doctor(backend: Pick<S3Backend, 'endpoint' | 'bucket' | 'region'>, prefix: string, credentials: S3Credentials, ...extra: string[]): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const argv = ['doctor', '--endpoint', backend.endpoint, '--bucket', backend.bucket, '--region', backend.region, '--prefix', prefix, ...extra];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env: envFor(credentials), cwd: '/' });
  return { code, out, err };
}

function statusOf(report: DoctorReport, id: string): string | undefined {
  return report.checks.find((c) => c.id === id)?.status;
}

describeEachBackend('stratus doctor', (getBackend, name) => {
  it(`reports ${name === 'ceph' ? 'Ceph RGW\'s quirks as warnings' : 'no quirks on the sandbox'} and says Stratus can sync (--json)`, async () => {
    const backend = getBackend();
    const prefix = backend.freshPrefix();
    const run = await doctor(backend, prefix, backend.credentials, '--json');
    expect(run.err).toEqual([]);
    expect(run.code).toBe(ExitCode.ok);
    expect(run.out).toHaveLength(1);
    const report = JSON.parse(run.out[0] ?? '') as DoctorReport;
    expect(report).toMatchObject({ version: 1, canSync: true, bucket: backend.bucket, prefix });
    for (const id of ALWAYS_OK) expect(statusOf(report, id), id).toBe('ok');
    const warnings = report.checks.filter((c) => c.status === 'warn').map((c) => c.id).sort();
    expect(warnings).toEqual(EXPECTED_WARNINGS[name]);
    expect(report.checks.filter((c) => c.status === 'fail')).toEqual([]);
    // A full-access key listing the bucket root is said plainly, as information, not as an error.
    expect(report.checks.find((c) => c.id === 'outside-prefix')).toMatchObject({ status: 'info', message: expect.stringContaining('full-access key') as unknown });
    expect(report.capabilities).toMatchObject({ version: 1, bucket: backend.bucket });
    // Nothing is left under the prefix.
    const listed = await backend.admin.send(new (await import('@aws-sdk/client-s3')).ListObjectsV2Command({ Bucket: backend.bucket, Prefix: prefix }));
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('prints one line per check and the verdict', async () => {
    const backend = getBackend();
    const run = await doctor(backend, backend.freshPrefix(), backend.credentials);
    expect(run.code).toBe(ExitCode.ok);
    expect(run.out[0]).toMatch(/^stratus doctor: s3:\/\//);
    expect(run.out).toContainEqual(expect.stringMatching(/^✓ reachability +the server at .* answers/));
    expect(run.out).toContainEqual(expect.stringMatching(/^✓ credentials +/));
    expect(run.out.filter((l) => l.startsWith('! ')).length).toBe(EXPECTED_WARNINGS[name]?.length);
    if (name === 'ceph') {
      // The README's two quirks, in plain words.
      expect(run.out).toContainEqual(expect.stringMatching(/^! conditional overwrite +the server refuses If-Match with a quoted ETag/));
      expect(run.out).toContainEqual(expect.stringMatching(/^! multipart ETag +CompleteMultipartUpload answers without an ETag/));
    }
    expect(run.out.at(-1)).toMatch(/^Stratus can sync s3:\/\//);
  });

  it('says it cannot sync when the server refuses the credentials (exit 2)', async () => {
    const backend = getBackend();
    const run = await doctor(backend, backend.freshPrefix(), { ...backend.credentials, secretAccessKey: 'wrong-secret-wrong-secret-wrong-secret00' }, '--json');
    expect(run.code).toBe(ExitCode.usage);
    const report = JSON.parse(run.out[0] ?? '') as DoctorReport;
    expect(report.canSync).toBe(false);
    expect(report.checks.find((c) => c.id === 'credentials')).toMatchObject({ status: 'fail', message: expect.stringContaining('SignatureDoesNotMatch') as unknown });
    expect(statusOf(report, 'put')).toBe('skipped');
    expect(report.verdict).toMatch(/^Stratus cannot sync/);
  });
});

describe('stratus doctor with per-user credentials (sandbox)', () => {
  let backend: S3Backend;
  beforeAll(async () => {
    backend = await startBackend('sandbox');
  });
  afterAll(async () => {
    await backend.dispose();
  });

  it('reports that listing outside the prefix is refused, as a per-user policy should', async () => {
    const prefix = backend.freshPrefix();
    const run = await doctor(backend, prefix, backend.credentialsFor(prefix), '--json');
    expect(run.code).toBe(ExitCode.ok);
    const report = JSON.parse(run.out[0] ?? '') as DoctorReport;
    expect(report.checks.find((c) => c.id === 'outside-prefix')).toMatchObject({ status: 'info', message: expect.stringContaining('is refused') as unknown });
    expect(report.checks.filter((c) => c.status === 'warn')).toEqual([]);
  });

  it('says it cannot sync when the credentials may not use the prefix (exit 2)', async () => {
    const mine = backend.freshPrefix();
    const theirs = backend.freshPrefix();
    const run = await doctor(backend, theirs, backend.credentialsFor(mine));
    expect(run.code).toBe(ExitCode.usage);
    expect(run.out).toContainEqual(expect.stringMatching(/^✓ credentials/));
    expect(run.out).toContainEqual(expect.stringMatching(/^✗ list +listing .* is denied/));
    expect(run.out.at(-1)).toMatch(/^Stratus cannot sync/);
  });

  it('warns about a clock 6 minutes off and fails one 20 minutes off', async () => {
    const client = backend.client(backend.freshPrefix());
    const options = { client, endpoint: backend.endpoint, bucket: backend.bucket, prefix: backend.freshPrefix() };
    const warned = await diagnoseEndpoint({ ...options, now: () => Date.now() + 6 * 60_000 });
    expect(warned.checks.find((c) => c.id === 'clock')).toMatchObject({ status: 'warn', message: expect.stringContaining('6 min ahead of') as unknown });
    const failed = await diagnoseEndpoint({ ...options, now: () => Date.now() - 20 * 60_000 });
    expect(failed.checks.find((c) => c.id === 'clock')).toMatchObject({ status: 'fail', message: expect.stringContaining('20 min behind') as unknown });
    expect(failed.canSync).toBe(false);
  });
});

describe('stratus doctor against nothing', () => {
  it('says the server cannot be reached and skips the rest (exit 2)', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await freePort();
    const run = await doctor({ endpoint: `http://127.0.0.1:${port}`, bucket: 'stratus', region: 'us-east-1' }, 'me/', { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, '--json');
    expect(run.code).toBe(ExitCode.usage);
    const report = JSON.parse(run.out[0] ?? '') as DoctorReport;
    expect(report.checks[0]).toMatchObject({ id: 'reachability', status: 'fail', message: expect.stringContaining('ECONNREFUSED') as unknown });
    expect(report.checks.slice(1).every((c) => c.status === 'skipped')).toBe(true);
  });

  it('needs no folder, but a bucket', async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['doctor', '--endpoint', 'http://127.0.0.1:9', '--region', 'us-east-1', '--prefix', 'me/'], { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env: {}, cwd: '/' });
    expect(code).toBe(ExitCode.usage);
    expect(err).toEqual(['stratus: no bucket given: use --bucket, STRATUS_BUCKET or "bucket" in the config file']);
  });
});
