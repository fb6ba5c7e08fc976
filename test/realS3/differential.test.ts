/**
 * The differential test (issue 10): one scripted sequence of S3 requests
 * (s3Script.ts) runs against the sandbox and against Ceph RGW, and the
 * normalised answers are compared step by step. Every difference must be one
 * listed in s3Differences.ts — with the sandbox on AWS's documented side —
 * and docs/s3-compatibility.md must list each of them. A new difference (a
 * sandbox change, a Ceph upgrade) fails the test until it is understood and
 * documented; a listed one that disappeared fails it too, so the table stays
 * true. Needs both backends; prints one line and skips without Ceph.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backendNames, startBackend, type BackendName, type S3Backend } from '../support/s3Backends.js';
import { KNOWN_DIFFERENCES } from './s3Differences.js';
import { SCRIPT, scriptContext } from './s3Script.js';

const DOC = resolve(import.meta.dirname, '../../docs/s3-compatibility.md');
const bothBackends = backendNames().includes('ceph');
if (!bothBackends) console.log('differential test skipped: it compares the sandbox with Ceph RGW, and this run has no Ceph cluster (see test/support/cephGlobalSetup.ts)');

describe('docs/s3-compatibility.md', () => {
  it('lists every known difference, with its reason and what the engine does', async () => {
    const doc = await readFile(DOC, 'utf8');
    for (const d of KNOWN_DIFFERENCES) {
      const row = doc.split('\n').find((line) => line.startsWith(`| \`${d.id}\` |`));
      expect(row, `no table row for ${d.id}`).toBeDefined();
      expect(row).toContain(d.ceph.replace(/\|/g, '\\|'));
    }
  });

  it('keeps the sandbox on AWS\'s documented side of every difference', () => {
    for (const d of KNOWN_DIFFERENCES) expect(d.sandbox, d.id).toBe(d.aws);
  });
});

describe.skipIf(!bothBackends)('sandbox vs Ceph RGW, request by request', () => {
  const observed = new Map<string, Record<BackendName, string>>();
  const backends: S3Backend[] = [];

  beforeAll(async () => {
    for (const name of ['sandbox', 'ceph'] as const) {
      const backend = await startBackend(name);
      backends.push(backend);
      const ctx = scriptContext(backend);
      try {
        for (const step of SCRIPT) {
          const seen = await step.run(ctx).catch((err: unknown) => `threw ${err instanceof Error ? err.message : String(err)}`);
          const row = observed.get(step.id) ?? { sandbox: '', ceph: '' };
          row[name] = seen;
          observed.set(step.id, row);
        }
      } finally {
        ctx.dispose();
      }
    }
  }, 120_000);

  afterAll(async () => {
    for (const b of backends) await b.dispose();
  });

  it('runs every step on both servers', () => {
    expect([...observed.keys()]).toEqual(SCRIPT.map((s) => s.id));
    for (const [id, row] of observed) {
      expect(row.sandbox, id).not.toMatch(/^threw /);
      expect(row.ceph, id).not.toMatch(/^threw /);
    }
  });

  it('finds exactly the differences listed in s3Differences.ts and the doc', () => {
    const found = [...observed].filter(([, row]) => row.sandbox !== row.ceph).map(([id, row]) => ({ id, sandbox: row.sandbox, ceph: row.ceph }));
    const listed = KNOWN_DIFFERENCES.map((d) => ({ id: d.id, sandbox: d.sandbox, ceph: d.ceph }));
    // A failure here prints both sides: a new row must be explained and added (test and doc); a vanished one removed.
    expect(found).toEqual(listed);
  });
});
