// Scenario (w) of `npm run bench`: `stratus watch` with its default timings (debounce
// 1 s, head-marker poll 15 s, full listing 10 min).
//   - Idle CPU: a folder of 10,000 files, synced once with `sync --once`, then watched;
//     after the first run and a few seconds' rest, the utime+stime of the watch process
//     (/proc/<pid>/stat) over 60 s.
//   - Latency: 200 edits, one at a time, each one to three writes of a 4 KiB file a few
//     hundred ms apart (the debounce restarts on each); measured from the end of the
//     edit's last write to the moment the sandbox finished answering the PutObject
//     that carries that content (its request log, `--verbose`, read live from its
//     stderr; the ETag is then checked with a HEAD) and, for reference, to the watch
//     process's `run` event. Measured in the 10,000-file folder (the same watch
//     process, after the idle window) and in a 100-file folder.
// Runs on a sandbox of its own (started with --verbose), so the request log costs
// nothing in the other scenarios.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { content, md5, writeTree } from './dataset.js';
import { run } from './measure.js';
import { makeRng } from './rng.js';
import { s3Client, verifyTree } from './s3check.js';
import { startSandbox } from './sandbox.js';
import { makeTools } from './tools.js';
import { startWatch } from './watchClient.js';
import { percentile } from './watchReport.js';

const KiB = 1024;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const now = () => performance.now();

/** utime + stime of one process, in seconds (clock ticks from /proc/<pid>/stat). */
function cpuSeconds(pid, ticksPerS) {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerS;
}

function rssMB(pid) {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return kb === undefined ? NaN : (Number(kb) * 1024) / 1e6;
}

/**
 * Follows the sandbox's request log: `waitPut(key, after)` resolves with the time the
 * server finished a 200 PutObject of `key` that arrived after `after`.
 */
function putWatcher() {
  const waiting = new Set();
  const requests = new Map();
  let counting = false;
  const onLine = (line) => {
    const at = now();
    const m = /^\[s3\] ([A-Z]+) (\S+) (\d{3}) \d+ms/.exec(line);
    if (m === null) return;
    const [, method, path, status] = m;
    if (counting) {
      const what = `${method} ${path.includes('/.stratus/') ? 'head marker' : path.split('/').length > 2 ? 'object' : 'bucket'}`;
      requests.set(what, (requests.get(what) ?? 0) + 1);
    }
    if (method !== 'PUT' || status !== '200') return;
    for (const w of [...waiting]) {
      if (w.path === path && at > w.after) {
        waiting.delete(w);
        w.resolve(at);
      }
    }
  };
  return {
    onLine,
    waitPut(path, after, timeoutMs) {
      return new Promise((resolve, reject) => {
        const w = { path, after, resolve };
        waiting.add(w);
        setTimeout(() => {
          if (waiting.delete(w)) reject(new Error(`no PUT of ${path} within ${timeoutMs / 1000} s`));
        }, timeoutMs).unref();
      });
    },
    /** Counts requests (by method and marker/object/bucket) between start() and stop(). */
    count: { start: () => { requests.clear(); counting = true; }, stop: () => { counting = false; return new Map(requests); } },
  };
}

/**
 * One watch process's latency over `edits` edits of files in `files` (relative paths).
 * @returns {Promise<{ upload: number[], run: number[], engine: number[], failures: string[], expected: Map<string,string> }>}
 */
async function latencyRun({ watch, folder, files, prefixPath, s3, bucket, prefix, edits, rng, puts, log, label }) {
  const upload = [];
  const runs = [];
  const engine = [];
  const failures = [];
  const changed = new Map();
  let queue = [];
  for (let i = 0; i < edits; i++) {
    // The files in a random order, each once before any comes again.
    if (queue.length === 0) {
      queue = [...files];
      for (let k = queue.length - 1; k > 0; k--) {
        const j = Math.floor(rng.next() * (k + 1));
        [queue[k], queue[j]] = [queue[j], queue[k]];
      }
    }
    const rel = queue.pop();
    const writes = rng.int(1, 3);
    let buf;
    for (let w = 0; w < writes; w++) {
      if (w > 0) await sleep(rng.int(50, 300));
      buf = content(`w:${label}:${rel}:${i}:${w}`, 4 * KiB);
      await writeFile(join(folder, rel), buf);
    }
    const last = now();
    const etag = md5(buf);
    changed.set(rel, etag);
    const ranAfter = watch.next((e) => e.event === 'run' && e.uploaded >= 1 && e.receivedPerf >= last, 60_000, `the run after edit ${i + 1}`);
    // Awaited below; until then a rejection (the process exited, e.g. on Ctrl-C) must not count as unhandled.
    ranAfter.catch(() => undefined);
    try {
      // The first PUT after the last write is normally the final content; an upload of an earlier write would be followed by another.
      let doneAt;
      for (let attempt = 0; attempt < 3; attempt++) {
        doneAt = await puts.waitPut(`${prefixPath}${rel}`, doneAt ?? last, 60_000);
        const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + rel }));
        if ((head.ETag ?? '').replaceAll('"', '') === etag) break;
        if (attempt === 2) throw new Error(`${rel}: the server never got the last write's content`);
      }
      upload.push((doneAt - last) / 1000);
      const ev = await ranAfter;
      runs.push((ev.receivedPerf - last) / 1000);
      if (typeof ev.durationMs === 'number') engine.push(ev.durationMs / 1000);
    } catch (err) {
      failures.push(err.message);
      log(`(w) ${label} edit ${i + 1}: ${err.message}`);
      await ranAfter.catch(() => undefined);
    }
    if ((i + 1) % 50 === 0) log(`(w) ${label}: ${i + 1} of ${edits} edits, p50 so far ${percentile(upload, 50).toFixed(2)} s`);
    await sleep(rng.int(200, 600));
  }
  return { upload, run: runs, engine, failures, expected: changed };
}

/**
 * @param {{ repoRoot: string, scratch: string, log: (l: string) => void, edits: number, idleS: number, big: [number, number], small: [number, number], track?: (x: { stop(): Promise<unknown> }) => void }} o
 */
export async function benchWatch(o) {
  const { repoRoot, scratch, log } = o;
  const puts = putWatcher();
  const sandbox = await startSandbox(repoRoot, join(scratch, 'sandbox-w'), join(scratch, 'sandbox-w.log'), { verbose: true, onLine: puts.onLine });
  const watches = [];
  // So that the bench's Ctrl-C cleanup stops these too.
  o.track?.({ stop: () => sandbox.stop() });
  try {
    const { info } = sandbox;
    const s3 = s3Client(info);
    const stratus = makeTools({ repoRoot, scratch, info })[0];
    const ticksPerS = Number((await run('getconf', ['CLK_TCK'])).stdout.trim()) || 100;
    const rng = makeRng(20261122);
    const result = { scenarios: [] };

    const setup = async (name, [folders, perFolder]) => {
      const folder = join(scratch, 'work', 'stratus', name);
      const prefix = `bench-stratus-${name}/`;
      log(`(w) ${name}: writing ${(folders * perFolder).toLocaleString('en-US')} files, first sync (untimed)`);
      const md5s = writeTree(folder, name, folders, perFolder, 4 * KiB);
      const first = await run(stratus.cmd, stratus.base(prefix, folder), { env: stratus.env, allowFailure: true });
      if (first.code !== 0) throw new Error(`(w) ${name}: the first sync failed (exit ${first.code}): ${first.stderr.slice(-500)}`);
      const files = [...md5s.keys()];
      const args = stratus.base(prefix, folder).slice(1).filter((a) => a !== 'sync' && a !== '--once' && a !== '--json');
      const watch = startWatch({ repoRoot, name, args, env: stratus.env, logFile: join(scratch, `watch-${name}.log`) });
      watches.push(watch);
      o.track?.({ stop: () => watch.stop(5000) });
      await watch.next((e) => e.event === 'run', 120_000, 'first run');
      return { folder, prefix, md5s, files, watch, prefixPath: `/${info.bucket}/${prefix}` };
    };
    const finish = async (name, w, expected) => {
      const stop = await w.watch.stop();
      for (const [rel, etag] of expected) w.md5s.set(rel, etag);
      const check = await verifyTree(s3, info.bucket, w.prefix, w.md5s);
      return { stop, check, valid: check.ok && stop.code === 0 && !stop.forced };
    };

    // 10,000 files: idle CPU, then latency in the same process.
    const big = await setup(`w${o.big[0] * o.big[1]}`, o.big);
    log(`(w) idle: resting 5 s, then measuring the watch process (pid ${big.watch.pid}) for ${o.idleS} s`);
    await sleep(5000);
    const runsBefore = big.watch.stats.runs;
    puts.count.start();
    const cpu0 = cpuSeconds(big.watch.pid, ticksPerS);
    const t0 = now();
    await sleep(o.idleS * 1000);
    const cpu1 = cpuSeconds(big.watch.pid, ticksPerS);
    const wallS = (now() - t0) / 1000;
    const idleRequests = puts.count.stop();
    const idle = {
      files: big.files.length, wallS, cpuS: cpu1 - cpu0, pct: (100 * (cpu1 - cpu0)) / wallS, rssMB: rssMB(big.watch.pid),
      runs: big.watch.stats.runs - runsBefore, requests: idleRequests,
    };
    log(`(w) idle: ${idle.cpuS.toFixed(2)} s of CPU in ${wallS.toFixed(1)} s = ${idle.pct.toFixed(2)}% of one core; RSS ${idle.rssMB.toFixed(0)} MB; ${idle.runs} runs`);
    log(`(w) latency in the ${big.files.length.toLocaleString('en-US')}-file folder: ${o.edits} edits`);
    const bigLat = await latencyRun({ ...big, s3, bucket: info.bucket, edits: o.edits, rng: rng.fork('big'), puts, log, label: 'big' });
    log(`(w) ${big.files.length.toLocaleString('en-US')} files: p50 ${percentile(bigLat.upload, 50).toFixed(2)} s, p95 ${percentile(bigLat.upload, 95).toFixed(2)} s to the upload; ${bigLat.failures.length} failures`);
    const bigEnd = await finish('big', big, bigLat.expected);
    result.idle = { ...idle, valid: bigEnd.valid };
    result.scenarios.push({ files: big.files.length, ...bigLat, ...bigEnd });

    const small = await setup(`w${o.small[0] * o.small[1]}`, o.small);
    log(`(w) latency in the ${small.files.length.toLocaleString('en-US')}-file folder: ${o.edits} edits`);
    const smallLat = await latencyRun({ ...small, s3, bucket: info.bucket, edits: o.edits, rng: rng.fork('small'), puts, log, label: 'small' });
    log(`(w) ${small.files.length.toLocaleString('en-US')} files: p50 ${percentile(smallLat.upload, 50).toFixed(2)} s, p95 ${percentile(smallLat.upload, 95).toFixed(2)} s to the upload; ${smallLat.failures.length} failures`);
    result.scenarios.push({ files: small.files.length, ...smallLat, ...(await finish('small', small, smallLat.expected)) });
    s3.destroy();
    return result;
  } finally {
    for (const w of watches) w.killSync();
    await Promise.all(watches.map((w) => w.exited));
    await sandbox.stop().catch(() => sandbox.stopSync());
  }
}
