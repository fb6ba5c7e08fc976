/**
 * Recognises a failed TLS certificate check anywhere in an error's `cause`
 * chain (the engine wraps the SDK's error, which is the socket's), by
 * OpenSSL's verification code — never by message text — and says what a
 * person can do about it: behind a TLS-inspecting proxy, trust its CA with
 * the ExtraCaCertificates policy.
 */

/** OpenSSL verify results (Node's `err.code`) that mean "this certificate is not trusted", or not for this host. */
const UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
]);
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const WRONG_HOST = 'ERR_TLS_CERT_ALTNAME_INVALID';

export interface CertificateProblem {
  /** The OpenSSL / Node code, e.g. UNABLE_TO_VERIFY_LEAF_SIGNATURE. */
  readonly code: string;
  readonly kind: 'untrusted' | 'expired' | 'wrong-host';
}

export function certificateProblem(err: unknown, depth = 0): CertificateProblem | undefined {
  if (depth > 8 || typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; cause?: unknown; errors?: unknown };
  if (typeof e.code === 'string') {
    if (UNTRUSTED.has(e.code)) return { code: e.code, kind: 'untrusted' };
    if (EXPIRED.has(e.code)) return { code: e.code, kind: 'expired' };
    if (e.code === WRONG_HOST) return { code: e.code, kind: 'wrong-host' };
  }
  if (Array.isArray(e.errors)) {
    for (const inner of e.errors) {
      const found = certificateProblem(inner, depth + 1);
      if (found !== undefined) return found;
    }
  }
  return certificateProblem(e.cause, depth + 1);
}

/** One line for a person: what failed, the code, and what to do. */
export function describeCertificateProblem(problem: CertificateProblem, server: string): string {
  switch (problem.kind) {
    case 'untrusted':
      return `the TLS certificate of ${server} is not signed by a CA this computer trusts (${problem.code}); ` +
        'if your organization inspects TLS or runs its own CA, set the ExtraCaCertificates policy to that CA\'s PEM file';
    case 'expired':
      return `the TLS certificate of ${server} has expired or is not valid yet (${problem.code}); check this computer's clock, or tell whoever runs the server`;
    case 'wrong-host':
      return `the TLS certificate of ${server} is for another host name (${problem.code}); check the endpoint address`;
  }
}
