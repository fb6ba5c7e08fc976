import { describe, expect, it } from 'vitest';
import { createLoggerFactory, redactText } from '../../src/engine/logger.js';

function capture(level?: 'debug' | 'info' | 'warn' | 'error') {
  const lines: string[] = [];
  const createLogger = createLoggerFactory({
    write: (line) => lines.push(line),
    ...(level === undefined ? {} : { level }),
    now: () => new Date('2026-11-22T10:00:00Z'),
  });
  return { lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>), createLogger };
}

describe('logger', () => {
  it('writes one JSON line per call with time, level, module and message', () => {
    const { lines, records, createLogger } = capture();
    createLogger('reconcile').info('12 up, 3 down, 1 conflict, 0 errors', { up: 12 });
    expect(lines).toHaveLength(1);
    expect(records()[0]).toEqual({
      time: '2026-11-22T10:00:00.000Z',
      level: 'info',
      module: 'reconcile',
      msg: '12 up, 3 down, 1 conflict, 0 errors',
      up: 12,
    });
  });

  it('drops lines below the configured level', () => {
    const { lines, createLogger } = capture('warn');
    const log = createLogger('x');
    log.debug('a');
    log.info('b');
    log.warn('c');
    log.error('d');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['c', 'd']);
  });

  it('never writes credentials, tokens or presigned signatures', () => {
    const { lines, createLogger } = capture();
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    createLogger('auth').error(`refresh failed for ${jwt}`, {
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
      sessionToken: 'FwoGZXIvYXdzEXAMPLE',
      nested: { refresh_token: 'r-123', url: 'http://h/b/k?X-Amz-Signature=abcdef&X-Amz-Credential=AKIA/x' },
      err: new Error(`bad token ${jwt}`),
    });
    const text = lines.join('\n');
    for (const secret of ['wJalrXUtnFEMI', 'FwoGZXIvYXdz', 'r-123', 'abcdef', 'AKIA/x', jwt]) {
      expect(text).not.toContain(secret);
    }
    expect(text).toContain('[redacted]');
  });

  it('leaves ordinary text alone', () => {
    expect(redactText('uploaded photos/a.jpg (12 KiB)')).toBe('uploaded photos/a.jpg (12 KiB)');
  });
});
