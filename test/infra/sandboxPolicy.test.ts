/**
 * One source of truth: the policy the sandbox's S3 server enforces
 * (sandbox/iam/authenticatedRolePolicy.ts) is the authenticated role's policy
 * the backend template synthesizes today. Fails when the stack changed and the
 * generated file was not rewritten.
 */
import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { synthesizeTemplate } from '../../infra/lib/backendApp.js';
import { authenticatedRolePolicy, renderSandboxPolicyModule } from '../../infra/lib/sandboxPolicy.js';

const GENERATED = new URL('../../sandbox/iam/authenticatedRolePolicy.ts', import.meta.url);

describe('the sandbox\'s copy of the authenticated role policy', () => {
  const template = synthesizeTemplate();

  it('is up to date with the synthesized template (else: npx tsc -b && node infra/scripts/write-sandbox-policy.js)', async () => {
    expect(await readFile(GENERATED, 'utf8')).toBe(renderSandboxPolicyModule(authenticatedRolePolicy(template)));
  });

  it('is the role\'s statements with only the bucket written out', () => {
    const policy = authenticatedRolePolicy(template);
    const text = JSON.stringify(policy);
    expect(text).toContain('"arn:aws:s3:::BUCKET/${cognito-identity.amazonaws.com:sub}/*"');
    expect(text).not.toMatch(/Fn::|"Ref"/);
    expect(policy.Statement.map((s) => s.Sid)).toEqual(['ListOwnPrefix', 'ListOwnMultipartUploads', 'ReadWriteOwnObjects']);
  });

  it('refuses a template whose role policy names something the sandbox cannot resolve', () => {
    const kms = synthesizeTemplate({ encryption: 'SSE-KMS' });
    expect(() => authenticatedRolePolicy(kms)).toThrow(/cannot resolve/);
  });
});
