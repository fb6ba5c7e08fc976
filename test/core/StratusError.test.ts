import { describe, expect, it } from 'vitest';
import { StratusError, isStratusError } from '../../src/core/StratusError.js';

describe('StratusError', () => {
  it('carries a stable code, a severity, the path and the cause', () => {
    const cause = new Error('ENOSPC');
    const err = new StratusError('disk-full', 'Not enough space to download photos/a.jpg.', {
      severity: 'item',
      path: 'photos/a.jpg',
      cause,
    });
    expect(err).toBeInstanceOf(Error);
    expect(isStratusError(err)).toBe(true);
    expect(err).toMatchObject({ name: 'StratusError', code: 'disk-full', severity: 'item', path: 'photos/a.jpg' });
    expect(err.cause).toBe(cause);
  });

  it('defaults to item severity, so one bad file never stops a run by accident', () => {
    expect(new StratusError('x', 'y').severity).toBe('item');
    expect(isStratusError(new Error('plain'))).toBe(false);
  });
});
