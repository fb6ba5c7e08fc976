#!/usr/bin/env node
// `npm start` (after `npm run build`): launches the Electron app. With AWS settings
// (`--config FILE` or STRATUS_CONFIG) it just passes them on; without, it starts the
// local sandbox (out/tsc/sandbox/main.js --json), points the app at the config file
// the sandbox wrote, and stops the sandbox, by PID, when the app exits.
// Where no Electron binary can be had (it downloads on first use, which needs the
// internet), it says so and runs the same UI headless instead: `stratus watch --ui`
// on a demo folder against the sandbox, printing the status page's URL.
// Emits one line on stdout saying which of these it is doing.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
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

/**
 * Runs a Node script of ours in the foreground; resolves with its exit code. Ctrl+C reaches
 * the whole process group; this script waits for the child to finish instead of dying first.
 */
function runChild(script, scriptArgs, env) {
  const child = spawn(process.execPath, [script, ...scriptArgs], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  const forward = (signal) => {
    stopping = true;
    child.kill(signal);
  };
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done) => child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0))));
}

/** Runs Electron (through electron's own CLI, so no shell is needed on Windows). */
function runElectron(configFile) {
  return runChild(join(root, 'node_modules', 'electron', 'cli.js'), ['.', ...args], { STRATUS_CONFIG: configFile });
}

/** Electron's binary if its package already has it (never triggers the download `require('electron')` would). */
function electronBinary() {
  const dir = join(root, 'node_modules', 'electron');
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}

/** `stratus watch --ui` with `watchArgs`. */
function runHeadless(watchArgs, env) {
  return runChild(join(root, 'bin', 'stratus.js'), ['watch', '--ui', ...watchArgs], env);
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
const headless = electronBinary() === undefined;
if (headless) {
  console.log(
    'No Electron binary here (Electron downloads it on first run, which needs the internet; `npx install-electron` ' +
      'fetches it): showing the same UI as a status page in your browser instead (stratus watch --ui).',
  );
}
let exitCode;
if (given && headless) {
  exitCode = await runHeadless(['--config', resolve(given)], {});
} else if (given) {
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
    `No AWS settings (--config or STRATUS_CONFIG), so Stratus runs against the local sandbox (S3 ${info.s3Endpoint})` +
      (headless ? '. `npm run sandbox` shows more.' : `; sign in as ${user.username} / ${user.password}. \`npm run sandbox\` shows more.`),
  );
  child.once('exit', (code) => {
    if (stopping) return;
    console.error(`start: the sandbox stopped unexpectedly (code ${code}); the app cannot reach it any more.`);
  });
  if (headless) {
    // A demo folder, synced with the sandbox's admin key into demo/: files dropped there show up on the page.
    const folder = join(root, '.stratus-dev', 'Stratus');
    mkdirSync(folder, { recursive: true });
    console.log(`Put files into ${folder}; open the status page URL printed below to watch them upload.`);
    exitCode = await runHeadless(
      ['--auth', 'aws', '--endpoint', info.s3Endpoint, '--bucket', info.bucket, '--region', info.region, '--prefix', 'demo/', '--folder', folder],
      { AWS_ACCESS_KEY_ID: info.adminAccessKeyId, AWS_SECRET_ACCESS_KEY: info.adminSecretAccessKey },
    );
  } else {
    exitCode = await runElectron(info.configFile);
  }
  stopping = true;
  if (child.exitCode === null && child.signalCode === null) {
    process.kill(child.pid, 'SIGTERM');
    await new Promise((done) => child.once('exit', done));
  }
}
process.exit(exitCode);
