/**
 * Crash safety (issue 5, SCENARIOS 31–33): `stratus watch`, the built bin,
 * is killed with SIGKILL at 20 seeded random moments while it uploads a
 * 200 MiB file and hundreds of small ones and downloads files only the server
 * has; between kills the user edits a few files. A final `stratus sync --once`
 * must then find the folder and the prefix converged: every file on both
 * sides with the same content, no half-written file or leftover temp file, no
 * open multipart upload, and the big upload resumed across processes rather
 * than restarted — counted at the sandbox: one CreateMultipartUpload for it,
 * parts sent by several processes, and no more part bytes than the file plus
 * the parts that were in flight when each process died.
 *
 * The seed is printed; STRATUS_SEED=<n> replays the same kill times and edits.
 */
import { spawn } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, open, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { HeadObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRandom } from '../support/random.js';
import { until } from '../support/until.js';
import { startCliSandbox, type CliSandbox } from './cliSandbox.js';

const repo = resolve(import.meta.dirname, '../..');
const MiB = 1024 * 1024;
const BIG = 200 * MiB;
const KILLS = 20;
/** The resumable path's defaults (S3RemoteStore): 8 MiB parts, 4 in flight. */
const PART = 8 * MiB;
const IN_FLIGHT = 4;
/** The first kills wait for the big upload to be under way (so it must resume across processes). */
const UPLOAD_KILLS = 4;

let world: CliSandbox;

beforeAll(async () => {
  world = await startCliSandbox('kill');
});

afterAll(async () => {
  await world.dispose();
});

function md5(data: Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

async function md5OfFile(path: string): Promise<string> {
  const hash = createHash('md5');
  const file = await open(path, 'r');
  try {
    for await (const chunk of file.createReadStream()) hash.update(chunk as Buffer);
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}

/** Every file under `root` (relative, `/`-separated), the engine's own folder excluded. */
async function walk(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const rel = relative(root, join(entry.parentPath, entry.name)).split('\\').join('/');
    if (rel.startsWith('.stratus/')) continue;
    out.push(rel);
  }
  return out.sort();
}

/** A big file of random bytes, written in 8 MiB chunks. */
async function writeRandomFile(path: string, size: number): Promise<void> {
  const file = await open(path, 'w');
  try {
    const chunk = Buffer.alloc(8 * MiB);
    for (let written = 0; written < size; written += chunk.length) {
      randomFillSync(chunk);
      await file.write(chunk, 0, Math.min(chunk.length, size - written));
    }
  } finally {
    await file.close();
  }
}

describe('kill -9 at random moments', () => {
  it(`converges after ${KILLS} seeded kills of stratus watch; the 200 MiB upload resumes instead of restarting`, async () => {
    const entry = join(repo, 'out/tsc/src/cli/index.js');
    if (!existsSync(entry)) throw new Error('out/tsc is missing: run "npm run build" first (npm test does).');
    const random = createRandom();
    console.log(`kill test seed: ${random.seed} (STRATUS_SEED=${random.seed} replays it)`);
    const { sandbox, admin, env, scratch } = world;
    const bucket = sandbox.info.bucket;
    const prefix = `kill-${random.seed}/`;
    const folder = await mkdtemp(join(scratch, 'folder-'));

    // The tree: one 200 MiB file, 200 small files in 10 folders; 40 small and one 24 MiB file only on the server.
    await writeRandomFile(join(folder, 'big.bin'), BIG);
    const small: string[] = [];
    for (let d = 0; d < 10; d += 1) {
      await mkdir(join(folder, `dir-${d}`));
      for (let f = 0; f < 20; f += 1) {
        const name = `dir-${d}/file-${f}.txt`;
        await writeFile(join(folder, name), `${name} ${'x'.repeat(random.int(8192))}`);
        small.push(name);
      }
    }
    const remoteOnly = new Map<string, Buffer>();
    for (let i = 0; i < 40; i += 1) remoteOnly.set(`remote/down-${i}.txt`, Buffer.from(`remote file ${i} ${'y'.repeat(random.int(4096))}`));
    remoteOnly.set('remote/medium.bin', randomFillSync(Buffer.alloc(24 * MiB)));
    for (const [name, body] of remoteOnly) await admin.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${name}`, Body: body }));

    sandbox.requests.reset();
    const bigKey = `${prefix}big.bin`;
    const common = [
      '--auth', 'aws', '--endpoint', sandbox.info.s3Endpoint, '--bucket', bucket, '--region', sandbox.info.region,
      '--prefix', prefix, '--folder', folder,
    ];
    const childEnv = { PATH: process.env['PATH'] ?? '', ...env, AWS_EC2_METADATA_DISABLED: 'true' };
    let processesSendingBigParts = 0;
    let edits = 0;

    for (let kill = 0; kill < KILLS; kill += 1) {
      const partBytesBefore = sandbox.requests.bytes('UploadPart', bigKey);
      // 40 MiB/s: the 200 MiB upload takes at least 5 s, so it spans several of the processes killed below.
      const child = spawn(process.execPath, [join(repo, 'bin/stratus.js'), 'watch', ...common, '--debounce-ms', '200', '--limit-up', '40M'], {
        cwd: scratch, env: childEnv, stdio: 'ignore',
      });
      const closed = new Promise<void>((done) => child.on('close', () => done()));
      let exited = false;
      void closed.then(() => (exited = true));
      // The moment is random, but measured from progress rather than from the spawn, so a slow machine (a
      // loaded CI runner takes seconds to start and hash) still kills mid-transfer: the first kills land
      // while this process is sending the big file's parts, the others anywhere after it reached the server.
      const requestsBefore = sandbox.requests.all.length;
      const midUpload = kill < UPLOAD_KILLS;
      await until(
        () => exited || (midUpload ? sandbox.requests.bytes('UploadPart', bigKey) > partBytesBefore : sandbox.requests.all.length > requestsBefore),
        60_000, midUpload ? 'the big upload to start' : 'the process to reach the server', 10,
      );
      await new Promise((r) => setTimeout(r, random.int(midUpload ? 1000 : 2500)));
      child.kill('SIGKILL');
      await closed;
      if (sandbox.requests.bytes('UploadPart', bigKey) > partBytesBefore) processesSendingBigParts += 1;

      // Between kills the user edits a file now and then (nothing runs at this moment: no race in the oracle).
      if (random.next() < 0.3) {
        const name = random.pick(small);
        await writeFile(join(folder, name), `edited after kill ${kill} ${'z'.repeat(random.int(2048))}`);
        edits += 1;
      }
    }

    // One clean pass, then a second that must find nothing to do.
    const sync = async (): Promise<{ code: number | null; stdout: string; stderr: string }> => {
      const child = spawn(process.execPath, [join(repo, 'bin/stratus.js'), 'sync', '--once', ...common], { cwd: scratch, env: childEnv });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const code = await new Promise<number | null>((done) => child.on('close', done));
      return { code, stdout, stderr };
    };
    const beforeFinal = sandbox.requests.bytes('UploadPart', bigKey);
    const finalPass = await sync();
    if (sandbox.requests.bytes('UploadPart', bigKey) > beforeFinal) processesSendingBigParts += 1;
    expect(finalPass.stderr).toBe('');
    expect(finalPass.code).toBe(0);
    const again = await sync();
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 up, 0 down/);
    console.log(`kill test: ${KILLS} kills, ${edits} edits, big-file parts sent by ${processesSendingBigParts} processes, ` +
      `${(sandbox.requests.bytes('UploadPart', bigKey) / MiB).toFixed(0)} MiB of parts for a ${BIG / MiB} MiB file`);

    // Converged: the same files on both sides, with the same content.
    const local = await walk(folder);
    expect(local.filter((name) => name.includes('.stratus-tmp-'))).toEqual([]);
    const listed = await admin.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    expect(listed.IsTruncated).not.toBe(true);
    const remote = new Map((listed.Contents ?? [])
      // Files only: folder markers (`dir/`) are folders, which the walk does not list.
      .filter((o) => !(o.Key ?? '').startsWith(`${prefix}.stratus/`) && !(o.Key ?? '').endsWith('/'))
      .map((o) => [(o.Key ?? '').slice(prefix.length), o]));
    expect([...remote.keys()].sort()).toEqual(local);
    for (const name of local) {
      const object = remote.get(name);
      const localMd5 = await md5OfFile(join(folder, name));
      const etag = (object?.ETag ?? '').replace(/"/g, '');
      if (etag.includes('-')) {
        const head = await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}${name}` }));
        expect(Buffer.from(head.Metadata?.['md5chksum'] ?? '', 'base64').toString('hex'), name).toBe(localMd5);
        expect(head.ContentLength, name).toBe((await readFile(join(folder, name))).length);
      } else {
        expect(etag, name).toBe(localMd5);
      }
    }
    for (const [name, body] of remoteOnly) expect(md5(await readFile(join(folder, name))), name).toBe(md5(body));
    expect(await md5OfFile(join(folder, 'big.bin'))).toBe(
      Buffer.from((await admin.send(new HeadObjectCommand({ Bucket: bucket, Key: bigKey }))).Metadata?.['md5chksum'] ?? '', 'base64').toString('hex'),
    );
    const open = await admin.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
    expect(open.Uploads ?? []).toEqual([]);

    // Resumed, not restarted: one upload for the big file, continued by several processes, no part sent twice over.
    expect(sandbox.requests.count('CreateMultipartUpload', bigKey)).toBe(1);
    expect(processesSendingBigParts).toBeGreaterThanOrEqual(2);
    const partBytes = sandbox.requests.bytes('UploadPart', bigKey);
    expect(partBytes).toBeGreaterThanOrEqual(BIG);
    expect(partBytes).toBeLessThanOrEqual(BIG + (processesSendingBigParts - 1) * IN_FLIGHT * PART);
  }, 300_000);
});
