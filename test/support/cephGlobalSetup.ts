/**
 * Vitest global setup for the real-S3 lane: starts ONE throwaway Ceph RADOS
 * Gateway cluster per run (../shared/real-s3/start.sh, ≈ 4 s), provides its
 * connection details to every test file as `inject('realS3')`, and stops it
 * (stop.sh) in teardown. test/support/s3Backends.ts turns that into the
 * `ceph` backend.
 *
 * When it starts: only if the Ceph binaries are installed, `STRATUS_REAL_S3`
 * is not `off`, and at least one selected test file uses the lane (names
 * `describeEachBackend`, `backendNames`, `startBackend` or `realS3`), so a run
 * of unrelated files never pays for the cluster. `STRATUS_REAL_S3=on` starts
 * it regardless. Otherwise it provides `undefined` and prints one line why.
 * A failed start is an error in CI (`CI=true`) and a printed skip elsewhere.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

/** What start.sh prints when the cluster is ready. */
export interface RealS3Info {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly pids: readonly number[];
  readonly dataDir: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** The run's Ceph cluster, or undefined when the real-S3 lane is off (see cephGlobalSetup.ts). */
    realS3: RealS3Info | undefined;
  }
}

const REPO_ROOT = resolve(import.meta.dirname, '../..');
// In CI the repository is cloned with shared/ beside it, exactly as here.
const REAL_S3_DIR = resolve(REPO_ROOT, '../shared/real-s3');
const CEPH_BINARIES = ['/usr/bin/radosgw', '/usr/bin/ceph-mon'];
/** How a test file shows that it uses the lane (s3Backends.ts' entry points). */
const USES_LANE = /\b(describeEachBackend|backendNames|startBackend|realS3)\s*\(/;
const START_TIMEOUT_MS = 180_000;

export const SKIP_NOT_INSTALLED =
  'real-S3 lane skipped: Ceph is not installed (bash ../shared/real-s3/start.sh installs it once, or run .ci/run)';

/** A free loopback port: bound to 0 and released (start.sh checks it again and fails if it was taken since). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', done);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/** Whether any test file this run selected uses the lane; true when unsure (watch mode, an unknown vitest internals shape). */
async function selectionUsesLane(project: TestProject): Promise<boolean> {
  if (project.vitest.config.watch) return true;
  // The CLI's file filters: internal in vitest 5, hence the guarded read; without them the whole include glob counts.
  const filters = (project.vitest as unknown as { filenamePattern?: unknown }).filenamePattern;
  if (filters !== undefined && !(Array.isArray(filters) && filters.every((f) => typeof f === 'string'))) return true;
  const { testFiles } = await project.globTestFiles((filters as string[] | undefined) ?? []);
  for (const file of testFiles) {
    if (USES_LANE.test(await readFile(file, 'utf8').catch(() => ''))) return true;
  }
  return false;
}

interface StartOutcome {
  readonly info?: RealS3Info;
  readonly failure?: string;
}

function runStart(dataDir: string, port: number): Promise<StartOutcome> {
  return new Promise((done) => {
    const child = spawn('bash', [join(REAL_S3_DIR, 'start.sh'), dataDir, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    // start.sh bounds each of its own waits; this only guards against a hang it did not foresee.
    const timer = setTimeout(() => child.kill('SIGTERM'), START_TIMEOUT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      done({ failure: `could not run start.sh: ${err.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code === 0) {
        try {
          return done({ info: JSON.parse(line) as RealS3Info });
        } catch {
          return done({ failure: `start.sh printed no JSON line: ${JSON.stringify(stdout.slice(-500))}` });
        }
      }
      // start.sh's own lines name the failing step; the daemon log tails after them are context.
      const lines = stderr.trim().split('\n');
      const own = lines.filter((l) => l.startsWith('[ceph/start]'));
      const tail = lines.slice(-10);
      done({ failure: `start.sh exited with ${code ?? signal}: ${[...own, '(last lines of its output:)', ...tail].join('\n')}` });
    });
  });
}

function stopCluster(dataDir: string): void {
  // Synchronous on purpose: the same call serves the 'exit' fallback, where nothing async runs.
  const out = spawnSync('bash', [join(REAL_S3_DIR, 'stop.sh'), dataDir], { encoding: 'utf8', timeout: 60_000 });
  if (out.status !== 0) console.error(`real-S3 lane: stop.sh ${dataDir} failed: ${out.stderr}`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  project.provide('realS3', undefined);
  const mode = process.env['STRATUS_REAL_S3'];
  const inCi = process.env['CI'] === 'true';
  if (mode === 'off') {
    console.log('real-S3 lane skipped: STRATUS_REAL_S3=off');
    return undefined;
  }
  if (!CEPH_BINARIES.every((bin) => existsSync(bin))) {
    console.log(SKIP_NOT_INSTALLED);
    return undefined;
  }
  if (mode !== 'on' && !(await selectionUsesLane(project))) return undefined;
  const skipOrThrow = (reason: string): undefined => {
    if (inCi) throw new Error(`real-S3 lane: ${reason}`);
    console.log(`real-S3 lane skipped: ${reason}`);
    return undefined;
  };
  if (!existsSync(join(REAL_S3_DIR, 'start.sh'))) return skipOrThrow(`${REAL_S3_DIR}/start.sh not found (shared/ must sit beside the repository)`);

  const started = Date.now();
  let outcome: StartOutcome = {};
  // Another process can take the port between our probe and start.sh's bind: try a fresh one once.
  for (let attempt = 0; attempt < 2; attempt++) {
    const dataDir = await mkdtemp(join(tmpdir(), 'stratus-ceph-'));
    outcome = await runStart(dataDir, await freePort());
    if (outcome.info !== undefined) break;
    await rm(dataDir, { recursive: true, force: true });
    if (!(outcome.failure ?? '').includes('already in use')) break;
  }
  const info = outcome.info;
  if (info === undefined) return skipOrThrow(`Ceph did not start: ${outcome.failure ?? 'unknown reason'}`);

  let stopped = false;
  // A run that dies without teardown (Ctrl-C, a crash) must not leave daemons behind.
  const onExit = (): void => {
    if (!stopped) stopCluster(info.dataDir);
  };
  process.once('exit', onExit);
  console.log(`real-S3 lane: Ceph RGW at ${info.endpoint} (started in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
  project.provide('realS3', info);
  return async () => {
    stopped = true;
    process.off('exit', onExit);
    stopCluster(info.dataDir);
  };
}
