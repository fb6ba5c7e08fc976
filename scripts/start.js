#!/usr/bin/env node
// `npm start` (after `npm run build`): launches the Electron app. With AWS settings
// (`--config FILE` or STRATUS_CONFIG) it just passes them on; without, it starts the
// local sandbox (out/tsc/sandbox/main.js --json), points the app at the config file
// the sandbox wrote, and stops the sandbox, by PID, when the app exits.
// Emits one line on stdout saying which of the two it is doing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
/** Set once we are shutting down, so the sandbox's exit is not reported as a crash. */
let stopping = false;

/** `--config FILE` / `--config=FILE`, removed from the arguments Electron gets. */
function takeConfigArg() {
  const i = args.findIndex((a) => a === '--config' || a.startsWith('--config='));
  if (i === -1) return undefined;
  const [flag] = args.splice(i, 1);
  if (flag.startsWith('--config=')) return flag.slice('--config='.length);
  const [value] = args.splice(i, 1);
  if (!value) {
    console.error('start: --config needs a file name');
    process.exit(2);
  }
  return value;
}

/** Runs Electron (through electron's own CLI, so no shell is needed on Windows); resolves with its exit code. */
function runElectron(configFile) {
  const electron = spawn(process.execPath, [join(root, 'node_modules', 'electron', 'cli.js'), '.', ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, STRATUS_CONFIG: configFile },
  });
  // Ctrl+C reaches the whole process group; this script waits for Electron to quit instead of dying first.
  const forward = (signal) => {
    stopping = true;
    electron.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done) => electron.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0))));
}

/** Starts the sandbox and resolves with its child process and the JSON line it printed. */
function startSandbox() {
  const main = join(root, 'out', 'tsc', 'sandbox', 'main.js');
  if (!existsSync(main)) {
    console.error(`start: ${main} is missing; run npm run build first`);
    process.exit(1);
  }
  const child = spawn(process.execPath, [main, '--json'], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  return new Promise((done, fail) => {
    lines.once('line', (line) => {
      // Keep draining stdout so the sandbox never blocks on a full pipe.
      lines.on('line', (more) => console.log(more));
      try {
        done({ child, info: JSON.parse(line) });
      } catch {
        fail(new Error(`the sandbox printed something other than JSON: ${line.slice(0, 200)}`));
      }
    });
    child.once('exit', (code) => fail(new Error(`the sandbox exited with code ${code} before it was ready`)));
  });
}

const configArg = takeConfigArg();
const given = configArg ?? process.env.STRATUS_CONFIG;
let exitCode;
if (given) {
  const configFile = resolve(given);
  if (!existsSync(configFile)) {
    console.error(`start: the config file ${configFile} does not exist`);
    process.exit(2);
  }
  console.log(`Starting Stratus with the settings in ${configFile}.`);
  exitCode = await runElectron(configFile);
} else {
  let sandbox;
  try {
    sandbox = await startSandbox();
  } catch (err) {
    console.error(`start: ${err.message}`);
    process.exit(1);
  }
  const { child, info } = sandbox;
  const user = info.users[0];
  console.log(
    `No AWS settings (--config or STRATUS_CONFIG), so Stratus runs against the local sandbox (S3 ${info.s3Endpoint}); ` +
      `sign in as ${user.username} / ${user.password}. \`npm run sandbox\` shows more.`,
  );
  child.once('exit', (code) => {
    if (stopping) return;
    console.error(`start: the sandbox stopped unexpectedly (code ${code}); the app cannot reach it any more.`);
  });
  exitCode = await runElectron(info.configFile);
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, 'SIGTERM');
    await new Promise((done) => child.once('exit', done));
  }
}
process.exit(exitCode);
