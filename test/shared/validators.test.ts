import { describe, expect, it } from 'vitest';
import { initialStatus, isStatusSnapshot } from '../../src/shared/validators.js';

describe('isStatusSnapshot', () => {
  it('accepts the initial status and a full one', () => {
    expect(isStatusSnapshot(initialStatus())).toBe(true);
    expect(
      isStatusSnapshot({
        version: 1,
        auth: 'signed-in',
        sync: 'needs-attention',
        account: 'a@b.c',
        folder: '/home/a/Stratus',
        lastCheckAt: '2026-11-22T00:00:00Z',
        message: 'Bucket not found',
      }),
    ).toBe(true);
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['a wrong version', { version: 2, auth: 'signed-out', sync: 'checking' }],
    ['an unknown auth state', { version: 1, auth: 'root', sync: 'checking' }],
    ['an unknown sync state', { version: 1, auth: 'signed-out', sync: 'exploded' }],
    ['a non-string message', { version: 1, auth: 'signed-out', sync: 'checking', message: { html: '<b>' } }],
  ])('rejects %s', (_name, value) => {
    expect(isStatusSnapshot(value)).toBe(false);
  });
});
