/**
 * Proxy and corporate CA, for real (issue 9): the sandbox S3 served over TLS
 * with a certificate from a throwaway test CA (a TLS forwarder in front of its
 * http port), reached through Debian's tinyproxy (a real HTTP CONNECT proxy)
 * started here, with `stratus sync --once` configured by a policy file
 * (STRATUS_POLICY_FILE: ProxyUrl, ProxyBypassList, ExtraCaCertificates).
 *
 * Skips with a printed reason when tinyproxy or openssl is missing, or when
 * not root (a policy file must be root-owned to be read).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Env } from '../../../src/cli/config.js';
import { ExitCode, runCli } from '../../../src/cli/runCli.js';
import { startCliSandbox, type CliSandbox } from '../../cli/cliSandbox.js';
import { startTlsForwarder, type TlsForwarder } from '../../support/tlsForwarder.js';
import { createTestCa, hasOpenssl, type TestCa } from './testCa.js';
import { startTinyproxy, tinyproxyUnavailable, type Tinyproxy } from './tinyproxy.js';

const repo = resolve(import.meta.dirname, '../../..');
const isRoot = process.getuid?.() === 0;
const skipReason =
  tinyproxyUnavailable() ??
  (!isRoot ? 'STRATUS_POLICY_FILE must be root-owned and this run is not root' : undefined) ??
  (!(await hasOpenssl()) ? 'the openssl command is not installed (it makes the test CA)' : undefined);
if (skipReason !== undefined) console.log(`skipped (proxy and corporate CA round trip): ${skipReason}`);

let world: CliSandbox;
let ca: TestCa;
let tls: TlsForwarder;
let proxy: Tinyproxy;
let dir: string;

interface Run {
  readonly code: number;
  readonly out: string[];
  readonly err: string[];
}

/** The CLI in-process, with an environment of its own: no proxy or CA variable of this machine takes part. */
async function stratus(argv: readonly string[], env: Env): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), version: 'test', env: { ...world.env, ...env }, cwd: world.scratch });
  return { code, out, err };
}

async function policyFile(policies: Record<string, unknown>): Promise<string> {
  const file = join(dir, `policy-${randomUUID()}.json`);
  await writeFile(file, JSON.stringify(policies), { mode: 0o644 });
  return file;
}

/** A folder with one file, and `sync --once` arguments for it against `endpoint`. */
async function place(endpoint: string): Promise<{ prefix: string; args: string[] }> {
  const folder = await mkdtemp(join(world.scratch, 'folder-'));
  await writeFile(join(folder, 'hello.txt'), 'through the proxy');
  const prefix = `proxy-${randomUUID()}/`;
  const { info } = world.sandbox;
  return {
    prefix,
    args: ['sync', '--once', '--auth', 'aws', '--endpoint', endpoint, '--bucket', info.bucket, '--region', info.region, '--prefix', prefix, '--folder', folder],
  };
}

async function remoteKeys(prefix: string): Promise<string[]> {
  const listed = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length)).sort();
}

describe.skipIf(skipReason !== undefined)('S3 over TLS from a test CA, through a real CONNECT proxy (tinyproxy)', () => {
  beforeAll(async () => {
    world = await startCliSandbox('proxy-ca');
    dir = join(world.scratch, 'net');
    await mkdir(join(dir, 'ca'), { recursive: true });
    ca = await createTestCa(join(dir, 'ca'));
    tls = await startTlsForwarder({ key: ca.serverKey, cert: ca.serverCert, targetPort: Number(new URL(world.sandbox.info.s3Endpoint).port) });
    proxy = await startTinyproxy(dir, [tls.port]);
  });

  afterAll(async () => {
    await proxy?.stop();
    await tls?.close();
    await world?.dispose();
  });

  it('refuses the server certificate in one line naming the CA problem when the test CA is not trusted', async () => {
    const policy = await policyFile({ ProxyUrl: proxy.url });
    const { prefix, args } = await place(tls.url);
    const run = await stratus(args, { STRATUS_POLICY_FILE: policy });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.err).toHaveLength(1);
    expect(run.err[0]).toMatch(/^stratus: the TLS certificate of https:\/\/127\.0\.0\.1:\d+ is not signed by a CA this computer trusts \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); .*ExtraCaCertificates policy/);
    // It did go through the proxy: the refusal is about trust, not about reaching the server.
    expect(await proxy.connects()).toContain(`127.0.0.1:${tls.port}`);
    expect(await remoteKeys(prefix)).toEqual([]);
  });

  it('uploads through the proxy when ExtraCaCertificates names the test CA', async () => {
    const policy = await policyFile({ ProxyUrl: proxy.url, ExtraCaCertificates: ca.caFile });
    const before = (await proxy.connects()).length;
    const { prefix, args } = await place(tls.url);
    const run = await stratus([...args, '--json'], { STRATUS_POLICY_FILE: policy });
    expect(run.err).toEqual([]);
    expect(run.code).toBe(ExitCode.ok);
    expect(JSON.parse(run.out[0] ?? '{}')).toMatchObject({ uploaded: 1, errors: 0 });
    expect(await remoteKeys(prefix)).toEqual(['hello.txt']);
    const connects = (await proxy.connects()).slice(before);
    expect(connects.length).toBeGreaterThan(0);
    expect(new Set(connects)).toEqual(new Set([`127.0.0.1:${tls.port}`]));
  });

  it('goes direct to a host in ProxyBypassList (the proxy sees no CONNECT)', async () => {
    const policy = await policyFile({ ProxyUrl: proxy.url, ProxyBypassList: ['example.com', '127.0.0.0/8'], ExtraCaCertificates: ca.caFile });
    const before = await proxy.connects();
    const handshakes = tls.connections;
    const { prefix, args } = await place(tls.url);
    const run = await stratus(args, { STRATUS_POLICY_FILE: policy });
    expect(run.err).toEqual([]);
    expect(run.code).toBe(ExitCode.ok);
    expect(await remoteKeys(prefix)).toEqual(['hello.txt']);
    expect(await proxy.connects()).toEqual(before);
    // Direct, and still over TLS with the test CA trusted.
    expect(tls.connections).toBeGreaterThan(handshakes);
  });

  it('uses HTTPS_PROXY from the environment when no ProxyUrl policy is set, and NO_PROXY there', async () => {
    const policy = await policyFile({ ExtraCaCertificates: ca.caFile });
    const before = (await proxy.connects()).length;
    const viaEnv = await place(tls.url);
    const proxied = await stratus(viaEnv.args, { STRATUS_POLICY_FILE: policy, HTTPS_PROXY: proxy.url });
    expect(proxied.err).toEqual([]);
    expect(proxied.code).toBe(ExitCode.ok);
    expect((await proxy.connects()).slice(before)).toContain(`127.0.0.1:${tls.port}`);

    const after = await proxy.connects();
    const bypassed = await place(tls.url);
    const direct = await stratus(bypassed.args, { STRATUS_POLICY_FILE: policy, https_proxy: proxy.url, NO_PROXY: `localhost,127.0.0.1:${tls.port}` });
    expect(direct.err).toEqual([]);
    expect(direct.code).toBe(ExitCode.ok);
    expect(await proxy.connects()).toEqual(after);
    expect(await remoteKeys(bypassed.prefix)).toEqual(['hello.txt']);
  });

  it('works the same from the built stratus command in a child process with a clean environment', async (ctx) => {
    const bin = join(repo, 'bin/stratus.js');
    if (!existsSync(join(repo, 'out/tsc/src/cli/runCli.js'))) {
      console.log('skipped (built stratus through a proxy): out/tsc is missing; run npx tsc -b (npm test builds it)');
      ctx.skip();
    }
    const policy = await policyFile({ ProxyUrl: proxy.url, ExtraCaCertificates: ca.caFile });
    const before = (await proxy.connects()).length;
    const { prefix, args } = await place(tls.url);
    // Hermetic: no HTTPS_PROXY, NODE_EXTRA_CA_CERTS or AWS_CA_BUNDLE of this machine reaches the child.
    const child = spawn(process.execPath, [bin, ...args, '--json'], {
      cwd: world.scratch,
      env: { PATH: process.env['PATH'] ?? '', ...world.env, STRATUS_POLICY_FILE: policy, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ uploaded: 1, errors: 0 });
    expect(await remoteKeys(prefix)).toEqual(['hello.txt']);
    expect((await proxy.connects()).slice(before)).toContain(`127.0.0.1:${tls.port}`);
  });

  it('says which file is wrong when ExtraCaCertificates does not exist', async () => {
    const missing = join(dir, 'no-such-ca.pem');
    const policy = await policyFile({ ProxyUrl: proxy.url, ExtraCaCertificates: missing });
    const { args } = await place(tls.url);
    const run = await stratus(args, { STRATUS_POLICY_FILE: policy });
    expect(run.code).toBe(ExitCode.usage);
    expect(run.err).toEqual([`stratus: The extra CA certificate file ${missing} (ExtraCaCertificates) does not exist; fix the path or the policy.`]);
  });
});
