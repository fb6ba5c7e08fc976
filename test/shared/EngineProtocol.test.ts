import { describe, expect, it } from 'vitest';
import { isEngineSettings, isEngineToHost, isHostToEngine } from '../../src/shared/EngineProtocol.js';

const settings = { folder: '/home/a/Stratus', bucket: 'b', region: 'eu-west-1', prefix: 'p/' };

describe('engine protocol validators', () => {
  it('accepts every message the two sides send', () => {
    expect(isHostToEngine({ type: 'start', settings: { ...settings, endpoint: 'http://127.0.0.1:9000', credentials: { accessKeyId: 'A', secretAccessKey: 'S' } } })).toBe(true);
    for (const type of ['pause', 'resume', 'stop']) expect(isHostToEngine({ type })).toBe(true);
    expect(isHostToEngine({ type: 'retry-now', paths: ['a.txt'] })).toBe(true);
    expect(isEngineToHost({ type: 'status', status: { version: 1, auth: 'signed-in', sync: 'up-to-date' } })).toBe(true);
    expect(isEngineToHost({ type: 'fatal', code: 'folder-missing', message: 'The folder is gone.' })).toBe(true);
    expect(isEngineToHost({ type: 'stopped' })).toBe(true);
  });

  it.each([
    ['an unknown type', { type: 'format-disk' }],
    ['start without a bucket', { type: 'start', settings: { folder: '/f', region: 'r', prefix: 'p/' } }],
    ['credentials without a secret', { type: 'start', settings: { ...settings, credentials: { accessKeyId: 'A' } } }],
    ['paths that are not strings', { type: 'retry-now', paths: [1] }],
    ['null', null],
  ])('refuses %s from the host', (_name, value) => {
    expect(isHostToEngine(value)).toBe(false);
  });

  it('refuses a status that is not a valid snapshot, and settings that are not an object', () => {
    expect(isEngineToHost({ type: 'status', status: { version: 1, auth: 'signed-in', sync: 'exploded' } })).toBe(false);
    expect(isEngineToHost({ type: 'fatal', code: 1, message: 'x' })).toBe(false);
    expect(isEngineSettings('settings')).toBe(false);
  });
});

describe('engine settings carry the preferences the engine applies', () => {
  const base = { folder: '/f', bucket: 'b', region: 'r', prefix: 'p/' };
  it('accepts bandwidth limits and the mass-delete thresholds, and refuses malformed ones', () => {
    expect(isEngineSettings({ ...base, bandwidth: { upBytesPerSecond: 1024 }, maxDeletes: 20, maxDeleteRatio: 0.25 })).toBe(true);
    expect(isEngineSettings({ ...base, bandwidth: { upBytesPerSecond: -1 } })).toBe(false);
    expect(isEngineSettings({ ...base, bandwidth: { sideways: 5 } })).toBe(false);
    expect(isEngineSettings({ ...base, maxDeletes: '20' })).toBe(false);
  });
});
