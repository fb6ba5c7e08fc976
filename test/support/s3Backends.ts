/**
 * The S3 servers a suite can run against, behind one interface, so the same
 * test code checks Stratus on our own sandbox and on a real S3 implementation
 * nobody here wrote (Ceph's RADOS Gateway, started once per run by
 * cephGlobalSetup.ts and handed over with vitest's provide/inject).
 *
 * - `sandbox`: a fresh sandbox server per `startBackend` call; prefixes are
 *   Cognito-shaped identity prefixes and `credentialsFor(prefix)` issues that
 *   identity's temporary credentials (Stratus' `cognito` auth mode).
 * - `ceph`: clients to the one shared cluster; it has one key with full
 *   access, so isolation comes from a fresh `test-<uuid>/` prefix per test
 *   (Stratus' `aws` auth mode with an explicit prefix). No fault injector.
 *
 * `describeEachBackend` runs a block once per available backend; the Ceph
 * lane is present only when the global setup provided a cluster.
 */
import { afterAll, beforeAll, describe, inject } from 'vitest';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import type { FaultInjector } from '../../sandbox/s3/S3Server.js';
import { BUCKET, identityId, REGION, startTestSandbox, type TestSandbox } from '../sandbox/s3/helpers.js';
import type { RealS3Info } from './cephGlobalSetup.js';

export type BackendName = 'sandbox' | 'ceph';

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface S3Backend {
  readonly name: BackendName;
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** Full-access client (sandbox: admin key; ceph: its key). */
  readonly admin: S3Client;
  /** The full-access credentials `admin` signs with (e.g. for the aws cli or rclone). */
  readonly credentials: S3Credentials;
  /**
   * A fresh, unique prefix ending in '/': sandbox `us-east-1:<uuid>/` (an identity
   * prefix, see `credentialsFor`); ceph `test-<uuid>/`.
   */
  freshPrefix(): string;
  /** Credentials limited to `prefix` where the server can limit them (sandbox: the identity's; ceph: its only key). */
  credentialsFor(prefix: string): S3Credentials;
  /** A client signed with `credentialsFor(prefix)`; destroyed by `dispose`. */
  client(prefix: string, extra?: Partial<S3ClientConfig>): S3Client;
  /** Sandbox only: the fault injector; undefined on Ceph. */
  readonly faults?: FaultInjector;
  /** Sandbox only: the server itself (credential store, data dir) for sandbox-specific tests. */
  readonly sandbox?: TestSandbox;
  /** Destroys the clients made here; the sandbox is stopped too, the shared Ceph cluster is not. */
  dispose(): Promise<void>;
}

/** The real-S3 cluster this run provided, or undefined when the lane is off. */
export function realS3(): RealS3Info | undefined {
  return inject('realS3');
}

/** The backends this run can test against: always the sandbox, plus Ceph when the global setup started it. */
export function backendNames(): BackendName[] {
  return realS3() === undefined ? ['sandbox'] : ['sandbox', 'ceph'];
}

function newClient(endpoint: string, region: string, credentials: S3Credentials, extra: Partial<S3ClientConfig>): S3Client {
  return new S3Client({
    endpoint,
    region,
    forcePathStyle: true,
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken === undefined ? {} : { sessionToken: credentials.sessionToken }),
    },
    ...extra,
  });
}

async function startSandboxBackend(): Promise<S3Backend> {
  const sbx = await startTestSandbox();
  const issued = new Map<string, S3Credentials>();
  const credentialsFor = (prefix: string): S3Credentials => {
    // The sandbox's policy grants an identity exactly `<identity>/`: the prefix names the identity.
    const identity = prefix.split('/')[0] ?? '';
    let credential = issued.get(identity);
    if (credential === undefined) {
      const c = sbx.credentials.issueForIdentity(identity, 3_600_000);
      credential = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken };
      issued.set(identity, credential);
    }
    return credential;
  };
  const clients: S3Client[] = [];
  return {
    name: 'sandbox',
    endpoint: sbx.server.endpoint,
    region: REGION,
    bucket: BUCKET,
    admin: sbx.admin,
    credentials: { accessKeyId: sbx.credentials.admin.accessKeyId, secretAccessKey: sbx.credentials.admin.secretAccessKey },
    freshPrefix: () => `${identityId()}/`,
    credentialsFor,
    client(prefix, extra = {}) {
      const c = newClient(sbx.server.endpoint, REGION, credentialsFor(prefix), extra);
      clients.push(c);
      return c;
    },
    faults: sbx.server.faults,
    sandbox: sbx,
    async dispose() {
      for (const c of clients) c.destroy();
      await sbx.dispose();
    },
  };
}

function cephBackend(info: RealS3Info): S3Backend {
  const credentials: S3Credentials = { accessKeyId: info.accessKeyId, secretAccessKey: info.secretAccessKey };
  const clients: S3Client[] = [];
  const client = (extra: Partial<S3ClientConfig>): S3Client => {
    const c = newClient(info.endpoint, info.region, credentials, extra);
    clients.push(c);
    return c;
  };
  return {
    name: 'ceph',
    endpoint: info.endpoint,
    region: info.region,
    bucket: info.bucket,
    admin: client({}),
    credentials,
    freshPrefix: () => `test-${crypto.randomUUID()}/`,
    // One key with full access to the bucket: Ceph's policies cannot scope it per prefix.
    credentialsFor: () => credentials,
    client: (_prefix, extra = {}) => client(extra),
    async dispose() {
      // The cluster belongs to the whole run (cephGlobalSetup stops it); only our clients end here.
      for (const c of clients) c.destroy();
    },
  };
}

/** Starts (sandbox) or connects to (ceph) a backend; the caller disposes it. */
export async function startBackend(name: BackendName): Promise<S3Backend> {
  if (name === 'sandbox') return startSandboxBackend();
  const info = realS3();
  if (info === undefined) throw new Error('the Ceph backend was asked for, but this run started no real-S3 cluster (see test/support/cephGlobalSetup.ts)');
  return cephBackend(info);
}

/**
 * `describe` once per backend (`<title> [sandbox]`, `<title> [ceph]`): the backend
 * starts in beforeAll and is disposed in afterAll; tests read it through `getBackend()`.
 * The backend does not exist yet while tests are collected, so `name` is passed too,
 * for collection-time decisions: `it.skipIf(!hasFaults(name))(…)`.
 */
export const describeEachBackend = (title: string, fn: (getBackend: () => S3Backend, name: BackendName) => void): void => {
  describe.each(backendNames())(`${title} [%s]`, (name) => {
    let backend: S3Backend | undefined;
    beforeAll(async () => {
      backend = await startBackend(name);
    });
    afterAll(async () => {
      await backend?.dispose();
      backend = undefined;
    });
    fn(() => {
      if (backend === undefined) throw new Error(`the ${name} backend is not started (getBackend() is for tests and hooks, not for collection)`);
      return backend;
    }, name);
  });
};

/** Whether `name`'s backend has a fault injector (and the sandbox's other test hooks): only the sandbox. */
export function hasFaults(name: BackendName): boolean {
  return name === 'sandbox';
}

/**
 * For `it.skipIf(sandboxOnly(name, why))`: true (skip) on every backend but the
 * sandbox, printing why once at collection, since a skipped test says why it skipped.
 */
export function sandboxOnly(name: BackendName, why: string): boolean {
  if (name === 'sandbox') return false;
  console.log(`skipped on ${name}: ${why}`);
  return true;
}
