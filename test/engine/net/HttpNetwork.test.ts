/**
 * HttpNetwork without a proxy: the trust it builds (bundled + OS + the extra
 * PEM file; a bad file is one named error), agentFetch against a TLS server
 * from a test CA, and how a refused certificate is recognised.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getCACertificates } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificateProblem, describeCertificateProblem } from '../../../src/engine/net/certificateProblem.js';
import { HttpNetwork } from '../../../src/engine/net/HttpNetwork.js';
import { lazyTrustedContext, readCaFile, trustedCertificates } from '../../../src/engine/net/trustedCertificates.js';
import { createTestCa, hasOpenssl, type TestCa } from './testCa.js';

const skipReason = (await hasOpenssl()) ? undefined : 'the openssl command is not installed (it makes the test CA)';
if (skipReason !== undefined) console.log(`skipped (HttpNetwork with a test CA): ${skipReason}`);

let dir: string;
let ca: TestCa;
let server: Server;
let origin: string;
const seen: { method: string; url: string; body: string; type: string | undefined }[] = [];

describe.skipIf(skipReason !== undefined)('HttpNetwork', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-net-'));
    ca = await createTestCa(dir);
    server = createServer({ key: ca.serverKey, cert: ca.serverCert }, (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body: Buffer.concat(chunks).toString(), type: req.headers['content-type'] });
        if (req.url === '/redirect') {
          res.writeHead(302, { location: '/elsewhere', 'set-cookie': ['a=1', 'b=2'] }).end();
        } else if (req.url === '/empty') {
          res.writeHead(204).end();
        } else {
          res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true }));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    origin = `https://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server === undefined ? resolve() : server.close(() => resolve())));
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('trusts the OS store and the extra CA file besides Node\'s bundled roots', async () => {
    const all = await trustedCertificates({ extraCaFile: ca.caFile });
    expect(all).toContain(ca.caPem.trim());
    for (const pem of getCACertificates('system').slice(0, 5)) expect(all).toContain(pem);
    expect(new Set(all).size).toBe(all.length);
    expect(await trustedCertificates({ system: false })).not.toContain(ca.caPem.trim());
  });

  it('names the file and the problem when the extra CA file is missing, empty or damaged', async () => {
    await expect(readCaFile(join(dir, 'missing.pem'))).rejects.toMatchObject({ code: 'ca-file-invalid', message: expect.stringContaining('does not exist') as unknown });
    await writeFile(join(dir, 'empty.pem'), 'not a certificate\n');
    await expect(readCaFile(join(dir, 'empty.pem'))).rejects.toMatchObject({ code: 'ca-file-invalid', message: expect.stringContaining('holds no PEM certificate') as unknown });
    await writeFile(join(dir, 'damaged.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    await expect(readCaFile(join(dir, 'damaged.pem'))).rejects.toMatchObject({ code: 'ca-file-invalid', message: expect.stringContaining('Certificate 1 in') as unknown });
  });

  it('checks the extra CA file at start but builds the context once, on first use', async () => {
    await expect(lazyTrustedContext({ extraCaFile: join(dir, 'missing.pem') })).rejects.toMatchObject({ code: 'ca-file-invalid' });
    await expect(HttpNetwork.create({ settings: { extraCaCertificates: join(dir, 'missing.pem') } })).rejects.toMatchObject({ code: 'ca-file-invalid' });
    const context = await lazyTrustedContext({ extraCaFile: ca.caFile });
    const first = context();
    expect(context()).toBe(first);
  });

  it('fetches over TLS with the extra CA: body and content-type as fetch sends them, manual redirects, null bodies', async () => {
    const network = await HttpNetwork.create({ settings: { extraCaCertificates: ca.caFile } });
    try {
      const posted = await network.fetch(`${origin}/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token' }), redirect: 'manual' });
      expect(posted.status).toBe(200);
      expect(await posted.json()).toEqual({ ok: true });
      expect(seen.at(-1)).toEqual({ method: 'POST', url: '/token', body: 'grant_type=refresh_token', type: 'application/x-www-form-urlencoded;charset=UTF-8' });

      const redirected = await network.fetch(`${origin}/redirect`, { redirect: 'manual' });
      expect(redirected.status).toBe(302);
      expect(redirected.headers.get('location')).toBe('/elsewhere');
      expect(redirected.headers.getSetCookie()).toEqual(['a=1', 'b=2']);

      const empty = await network.fetch(`${origin}/empty`, { redirect: 'manual' });
      expect(empty.status).toBe(204);
      expect(empty.body).toBeNull();

      await expect(network.fetch(`${origin}/`)).rejects.toThrow(/redirect: "manual"/);
    } finally {
      network.dispose();
    }
  });

  it('rejects a certificate from an unknown CA as fetch does, and the cause names the OpenSSL code', async () => {
    const network = await HttpNetwork.create({});
    try {
      const err = await network.fetch(`${origin}/`, { redirect: 'manual' }).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(TypeError);
      const problem = certificateProblem(err);
      expect(problem).toEqual({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', kind: 'untrusted' });
      expect(describeCertificateProblem(problem ?? { code: '', kind: 'untrusted' }, origin)).toMatch(/not signed by a CA this computer trusts .*ExtraCaCertificates/);
    } finally {
      network.dispose();
    }
  });

  it('rejects with the signal\'s reason when aborted', async () => {
    const network = await HttpNetwork.create({ settings: { extraCaCertificates: ca.caFile } });
    try {
      const controller = new AbortController();
      controller.abort(new DOMException('stop', 'TimeoutError'));
      await expect(network.fetch(`${origin}/`, { redirect: 'manual', signal: controller.signal })).rejects.toMatchObject({ name: 'TimeoutError' });
    } finally {
      network.dispose();
    }
  });
});

describe('certificateProblem', () => {
  it('looks through causes and AggregateError members, and ignores other failures', () => {
    const tls = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
    expect(certificateProblem(new Error('wrapped', { cause: new AggregateError([new Error('x'), tls]) }))).toEqual({ code: 'CERT_HAS_EXPIRED', kind: 'expired' });
    expect(certificateProblem(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeUndefined();
    expect(certificateProblem(undefined)).toBeUndefined();
  });
});
