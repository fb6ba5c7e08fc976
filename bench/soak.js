#!/usr/bin/env node
// `npm run soak -- --minutes N`: two `stratus watch` clients (two folders, two devices
// signed in as the same sandbox user, so one prefix) and a third writer on S3 edit at
// random for N minutes while the sandbox S3 server misbehaves at random; then the
// faults stop, both clients settle, and the run is judged: both folders and the prefix
// hold the same files, no version anyone wrote and nobody replaced was lost (it is
// there, under its name, as a conflicted copy or where a rename took it), no file holds
// bytes nobody wrote, no temp files or open multipart uploads are left, and both clients
// stop cleanly. See docs/soak.md. Not part of `npm test`.
//
//   node bench/soak.js [--minutes N] [--seed S] [--faults LIST | --no-faults] [--no-big-files]
//                      [--poll-ms MS] [--full-list-ms MS] [--debounce-ms MS] [--settle-s S] [--keep]
//
// Exit: 0 when every check passed, 1 when one failed (the scratch folder with every
// client's log and the list of edits, ops.jsonl, is kept), 2 for bad flags.
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import { loginWithHostedUi } from './lib/hostedUiLogin.js';
import { makeRng } from './lib/rng.js';
import { FAULT_KINDS, FaultPlan } from './lib/soak/faultPlan.js';
import { Ledger } from './lib/soak/ledger.js';
import { LocalEditor, seedTree } from './lib/soak/localEditor.js';
import { judgeRun, printReport } from './lib/soak/report.js';
import { S3Editor } from './lib/soak/s3Editor.js';
import { settle } from './lib/soak/settle.js';
import { startWatch } from './lib/watchClient.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

function usage(message) {
  process.stderr.write(`soak: ${message} (see node bench/soak.js --help)\n`);
  process.exit(2);
}

let opts;
try {
  ({ values: opts } = parseArgs({
    options: {
      minutes: { type: 'string', default: '3' },
      seed: { type: 'string' },
      faults: { type: 'string', default: FAULT_KINDS.join(',') },
      'no-faults': { type: 'boolean', default: false },
      'no-big-files': { type: 'boolean', default: false },
      'poll-ms': { type: 'string', default: '3000' },
      'full-list-ms': { type: 'string', default: '30000' },
      'debounce-ms': { type: 'string' },
      'settle-s': { type: 'string', default: '300' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  usage(err.message.split('\n')[0]);
}
if (opts.help) {
  console.log(`Usage: npm run soak -- [--minutes N] [--seed S] [--faults ${FAULT_KINDS.join(',')} | --no-faults]
                      [--no-big-files] [--poll-ms MS] [--full-list-ms MS] [--debounce-ms MS] [--settle-s S] [--keep]
See docs/soak.md.`);
  process.exit(0);
}
const minutes = Number(opts.minutes);
if (!(minutes > 0)) usage('--minutes must be a positive number');
const seed = opts.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(opts.seed);
if (!Number.isInteger(seed) || seed < 0) usage('--seed must be a non-negative integer');
const faultKinds = opts['no-faults'] ? [] : opts.faults.split(',').map((s) => s.trim()).filter(Boolean);
for (const k of faultKinds) if (!FAULT_KINDS.includes(k)) usage(`unknown fault kind "${k}" (known: ${FAULT_KINDS.join(', ')})`);
const ms = (flag) => {
  const n = Number(opts[flag]);
  if (!Number.isInteger(n) || n < 0) usage(`--${flag} must be a whole number`);
  return n;
};
const timings = { pollMs: ms('poll-ms'), fullListMs: ms('full-list-ms'), settleMs: Number(opts['settle-s']) * 1000 };
if (!(timings.settleMs > 0)) usage('--settle-s must be a positive number');

const t0 = Date.now();
const stamp = () => {
  const s = Math.round((Date.now() - t0) / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
};
const log = (line) => process.stderr.write(`[soak ${stamp()}] ${line}\n`);
const sleep = (msec) => new Promise((r) => setTimeout(r, msec));

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

// ------------------------------------------------------------------ state for cleanup
let scratch;
let sandbox;
const clients = [];
let faultPlan;
let stopping = false;
let keepScratch = opts.keep;

async function cleanup() {
  faultPlan?.stop();
  for (const c of clients) c.killSync();
  await Promise.all(clients.map((c) => c.exited));
  await sandbox?.close().catch(() => undefined);
  if (scratch !== undefined) {
    if (keepScratch) log(`kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
}
process.on('SIGINT', () => {
  if (stopping) return;
  stopping = true;
  keepScratch = true;
  log('SIGINT: stopping the clients and the sandbox');
  cleanup().finally(() => process.exit(130));
});

// ------------------------------------------------------------------ main
async function main() {
  if (Number(process.versions.node.split('.')[0]) < 24) throw new Error(`this is Node ${process.version}; Stratus needs Node 24 or later`);
  for (const f of ['out/tsc/src/cli/index.js', 'out/tsc/sandbox/startSandbox.js']) {
    if (!existsSync(join(repoRoot, f))) throw new Error(`${f} is missing: run "npx tsc -b" first (npm run soak does)`);
  }
  log(`seed ${seed}; ${minutes} min of edits; faults: ${faultKinds.join(', ') || 'none'}; poll ${timings.pollMs} ms, full listing ${timings.fullListMs} ms`);
  const rng = makeRng(seed);
  scratch = mkdtempSync(join(tmpdir(), 'stratus-soak-'));
  log(`scratch folder ${scratch}`);

  // The sandbox runs in this process, so the soak can count every request by operation
  // (the server's RequestLog, wrapped) and what the fault injector did to each one.
  const { RequestLog } = await import(pathToFileURL(join(repoRoot, 'out/tsc/sandbox/s3/S3Server.js')).href);
  const { startSandbox } = await import(pathToFileURL(join(repoRoot, 'out/tsc/sandbox/startSandbox.js')).href);
  const requests = new Map();
  const record = RequestLog.prototype.record;
  RequestLog.prototype.record = function counted(r) {
    requests.set(r.operation, (requests.get(r.operation) ?? 0) + 1);
    return record.call(this, r);
  };
  // One line per S3 request ("METHOD /bucket/key STATUS …ms id", resets marked), for looking into a failure.
  const requestLog = createWriteStream(join(scratch, 'sandbox-requests.log'));
  sandbox = await startSandbox({
    dataDir: join(scratch, 'sandbox'), redirectPort: await freePort(),
    log: (line) => requestLog.write(`${new Date().toISOString()} ${line}\n`),
  });
  const injected = { latency: 0, error500: 0, error503: 0, reset: 0 };
  const decide = sandbox.faults.decide.bind(sandbox.faults);
  sandbox.faults.decide = (key) => {
    const d = decide(key);
    if (d.latencyMs > 0) injected.latency++;
    if (d.errorStatus === 500) injected.error500++;
    else if (d.errorStatus === 503) injected.error503++;
    else if (d.reset) injected.reset++;
    return d;
  };
  const { info } = sandbox;
  const configFile = join(scratch, 'stratus.json');
  writeFileSync(configFile, JSON.stringify(info.stratusConfig, null, 2));
  const user = info.users[0];
  const prefix = `${sandbox.identityIdFor(user.username)}/`;
  const admin = new S3Client({
    endpoint: info.s3Endpoint, region: info.region, forcePathStyle: true,
    credentials: { accessKeyId: info.adminAccessKeyId, secretAccessKey: info.adminSecretAccessKey },
  });
  const ledger = new Ledger(seed, join(scratch, 'ops.jsonl'));

  // Two devices: their own folder, HOME (the OS trash lives there) and state folder (the sign-in).
  const devices = ['A', 'B'].map((name) => {
    const base = join(scratch, `device-${name}`);
    const d = { name, folder: join(base, 'folder'), aside: join(base, 'moved-aside'), env: {
      PATH: process.env.PATH ?? '', HOME: join(base, 'home'), STRATUS_STATE_DIR: join(base, 'state'),
      AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_EC2_METADATA_DISABLED: 'true',
    } };
    for (const dir of [d.folder, d.aside, d.env.HOME]) mkdirSync(dir, { recursive: true });
    return d;
  });
  for (const d of devices) {
    await loginWithHostedUi({ repoRoot, configFile, env: d.env, redirectUri: info.redirectUri, username: user.username, password: user.password });
  }
  log(`both devices signed in as ${user.username}; prefix ${prefix}`);
  await seedTree(devices[0].folder, ledger, rng.fork('seed'), 100, 'A');

  const watchArgs = (d) => [
    '--config', configFile, '--folder', d.folder, '--poll-ms', String(timings.pollMs), '--full-list-ms', String(timings.fullListMs),
    ...(opts['debounce-ms'] === undefined ? [] : ['--debounce-ms', opts['debounce-ms']]),
  ];
  for (const d of devices) {
    const c = startWatch({ repoRoot, name: d.name, args: watchArgs(d), env: d.env, logFile: join(scratch, `watch-${d.name}.log`) });
    clients.push(c);
    log(`client ${d.name}: stratus watch, pid ${c.pid}`);
    await c.next((e) => e.event === 'run' && e.errors === 0, 180_000, 'first clean run');
  }
  log(`both clients synced the starting tree (${ledger.versions.size} files); editing for ${minutes} min`);

  // ---------------------------------------------------------------- the soak
  const editors = [
    ...devices.map((d) => new LocalEditor({ side: d.name, root: d.folder, aside: d.aside, ledger, rng: rng.fork(`edit-${d.name}`), bigFiles: !opts['no-big-files'], maxFolderDelete: 6 })),
    new S3Editor({ side: 'S', client: admin, bucket: info.bucket, prefix, ledger, rng: rng.fork('edit-S'), bigFiles: !opts['no-big-files'] }),
  ];
  const edits = new Map();
  const driverErrors = [];
  const editUntil = Date.now() + minutes * 60_000;
  const loop = async (editor) => {
    const pace = editor.side === 'S' ? [3000, 12_000] : [300, 2500];
    const r = rng.fork(`pace-${editor.side}`);
    while (!stopping && Date.now() < editUntil) {
      await sleep(r.int(pace[0], pace[1]));
      if (stopping || Date.now() >= editUntil) break;
      try {
        const kind = await editor.step();
        if (kind !== undefined) edits.set(`${editor.side} ${kind}`, (edits.get(`${editor.side} ${kind}`) ?? 0) + 1);
      } catch (err) {
        driverErrors.push(`${editor.side}: ${err?.stack ?? String(err)}`);
        log(`driver error on ${editor.side}: ${err?.message ?? err}`);
      }
    }
  };
  faultPlan = new FaultPlan({ faults: sandbox.faults, rng: rng.fork('faults'), kinds: faultKinds, log });
  const faulting = faultPlan.run();
  const ticker = setInterval(() => {
    const n = (side) => [...edits].filter(([k]) => k.startsWith(`${side} `)).reduce((s, [, v]) => s + v, 0);
    log(`edits A ${n('A')} B ${n('B')} S ${n('S')} | fault now: ${faultPlan.current} | runs A ${clients[0].stats.runs} B ${clients[1].stats.runs} | state A ${clients[0].stats.state} B ${clients[1].stats.state}`);
  }, 30_000);
  await Promise.all(editors.map(loop));
  clearInterval(ticker);
  faultPlan.stop();
  await faulting;
  const editsDoneAt = Date.now();
  log('edits stopped, faults cleared; waiting for both clients to settle');

  // ---------------------------------------------------------------- settle and judge
  const settled = await settle({ clients, devices, admin, bucket: info.bucket, prefix, timeoutMs: timings.settleMs, log });
  // The figures cover the soak and the settling, not the final check's own downloads.
  const requestsSeen = new Map(requests);
  const convergeS = settled.converged ? (settled.at - editsDoneAt) / 1000 : undefined;
  log(settled.converged ? `converged ${convergeS.toFixed(1)} s after the last edit` : `did NOT converge within ${timings.settleMs / 1000} s`);
  const stops = [];
  for (const c of clients) stops.push({ name: c.name, ...(await c.stop()) });
  const verdict = await judgeRun({ ledger, devices, admin, bucket: info.bucket, prefix, settled, stops, driverErrors, clients });
  printReport({
    seed, minutes, faultKinds, timings, scratch, edits, ledger, editors, faultPlan, injected, clients, stops, requests: requestsSeen, settled, convergeS, verdict,
    elapsedS: (Date.now() - t0) / 1000,
  });
  admin.destroy();
  if (!verdict.ok) keepScratch = true;
  return verdict.ok ? 0 : 1;
}

let code;
try {
  code = await main();
} catch (err) {
  process.stderr.write(`soak: ${err?.stack ?? String(err)}\n`);
  keepScratch = true;
  code = 1;
}
if (!stopping) {
  stopping = true;
  await cleanup();
  process.exit(code);
}
