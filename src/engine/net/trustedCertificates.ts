/**
 * The certificate authorities Stratus trusts (issue 9): Node's bundled roots,
 * the operating system's store (`tls.getCACertificates('system')`: the
 * Windows and macOS keychains, /etc/ssl/certs on Linux) and, when configured,
 * the PEM file of the ExtraCaCertificates policy (a TLS-inspecting proxy's
 * CA). NODE_EXTRA_CA_CERTS is not relied on: the app's NODE_OPTIONS fuse
 * turns it off (docs/security.md); when a CLI user sets it, Node already
 * counts it in 'default', so it still works there.
 *
 * Emits one `SecureContext` for every TLS connection of a process (building
 * one from ~300 roots takes ~35 ms, so it is never done per connection), and
 * only when the first TLS connection needs it (`lazyTrustedContext`): reading
 * the OS store and building the context cost ≈ 90 ms of start-up and ≈ 7 MB of
 * memory (issue 4: a first sync of 10,000 files peaked at 147.7 MB with the
 * context built at start, ≈ 140 MB without), which a plain-http endpoint
 * (the sandbox, a MinIO/Ceph on the LAN) never needs.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, getCACertificates, rootCertificates, type SecureContext } from 'node:tls';
import { StratusError } from '../../core/StratusError.js';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * The certificates of a PEM file, each checked to parse. A missing file, one
 * without certificates or with a damaged one is a fatal, named error: trusting
 * less than the administrator intended would fail later with a vaguer message.
 */
export async function readCaFile(path: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EACCES' ? 'cannot be read (permission denied)' : `cannot be read (${String(code ?? err)})`;
    throw new StratusError('ca-file-invalid', `The extra CA certificate file ${path} (ExtraCaCertificates) ${why}; fix the path or the policy.`, { severity: 'fatal', cause: err });
  }
  const blocks = text.match(PEM_BLOCK) ?? [];
  if (blocks.length === 0) {
    throw new StratusError('ca-file-invalid', `The extra CA certificate file ${path} (ExtraCaCertificates) holds no PEM certificate ("-----BEGIN CERTIFICATE-----"); export the CA as PEM.`, { severity: 'fatal' });
  }
  blocks.forEach((pem, index) => {
    try {
      new X509Certificate(pem);
    } catch (err) {
      throw new StratusError('ca-file-invalid', `Certificate ${index + 1} in ${path} (ExtraCaCertificates) is damaged; export the CA as PEM again.`, { severity: 'fatal', cause: err });
    }
  });
  return blocks;
}

export interface TrustOptions {
  /** PEM file of extra CAs; absent = none. */
  readonly extraCaFile?: string;
  /** Include the operating system's store. @default true */
  readonly system?: boolean;
}

/** Bundled (plus NODE_EXTRA_CA_CERTS when Node honours it) + system + extra, without duplicates. */
export async function trustedCertificates(options: TrustOptions = {}): Promise<string[]> {
  const extra = options.extraCaFile === undefined ? [] : await readCaFile(options.extraCaFile);
  return certificatesWith(extra, options.system !== false);
}

function certificatesWith(extra: readonly string[], includeSystem: boolean): string[] {
  let system: string[] = [];
  if (includeSystem) {
    try {
      system = getCACertificates('system');
    } catch {
      // An unreadable OS store must not stop sync with public CAs; Node's bundled roots remain.
      system = [];
    }
  }
  const defaults = getCACertificates('default');
  return [...new Set([...(defaults.length > 0 ? defaults : rootCertificates), ...system, ...extra])];
}

export async function trustedSecureContext(options: TrustOptions = {}): Promise<SecureContext> {
  return createSecureContext({ ca: await trustedCertificates(options) });
}

/**
 * The same context, built on the first call. The extra CA file is read and
 * checked now (a bad ExtraCaCertificates must fail at start with its own
 * message, not at the first connection); the OS store is read and the context
 * built when a TLS connection first asks for it.
 */
export async function lazyTrustedContext(options: TrustOptions = {}): Promise<() => SecureContext> {
  const extra = options.extraCaFile === undefined ? [] : await readCaFile(options.extraCaFile);
  let context: SecureContext | undefined;
  return () => (context ??= createSecureContext({ ca: certificatesWith(extra, options.system !== false) }));
}
