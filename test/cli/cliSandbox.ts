/**
 * One sandbox per CLI test file, with what the CLI tests need around it: a
 * scratch folder, an admin S3 client to inspect the bucket, and an environment
 * holding the admin key and nothing from the machine's own AWS profile.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { Env } from '../../src/cli/config.js';
import { startSandbox, type Sandbox } from '../../sandbox/startSandbox.js';
import { freePort } from '../engine/auth/authTestKit.js';

export interface CliSandbox {
  readonly sandbox: Sandbox;
  readonly scratch: string;
  readonly admin: S3Client;
  readonly env: Env;
  dispose(): Promise<void>;
}

export async function startCliSandbox(label: string): Promise<CliSandbox> {
  const scratch = await mkdtemp(join(tmpdir(), `stratus-cli-${label}-`));
  // A free port for the sign-in callback, not the sandbox's default 53682: test files run in parallel, and
  // two of them signing in on one fixed port at the same time made one time out (a CI run's main bundle smoke).
  const sandbox = await startSandbox({ dataDir: join(scratch, 'sandbox'), redirectPort: await freePort() });
  const { info } = sandbox;
  const env: Env = {
    AWS_ACCESS_KEY_ID: info.adminAccessKeyId,
    AWS_SECRET_ACCESS_KEY: info.adminSecretAccessKey,
    // Isolation: whatever profile the machine has must not take part.
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    HOME: scratch,
  };
  const admin = new S3Client({
    region: info.region,
    endpoint: info.s3Endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: info.adminAccessKeyId, secretAccessKey: info.adminSecretAccessKey },
  });
  return {
    sandbox,
    scratch,
    admin,
    env,
    async dispose() {
      admin.destroy();
      await sandbox.close();
      await rm(scratch, { recursive: true, force: true });
    },
  };
}
