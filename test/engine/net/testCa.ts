/**
 * A throwaway certificate authority and a server certificate it signed, for
 * 127.0.0.1 and localhost, made with the `openssl` command in a temporary
 * folder (node:crypto cannot issue X.509 certificates). Valid for two days;
 * nothing is installed anywhere: only clients given `caFile` trust it.
 */
import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCa {
  /** PEM file of the CA certificate (what ExtraCaCertificates points at). */
  readonly caFile: string;
  readonly caPem: string;
  /** The server's key and certificate (PEM). */
  readonly serverKey: string;
  readonly serverCert: string;
}

/** openssl with an environment of its own: nothing from the machine's CA or config variables. */
async function openssl(dir: string, args: readonly string[]): Promise<void> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir };
  await run('openssl', args, { cwd: dir, env });
}

export async function hasOpenssl(): Promise<boolean> {
  try {
    await run('openssl', ['version']);
    return true;
  } catch {
    return false;
  }
}

export async function createTestCa(dir: string, name = 'Stratus Test CA'): Promise<TestCa> {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(dir, [
    'req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await openssl(dir, ['req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  await writeFile(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n');
  await openssl(dir, ['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'server.ext']);
  const [caPem, serverKey, serverCert] = await Promise.all(['ca.pem', 'server.key', 'server.pem'].map((f) => readFile(join(dir, f), 'utf8')));
  return { caFile: join(dir, 'ca.pem'), caPem: caPem ?? '', serverKey: serverKey ?? '', serverCert: serverCert ?? '' };
}
