/**
 * The app's engine process (a forked Node process standing in for the
 * utilityProcess) with the network settings in its start message: it reaches
 * the sandbox S3 over TLS from a throwaway test CA through a real tinyproxy —
 * the path the NODE_OPTIONS fuse leaves without NODE_EXTRA_CA_CERTS. Its
 * environment is hermetic: no proxy or CA variable of this machine.
 * Runs the tsc-built engine entry (`npx tsc -b` / npm test builds it).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineSupervisor } from '../../../src/engine/host/EngineSupervisor.js';
import type { EngineSettings } from '../../../src/shared/EngineProtocol.js';
import type { StatusSnapshot } from '../../../src/shared/StratusApi.js';
import { startCliSandbox, type CliSandbox } from '../../cli/cliSandbox.js';
import { forkedEngineChild } from '../../support/forkedEngineChild.js';
import { startTlsForwarder, type TlsForwarder } from '../../support/tlsForwarder.js';
import { until } from '../../support/until.js';
import { createTestCa, hasOpenssl, type TestCa } from './testCa.js';
import { startTinyproxy, tinyproxyUnavailable, type Tinyproxy } from './tinyproxy.js';

const skipReason = tinyproxyUnavailable() ?? (!(await hasOpenssl()) ? 'the openssl command is not installed (it makes the test CA)' : undefined);
if (skipReason !== undefined) console.log(`skipped (engine process through a proxy): ${skipReason}`);

let world: CliSandbox;
let ca: TestCa;
let tls: TlsForwarder;
let proxy: Tinyproxy;

/** Only what a Node process needs: no HTTPS_PROXY, NODE_EXTRA_CA_CERTS or AWS_CA_BUNDLE from this machine. */
function hermeticEnv(): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: world.scratch, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
}

async function runEngine(network: Pick<EngineSettings, 'proxyUrl' | 'proxyBypassList' | 'extraCaCertificates'>): Promise<{ prefix: string; seen: StatusSnapshot[] }> {
  const { sandbox, scratch } = world;
  const folder = await mkdtemp(join(scratch, 'folder-'));
  await writeFile(join(folder, 'engine.txt'), 'from the engine process');
  const prefix = `engine-${Date.now()}/`;
  const supervisor = new EngineSupervisor({
    spawn: () => forkedEngineChild(hermeticEnv()),
    settings: {
      folder, bucket: sandbox.info.bucket, region: sandbox.info.region, endpoint: tls.url, prefix,
      credentials: { accessKeyId: sandbox.info.adminAccessKeyId, secretAccessKey: sandbox.info.adminSecretAccessKey },
      debounceMs: 200, pollMs: 500, ...network,
    },
    initialBackoffMs: 200,
  });
  const seen: StatusSnapshot[] = [];
  supervisor.onDidChangeStatus((s) => seen.push(s));
  supervisor.start();
  try {
    const settled = new Set(['up-to-date', 'needs-attention', 'offline']);
    await until(() => seen.some((s) => s.lastCheckAt !== undefined || s.message !== undefined) && settled.has(supervisor.current.sync), 30_000, 'the first sync to settle');
  } finally {
    await supervisor.stop();
  }
  return { prefix, seen };
}

describe.skipIf(skipReason !== undefined)('the engine process behind a proxy with an extra CA', () => {
  beforeAll(async () => {
    world = await startCliSandbox('engine-proxy');
    ca = await createTestCa(await mkdtemp(join(world.scratch, 'ca-')));
    tls = await startTlsForwarder({ key: ca.serverKey, cert: ca.serverCert, targetPort: Number(new URL(world.sandbox.info.s3Endpoint).port) });
    proxy = await startTinyproxy(world.scratch, [tls.port]);
  });

  afterAll(async () => {
    await proxy?.stop();
    await tls?.close();
    await world?.dispose();
  });

  it('syncs over TLS from the test CA through the proxy with proxyUrl and extraCaCertificates', async () => {
    const before = (await proxy.connects()).length;
    const { prefix, seen } = await runEngine({ proxyUrl: proxy.url, extraCaCertificates: ca.caFile });
    expect(seen.at(-1)?.sync).toBe('up-to-date');
    const listed = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: prefix }));
    expect((listed.Contents ?? []).map((o) => o.Key)).toContain(`${prefix}engine.txt`);
    expect((await proxy.connects()).slice(before)).toContain(`127.0.0.1:${tls.port}`);
  }, 60_000);

  it('does not reach up-to-date without the extra CA (the certificate is refused)', async () => {
    const { prefix, seen } = await runEngine({ proxyUrl: proxy.url });
    expect(seen.some((s) => s.sync === 'up-to-date')).toBe(false);
    // The app shows it as needing attention (the wording is s3Errors.ts's generic "refused list of …").
    expect(seen.at(-1)?.sync).toBe('needs-attention');
    const listed = await world.admin.send(new ListObjectsV2Command({ Bucket: world.sandbox.info.bucket, Prefix: prefix }));
    expect(listed.Contents ?? []).toEqual([]);
  }, 60_000);
});
