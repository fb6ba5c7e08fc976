/**
 * `npm run sandbox`: starts the local stand-in for AWS (S3, user pool with hosted UI,
 * identity pool) and keeps it running until SIGINT/SIGTERM.
 *
 * Emits, on stdout: in human mode, the endpoints, test users, admin key and
 * ready-to-paste aws cli / rclone commands; with `--json`, exactly one JSON line
 * (`SandboxInfo` plus `configFile`) as the first line, everything else on stderr, so
 * a parent process (scripts/start.js, tests) can read it. Also writes the Stratus
 * config file `<dataDir>/stratus.json`.
 *
 * Exit codes: 0 after a signal ("Sandbox stopped."), 1 when it cannot start (e.g. a
 * port in use), 2 for bad flags.
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startSandbox, DEFAULT_REDIRECT_PORT, SandboxPortInUseError, type Sandbox, type SandboxInfo } from './startSandbox.js';

const USAGE = `Usage: npm run sandbox -- [options]

Starts a local S3 server, a Cognito-like user pool with its hosted UI and an
identity pool, and prints how to reach them. Ctrl+C stops it.

Options:
  --json               print one JSON line with every endpoint and key, then stay quiet
  --port N             base port: S3 on N, hosted UI on N+1, identity API on N+2
                       (default: free ports)
  --data-dir DIR       where objects and the admin key are kept
                       (default: .stratus-dev/sandbox under the current directory)
  --redirect-port N    port of the app's sign-in callback http://localhost:N/callback
                       (default: ${DEFAULT_REDIRECT_PORT})
  --verbose            log every S3 request to stderr
  --help               show this help`;

class UsageError extends Error {}

interface Flags {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly help: boolean;
  readonly port: number;
  readonly dataDir: string;
  readonly redirectPort: number;
}

function portFlag(name: string, value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name} must be a port number from ${min} to ${max}, got "${value}"`);
  }
  return Number(value);
}

function parseFlags(argv: string[]): Flags {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        json: { type: 'boolean', default: false },
        verbose: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'redirect-port': { type: 'string' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message.split('\n')[0]);
  }
  // Three consecutive ports are taken from the base port.
  const port = portFlag('port', values.port, 0, 0, 65533);
  const redirectPort = portFlag('redirect-port', values['redirect-port'], DEFAULT_REDIRECT_PORT, 1, 65535);
  if (values['data-dir'] === '') throw new UsageError('--data-dir must not be empty');
  return {
    json: values.json,
    verbose: values.verbose,
    help: values.help,
    port,
    redirectPort,
    dataDir: resolve(values['data-dir'] ?? join('.stratus-dev', 'sandbox')),
  };
}

/** Single-quotes a value for a POSIX shell. */
function sh(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

function humanReport(info: SandboxInfo, configFile: string): string {
  const width = Math.max(...info.users.map((u) => u.username.length));
  const users = info.users.map((u) => `  ${u.username.padEnd(width)}  ${u.password}   (${u.email})`);
  const adminEnv = `AWS_ACCESS_KEY_ID=${sh(info.adminAccessKeyId)} AWS_SECRET_ACCESS_KEY=${sh(info.adminSecretAccessKey)} AWS_REGION=${info.region}`;
  const rclone = [
    ['TYPE', 's3'],
    ['PROVIDER', 'Other'],
    ['ENDPOINT', info.s3Endpoint],
    ['REGION', info.region],
    ['ACCESS_KEY_ID', info.adminAccessKeyId],
    ['SECRET_ACCESS_KEY', info.adminSecretAccessKey],
    ['FORCE_PATH_STYLE', 'true'],
  ].map(([name = '', value = '']) => `  export RCLONE_CONFIG_SANDBOX_${name}=${sh(value)}`);
  return [
    `Stratus sandbox is running (data in ${info.dataDir}).`,
    '',
    `  S3              ${info.s3Endpoint}   bucket ${info.bucket}, region ${info.region}, path-style`,
    `  Hosted UI       ${info.hostedUiBase}`,
    `  Issuer          ${info.issuer}`,
    `  App client ID   ${info.clientId}`,
    `  Identity API    ${info.identityEndpoint}`,
    `  Identity pool   ${info.identityPoolId}`,
    `  Callback URL    ${info.redirectUri}   (sign-out: ${info.logoutUri})`,
    '',
    'Test users (sign in on the hosted UI; each may use only s3://stratus/<identityId>/):',
    ...users,
    '',
    `Admin key (full access; kept in ${join(info.dataDir, 'admin.json')}, so it survives restarts):`,
    `  AWS_ACCESS_KEY_ID=${info.adminAccessKeyId}`,
    `  AWS_SECRET_ACCESS_KEY=${info.adminSecretAccessKey}`,
    '',
    'List the bucket with the aws cli:',
    `  ${adminEnv} aws --endpoint-url ${info.s3Endpoint} s3 ls --recursive s3://${info.bucket}/`,
    '',
    'Or with rclone (remote "sandbox"):',
    ...rclone,
    `  rclone lsf -R sandbox:${info.bucket}`,
    '',
    `Stratus config for this sandbox: ${configFile}`,
    `  STRATUS_CONFIG=${sh(configFile)} npm start`,
    '',
    'Press Ctrl+C to stop.',
  ].join('\n');
}

async function main(): Promise<number> {
  let flags: Flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`sandbox: ${err.message} (see --help)`);
    return 2;
  }
  if (flags.help) {
    console.log(USAGE);
    return 0;
  }
  // In --json mode stdout carries only the JSON line; every other message goes to stderr.
  const say = flags.json ? (line: string) => console.error(line) : (line: string) => console.log(line);

  let sandbox: Sandbox;
  try {
    sandbox = await startSandbox({
      dataDir: flags.dataDir,
      port: flags.port,
      redirectPort: flags.redirectPort,
      ...(flags.verbose ? { log: (line: string) => console.error(`[s3] ${line}`) } : {}),
    });
  } catch (err) {
    if (err instanceof SandboxPortInUseError) {
      console.error(`sandbox: ${err.message} on 127.0.0.1; stop whatever uses it or choose another base port with --port`);
    } else {
      console.error(`sandbox: could not start: ${(err as Error).message}`);
    }
    return 1;
  }

  const configFile = join(flags.dataDir, 'stratus.json');
  try {
    await writeFile(configFile, `${JSON.stringify(sandbox.info.stratusConfig, null, 2)}\n`);
  } catch (err) {
    await sandbox.close();
    console.error(`sandbox: could not write ${configFile}: ${(err as Error).message}`);
    return 1;
  }

  if (flags.json) process.stdout.write(`${JSON.stringify({ ...sandbox.info, configFile })}\n`);
  else say(humanReport(sandbox.info, configFile));

  return new Promise<number>((done) => {
    let stopping = false;
    const stop = (signal: NodeJS.Signals): void => {
      if (stopping) {
        // A second Ctrl+C means "now": skip waiting for open connections.
        say(`Sandbox killed (${signal}).`);
        done(1);
        return;
      }
      stopping = true;
      sandbox.close().then(
        () => {
          say('Sandbox stopped.');
          done(0);
        },
        (err: unknown) => {
          console.error(`sandbox: error while stopping: ${(err as Error).message}`);
          done(1);
        },
      );
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`sandbox: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
