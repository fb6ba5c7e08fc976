#!/usr/bin/env node
// `npm run bench` (= `npm run build && node bench/run.js`): Stratus against rclone and
// `aws s3 sync` on one sandbox S3 server. See docs/benchmarks.md for what is measured.
//
//   node bench/run.js [--quick] [--repeats N] [--repeats-b N] [--only a,b,c,d,w] [--no-write] [--out FILE] [--keep] [--commit LABEL]
//                     [--watch-edits N] [--watch-idle-s S]
//
// --quick     reduced sizes for a smoke test (a few seconds per tool); never written to the docs
//             unless --out is given
// --repeats   repeats of (a), (c), (d) (default 3; the median is reported)
// --repeats-b repeats of (b) (default 3; --quick: 1)
// --only      run some scenarios only (c0 and d need c: "d" implies the setup of c); w is `stratus watch`
//             (latency from a write to its upload, idle CPU; Stratus only, its own results block)
// --watch-edits N   edits per latency measurement of (w) (default 200)
// --watch-idle-s S  the idle CPU window of (w) (default 60)
// --no-write  print the table only; do not touch docs/benchmarks.md
// --out FILE  write the results there instead of docs/benchmarks.md
// --keep      keep the temp folder (datasets, sandbox data) for inspection
// --commit T  how to name the Stratus build in the table when this folder is not a git
//             checkout (e.g. "abc1234 (clean export)"); default: git rev-parse HEAD here
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { copyTree, modifyFiles, writeBigFile, writeTree } from './lib/dataset.js';
import { backgroundLoad, foreignCpuMeter, machine as describeMachine, versions as describeVersions } from './lib/machine.js';
import { killCurrent, measure, requireGnuTime, run } from './lib/measure.js';
import { renderResults, writeDoc } from './lib/report.js';
import { listPrefix, s3Client, verifyObjectSize, verifyTree } from './lib/s3check.js';
import { startSandbox } from './lib/sandbox.js';
import { AWS, makeTools, RCLONE } from './lib/tools.js';
import { DOC_TEMPLATE } from './lib/docTemplate.js';
import { benchWatch } from './lib/watchBench.js';
import { renderWatchResults, WATCH_END, WATCH_START } from './lib/watchReport.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function usageError(message) {
  process.stderr.write(`bench: ${message} (see node bench/run.js --help)\n`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      repeats: { type: 'string' },
      'repeats-b': { type: 'string' },
      only: { type: 'string' },
      'no-write': { type: 'boolean', default: false },
      out: { type: 'string' },
      keep: { type: 'boolean', default: false },
      commit: { type: 'string' },
      'watch-edits': { type: 'string' },
      'watch-idle-s': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  usageError(err.message.split('\n')[0]);
}
if (opts.help) {
  console.log('Usage: node bench/run.js [--quick] [--repeats N] [--repeats-b N] [--only a,b,c,d,w] [--no-write] [--out FILE] [--keep] [--commit LABEL]\n' +
    '                        [--watch-edits N] [--watch-idle-s S]\nSee docs/benchmarks.md.');
  process.exit(0);
}

const KiB = 1024;
const MiB = 1024 * KiB;
const SIZES = opts.quick
  ? { a: [4, 50], bigSize: 32 * MiB, c: [10, 100], fileSize: 4 * KiB, changed: 10, wBig: [10, 100], wSmall: [10, 10] }
  : { a: [20, 100], bigSize: 512 * MiB, c: [100, 100], fileSize: 4 * KiB, changed: 10, wBig: [100, 100], wSmall: [10, 10] };
const repeats = Number(opts.repeats ?? (opts.quick ? 1 : 3));
const repeatsB = Number(opts['repeats-b'] ?? (opts.quick ? 1 : 3));
const watchEdits = Number(opts['watch-edits'] ?? (opts.quick ? 20 : 200));
const watchIdleS = Number(opts['watch-idle-s'] ?? (opts.quick ? 15 : 60));
for (const [flag, n] of [['--repeats', repeats], ['--repeats-b', repeatsB], ['--watch-edits', watchEdits], ['--watch-idle-s', watchIdleS]]) {
  if (!Number.isInteger(n) || n < 1) usageError(`${flag} must be a positive integer`);
}
const only = new Set((opts.only ?? 'a,b,c,d,w').split(',').map((s) => s.trim()));
for (const id of only) if (!['a', 'b', 'c', 'd', 'w'].includes(id)) usageError(`--only takes a comma-separated list of a, b, c, d, w; got "${id}"`);
const outPath = opts['no-write'] ? undefined : opts.out !== undefined ? resolve(opts.out) : opts.quick ? undefined : join(repoRoot, 'docs/benchmarks.md');

const log = (line) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
const nA = SIZES.a[0] * SIZES.a[1];
const nC = SIZES.c[0] * SIZES.c[1];
const fmtN = (n) => n.toLocaleString('en-US');

// ---------------------------------------------------------------- preflight
function preflight() {
  const major = Number(process.versions.node.split('.')[0]);
  if (major < 24) {
    throw new Error(`this is Node ${process.version}; Stratus needs Node 24 or later (node:sqlite). Put Node 24 first on PATH and run again.`);
  }
  requireGnuTime();
  for (const [bin, pkg] of [[RCLONE, 'rclone'], [AWS, 'awscli']]) {
    if (!existsSync(bin)) throw new Error(`${bin} is missing. Install the Debian package: sudo apt-get install -y ${pkg}`);
  }
  for (const f of ['out/tsc/src/cli/index.js', 'out/tsc/sandbox/main.js']) {
    if (!existsSync(join(repoRoot, f))) throw new Error(`${f} is missing: run "npm run build" first (npm run bench does).`);
  }
}

// ---------------------------------------------------------------- cleanup
let scratch;
let sandbox;
let stopping = false;
let interrupted = false;
let cleaning;
/** What (w) started (its sandbox, the watch processes), stopped in reverse order. */
const extras = [];
/** Stops the measured child and the sandbox and removes the temp folder; every caller waits for the same cleanup. */
function cleanup() {
  stopping = true;
  cleaning ??= doCleanup();
  return cleaning;
}
async function doCleanup() {
  await killCurrent();
  for (const x of extras.splice(0).reverse()) await x.stop().catch(() => undefined);
  if (sandbox !== undefined) {
    log(`stopping the sandbox (pid ${sandbox.pid})`);
    await sandbox.stop().catch(() => sandbox.stopSync());
  }
  if (scratch !== undefined) {
    if (opts.keep) log(`kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}
for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    if (stopping) return;
    interrupted = true;
    log(`${sig}: cleaning up`);
    cleanup().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------- helpers
function sha256File(path) {
  return new Promise((res, rej) => {
    const h = createHash('sha256');
    createReadStream(path).on('data', (d) => h.update(d)).on('end', () => res(h.digest('hex'))).on('error', rej);
  });
}

/** Flushes dirty pages so one tool's writes are not paid by the next tool's timed run. */
const flush = () => run('sync', []);

/** Orders the tools differently in each repeat so no tool always runs first. */
const rotate = (tools, r) => tools.map((_, i) => tools[(i + r) % tools.length]);

async function timed(tool, args, label) {
  await flush();
  if (stopping) throw new Error('stopped');
  const res = await measure(tool.cmd, args, { env: tool.env, scratch, label, cwd: scratch });
  const counts = tool.counts(res);
  log(`${label}: ${res.wallS.toFixed(2)} s, ${((res.rssKiB * 1024) / 1e6).toFixed(0)} MB, exit ${res.code}, up ${counts.up} down ${counts.down}`);
  if (res.code !== 0) log(`${label}: stderr tail:\n${res.stderr.slice(-1500)}`);
  return { res, counts };
}

const extraNote = (check) => (check.extra > 0 ? `${check.extra} extra keys on the server` : '');
const record = (res, transferred, valid, note) => ({ wallS: res.wallS, rssKiB: res.rssKiB, code: res.code, transferred, valid, note, engineMs: lastEngineMs(res) });
/** Stratus's own `durationMs` (the sync pass inside the process, without start-up), when it printed one. */
function lastEngineMs(res) {
  try {
    const j = JSON.parse(res.stdout.trim().split('\n').pop() ?? '');
    return typeof j.durationMs === 'number' ? j.durationMs : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- main
async function main() {
  preflight();
  const loadBefore = await backgroundLoad();
  log(`before the run: CPU ${loadBefore.busyPct}% busy, load average ${loadBefore.load1.toFixed(2)}`);
  if (loadBefore.busyPct > 20) log('warning: the machine is busy with other work; the numbers will be noisy');
  const startedAt = new Date();
  const meter = foreignCpuMeter();
  meter.start();
  scratch = mkdtempSync(join(tmpdir(), 'stratus-bench-'));
  log(`scratch folder ${scratch}`);
  sandbox = await startSandbox(repoRoot, join(scratch, 'sandbox'), join(scratch, 'sandbox.log'));
  const { info } = sandbox;
  log(`sandbox pid ${sandbox.pid} at ${info.s3Endpoint}`);
  const s3 = s3Client(info);
  const bucket = info.bucket;
  const tools = makeTools({ repoRoot, scratch, info });
  const machine = describeMachine();
  const versions = await describeVersions(repoRoot, tools, opts.commit);
  log(`versions: ${JSON.stringify(versions)}`);
  // Warm-up: compile cache (Node), .pyc (aws), page cache of each binary. Untimed.
  for (const t of tools) await run(t.cmd, t.versionArgs, { env: t.env, allowFailure: true });

  const master = join(scratch, 'master');
  const work = (tool, name) => join(scratch, 'work', tool.key, name);
  const scenarios = [];
  const newScenario = (fields) => {
    const sc = { ...fields, runs: Object.fromEntries(tools.map((t) => [t.key, []])) };
    scenarios.push(sc);
    return sc;
  };

  // (a) first upload of nA small files, fresh prefix and fresh folder copy each repeat.
  if (only.has('a')) {
    log(`(a) writing ${fmtN(nA)} files`);
    const md5A = writeTree(join(master, 'a'), 'a', SIZES.a[0], SIZES.a[1], SIZES.fileSize);
    const sc = newScenario({ id: 'a', short: '(a)', title: `(a) first upload, ${fmtN(nA)} × 4 KiB in ${SIZES.a[0]} folders`, factor: 1 });
    for (let r = 0; r < repeats; r++) {
      for (const tool of rotate(tools, r)) {
        const folder = work(tool, `a${r}`);
        copyTree(join(master, 'a'), folder);
        const prefix = `bench-${tool.key}-a${r}/`;
        const { res, counts } = await timed(tool, tool.push(folder, prefix), `(a) #${r + 1} ${tool.name}`);
        const check = await verifyTree(s3, bucket, prefix, md5A);
        const valid = res.code === 0 && check.ok;
        sc.runs[tool.key].push(record(res, counts.up, valid, valid ? extraNote(check) : `exit ${res.code}; server: ${check.detail}`));
        rmSync(folder, { recursive: true, force: true });
      }
    }
  }

  // (b) one big file up into an empty prefix, then down into an empty folder.
  if (only.has('b')) {
    log(`(b) writing one ${SIZES.bigSize / MiB} MiB file`);
    const bigName = 'big.bin';
    const bigHash = writeBigFile(join(master, 'b', bigName), 'b', SIZES.bigSize);
    const label = `${SIZES.bigSize / MiB} MiB`;
    const up = newScenario({ id: 'b-up', short: '(b) up', title: `(b) one ${label} file, upload`, factor: 1 });
    const down = newScenario({ id: 'b-down', short: '(b) down', title: `(b) one ${label} file, download`, factor: 1 });
    for (let r = 0; r < repeatsB; r++) {
      for (const tool of rotate(tools, r)) {
        const n = repeatsB > 1 ? ` #${r + 1}` : '';
        const upFolder = work(tool, `b${r}-up`);
        copyTree(join(master, 'b'), upFolder);
        const prefix = `bench-${tool.key}-b${r}/`;
        const u = await timed(tool, tool.push(upFolder, prefix), `(b) up${n} ${tool.name}`);
        const uc = await verifyObjectSize(s3, bucket, `${prefix}${bigName}`, SIZES.bigSize);
        const uValid = u.res.code === 0 && uc.ok;
        up.runs[tool.key].push(record(u.res, u.counts.up, uValid, uValid ? '' : `exit ${u.res.code}; ${uc.detail}`));
        rmSync(upFolder, { recursive: true, force: true });

        const downFolder = work(tool, `b${r}-down`);
        mkdirSync(downFolder, { recursive: true });
        const d = await timed(tool, tool.pull(prefix, downFolder), `(b) down${n} ${tool.name}`);
        const file = join(downFolder, bigName);
        const got = existsSync(file) ? await sha256File(file) : 'missing';
        const dValid = d.res.code === 0 && got === bigHash;
        down.runs[tool.key].push(record(d.res, d.counts.down, dValid, dValid ? '' : `exit ${d.res.code}; local file ${got === 'missing' ? 'missing' : 'differs'}`));
        rmSync(downFolder, { recursive: true, force: true });
      }
    }
    rmSync(join(master, 'b'), { recursive: true, force: true });
  }

  // (c) no-change re-sync of nC files, (d) re-sync after changing 10 of them.
  if (only.has('c') || only.has('d')) {
    log(`(c) writing ${fmtN(nC)} files`);
    const md5C = writeTree(join(master, 'c'), 'c', SIZES.c[0], SIZES.c[1], SIZES.fileSize);
    const filesLabel = `${fmtN(nC)} files`;
    const c0 = newScenario({ id: 'c0', short: '(c0) initial sync', title: `(c0) setup: initial sync of ${fmtN(nC)} × 4 KiB (not a timed target)`, rssLimitMB: 150, filesLabel });
    const expected = new Map();
    for (const tool of tools) {
      copyTree(join(master, 'c'), work(tool, 'c'));
      expected.set(tool.key, new Map(md5C));
      const prefix = `bench-${tool.key}-c/`;
      const { res, counts } = await timed(tool, tool.push(work(tool, 'c'), prefix), `(c0) ${tool.name}`);
      const check = await verifyTree(s3, bucket, prefix, md5C);
      const valid = res.code === 0 && check.ok;
      c0.runs[tool.key].push(record(res, counts.up, valid, valid ? extraNote(check) : `exit ${res.code}; server: ${check.detail}`));
      if (!valid) log(`(c0) ${tool.name} did not sync everything (${check.detail}); its (c)/(d) runs will be flagged`);
    }

    if (only.has('c')) {
      const sc = newScenario({ id: 'c', short: '(c)', title: `(c) no-change re-sync, ${fmtN(nC)} files`, factor: 1 / 3, rssLimitMB: 150, filesLabel });
      for (let r = 0; r < repeats; r++) {
        for (const tool of rotate(tools, r)) {
          const prefix = `bench-${tool.key}-c/`;
          const { res, counts } = await timed(tool, tool.push(work(tool, 'c'), prefix), `(c) #${r + 1} ${tool.name}`);
          const check = await verifyTree(s3, bucket, prefix, expected.get(tool.key));
          const valid = res.code === 0 && check.ok && c0.runs[tool.key][0].valid;
          const moved = counts.up + (tool.key === 'stratus' ? counts.down : 0);
          const note = !valid ? `exit ${res.code}; server: ${check.detail}` : moved > 0 ? `transferred ${moved} unchanged files` : '';
          sc.runs[tool.key].push(record(res, counts.up, valid, note));
        }
      }
    }

    if (only.has('d')) {
      const sc = newScenario({ id: 'd', short: '(d)', title: `(d) re-sync after changing ${SIZES.changed} of ${fmtN(nC)} files`, factor: 1 / 3, rssLimitMB: 150, filesLabel });
      for (let r = 0; r < repeats; r++) {
        for (const tool of rotate(tools, r)) {
          const prefix = `bench-${tool.key}-c/`;
          // A new set of files (same size, new content) in each repeat, from the synced state.
          const changed = modifyFiles(work(tool, 'c'), 'c', SIZES.c[0], SIZES.c[1], SIZES.fileSize, SIZES.changed, r + 1);
          for (const [rel, md5] of changed) expected.get(tool.key).set(rel, md5);
          const { res, counts } = await timed(tool, tool.push(work(tool, 'c'), prefix), `(d) #${r + 1} ${tool.name}`);
          const check = await verifyTree(s3, bucket, prefix, expected.get(tool.key));
          const reported = counts.up;
          const valid = res.code === 0 && check.ok && reported >= SIZES.changed;
          const note = !valid
            ? `exit ${res.code}; reported ${reported} of ${SIZES.changed} uploads; server: ${check.detail}`
            : reported > SIZES.changed ? `uploaded ${reported} files for ${SIZES.changed} changes` : '';
          sc.runs[tool.key].push(record(res, reported, valid, note));
        }
      }
    }
  }

  // (w) stratus watch: latency from a write to its upload, idle CPU. Its own sandbox (with a request log).
  let watchResult;
  if (only.has('w')) {
    watchResult = await benchWatch({
      repoRoot, scratch, log, edits: watchEdits, idleS: watchIdleS, big: SIZES.wBig, small: SIZES.wSmall, track: (x) => extras.push(x),
    });
  }

  // Sanity: nothing was written outside the bench prefixes.
  const stray = [...(await listPrefix(s3, bucket, ''))].filter(([k]) => !k.startsWith('bench-'));
  if (stray.length) log(`note: ${stray.length} keys outside bench-* prefixes, e.g. ${stray[0][0]}`);
  s3.destroy();

  const durationS = (Date.now() - startedAt.getTime()) / 1000;
  const during = meter.finish(sandbox.pid);
  await cleanup();
  const loadAfter = await backgroundLoad();
  const load = { before: loadBefore, during, after: loadAfter };
  if (during !== undefined) log(`other processes used ${during.foreignPct}% of the machine's CPU during the run`);
  const misses = [];
  // Each block is rewritten only when its scenarios ran, so `--only w` keeps the (a)–(d) results and vice versa.
  if (scenarios.length > 0) {
    const r = renderResults({ machine, versions, tools, scenarios, repeats, repeatsB, startedAt, durationS, load, quick: opts.quick });
    process.stdout.write(`${r.markdown}\n`);
    misses.push(...r.misses);
    if (outPath !== undefined) {
      writeDoc(outPath, r.markdown, DOC_TEMPLATE);
      log(`results written to ${outPath}`);
    }
  }
  if (watchResult !== undefined) {
    const w = renderWatchResults({ machine, versions, startedAt, durationS, result: watchResult, idleS: watchIdleS, load, quick: opts.quick });
    process.stdout.write(`\n${w.markdown}\n`);
    misses.push(...w.misses);
    if (outPath !== undefined) {
      writeDoc(outPath, w.markdown, DOC_TEMPLATE, { start: WATCH_START, end: WATCH_END });
      log(`watch results written to ${outPath}`);
    }
  }
  log(`done in ${Math.round(durationS)} s${misses.length ? `; Stratus missed ${misses.length} target(s)` : ''}`);
}

try {
  await main();
  await cleanup();
} catch (err) {
  if (!interrupted) process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  await cleanup();
  process.exit(interrupted ? 130 : 1);
}
