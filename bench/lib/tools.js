// The three tools under test, each as a command line plus a parser for what it says it
// transferred. Every tool gets the same clean environment: no AWS_* / RCLONE_* from the
// caller (AWS_CA_BUNDLE in particular is unset), empty config files, the admin key.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const RCLONE = '/usr/bin/rclone';
export const AWS = '/usr/bin/aws';
export const PEER_FLAGS = ['--transfers', '8', '--checkers', '16'];

function cleanEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || k.startsWith('AWS_') || k.startsWith('RCLONE_') || k === 'NODE_OPTIONS') continue;
    env[k] = v;
  }
  return env;
}

/**
 * @param {{ repoRoot: string, scratch: string, info: any }} ctx
 */
export function makeTools(ctx) {
  const { info } = ctx;
  const bucket = info.bucket;
  const emptyConfig = join(ctx.scratch, 'empty-config');
  writeFileSync(emptyConfig, '');
  const awsKeys = {
    AWS_ACCESS_KEY_ID: info.adminAccessKeyId,
    AWS_SECRET_ACCESS_KEY: info.adminSecretAccessKey,
    AWS_CONFIG_FILE: emptyConfig,
    AWS_SHARED_CREDENTIALS_FILE: emptyConfig,
  };

  const stratus = {
    name: 'Stratus',
    key: 'stratus',
    env: { ...cleanEnv(), ...awsKeys },
    cmd: process.execPath,
    base: (prefix, folder) => [
      join(ctx.repoRoot, 'bin/stratus.js'), 'sync', '--once', '--json', '--auth', 'aws',
      '--endpoint', info.s3Endpoint, '--bucket', bucket, '--region', info.region,
      '--prefix', prefix, '--folder', folder,
    ],
    // Two-way: the same command uploads and downloads.
    push(folder, prefix) { return this.base(prefix, folder); },
    pull(prefix, folder) { return this.base(prefix, folder); },
    counts(res) {
      const line = res.stdout.trim().split('\n').pop() ?? '';
      try {
        const j = JSON.parse(line);
        return { up: j.uploaded ?? 0, down: j.downloaded ?? 0, errors: j.errors ?? 0, engineMs: j.durationMs };
      } catch {
        return { up: NaN, down: NaN, errors: NaN };
      }
    },
    versionArgs: [join(ctx.repoRoot, 'bin/stratus.js'), '--version'],
  };

  const rcloneRemote = (prefix) => `sbx:${bucket}/${prefix.replace(/\/$/, '')}`;
  const rclone = {
    name: 'rclone',
    key: 'rclone',
    env: {
      ...cleanEnv(),
      RCLONE_CONFIG_SBX_TYPE: 's3',
      RCLONE_CONFIG_SBX_PROVIDER: 'Other',
      RCLONE_CONFIG_SBX_ENDPOINT: info.s3Endpoint,
      RCLONE_CONFIG_SBX_ACCESS_KEY_ID: info.adminAccessKeyId,
      RCLONE_CONFIG_SBX_SECRET_ACCESS_KEY: info.adminSecretAccessKey,
      RCLONE_CONFIG_SBX_REGION: info.region,
      RCLONE_CONFIG_SBX_FORCE_PATH_STYLE: 'true',
    },
    cmd: RCLONE,
    // -v only makes rclone log one line per transferred file (used to count transfers).
    push: (folder, prefix) => ['sync', folder, rcloneRemote(prefix), ...PEER_FLAGS, '--config', emptyConfig, '-v'],
    pull: (prefix, folder) => ['copy', rcloneRemote(prefix), folder, ...PEER_FLAGS, '--config', emptyConfig, '-v'],
    counts(res) {
      const copied = res.stderr.split('\n').filter((l) => /Copied \((new|replaced existing)\)/.test(l)).length;
      return { up: copied, down: copied, errors: res.code === 0 ? 0 : 1 };
    },
    versionArgs: ['version'],
  };

  const aws = {
    name: 'aws s3 sync',
    key: 'aws',
    env: { ...cleanEnv(), ...awsKeys, AWS_DEFAULT_REGION: info.region, AWS_PAGER: '', AWS_EC2_METADATA_DISABLED: 'true' },
    cmd: AWS,
    push: (folder, prefix) => ['s3', 'sync', folder, `s3://${bucket}/${prefix}`, '--endpoint-url', info.s3Endpoint, '--no-progress'],
    pull: (prefix, folder) => ['s3', 'sync', `s3://${bucket}/${prefix}`, folder, '--endpoint-url', info.s3Endpoint, '--no-progress'],
    counts(res) {
      const lines = res.stdout.split('\n');
      return {
        up: lines.filter((l) => l.startsWith('upload:')).length,
        down: lines.filter((l) => l.startsWith('download:')).length,
        errors: res.code === 0 ? 0 : 1,
      };
    },
    versionArgs: ['--version'],
  };

  return [stratus, rclone, aws];
}
