/**
 * Name-based UUIDs (version 5, SHA-1 of namespace + name: https://www.rfc-editor.org/rfc/rfc9562#section-5.5).
 *
 * The sandbox derives user `sub`s and identity IDs this way so they stay the same
 * across restarts: S3 data stored under `<identityId>/` survives a sandbox restart,
 * as it would with the real, persistent Cognito.
 */
import { createHash } from 'node:crypto';

/** Fixed namespaces, so two sandboxes built from the same inputs agree. */
export const NAMESPACE_USER_SUB = '6f1c2b54-5d8e-4a53-9a1e-0d4f3c2b1a01';
export const NAMESPACE_IDENTITY = '6f1c2b54-5d8e-4a53-9a1e-0d4f3c2b1a02';

export function deterministicUuid(namespace: string, name: string): string {
  const hash = createHash('sha1')
    .update(Buffer.from(namespace.replaceAll('-', ''), 'hex'))
    .update(name, 'utf8')
    .digest();
  // RFC 9562 §5.5: version 5 in the high nibble of octet 6, variant 10xx in octet 8.
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
