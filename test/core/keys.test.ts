import { describe, expect, it } from 'vitest';
import { MAX_KEY_BYTES, keyToPath, pathToKey, utf8Length } from '../../src/core/keys.js';
import type { LocalOs } from '../../src/core/names.js';
import { createRandom } from '../support/random.js';

const PREFIX = 'us-east-1:0f6c1a2b-0000-4000-8000-000000000001/';

describe('keyToPath', () => {
  it('maps files and folder markers under the prefix', () => {
    expect(keyToPath(`${PREFIX}docs/a.txt`, PREFIX, 'linux')).toEqual({ ok: true, path: 'docs/a.txt', folder: false });
    expect(keyToPath(`${PREFIX}docs/`, PREFIX, 'linux')).toEqual({ ok: true, path: 'docs', folder: true });
    expect(keyToPath(PREFIX, PREFIX, 'linux')).toEqual({ ok: true, path: '', folder: true });
  });

  it('treats a zero-byte name without a slash as a file, not a folder', () => {
    expect(keyToPath(`${PREFIX}empty`, PREFIX, 'linux')).toMatchObject({ ok: true, folder: false });
  });

  it.each([
    [`${PREFIX}../../etc/passwd`, 'linux', '\uFF0E\uFF0E/\uFF0E\uFF0E/etc/passwd'],
    [`${PREFIX}./a`, 'linux', '\uFF0E/a'],
    [`${PREFIX}a\\..\\b`, 'windows', 'a\uFF3C..\uFF3Cb'],
    [`${PREFIX}nul\u0000byte`, 'linux', 'nul\u2400byte'],
  ] as const)('keeps %j inside the sync root on %s', (key, os, path) => {
    expect(keyToPath(key, PREFIX, os)).toEqual({ ok: true, path, folder: false });
  });

  it.each([
    [`${PREFIX}a//b`, 'empty-segment'],
    [`${PREFIX}/abs`, 'empty-segment'],
    [`${PREFIX}${'x'.repeat(256)}`, 'name-too-long'],
    [`${PREFIX}${'é'.repeat(128)}`, 'name-too-long'],
    ['other-identity/a.txt', 'outside-prefix'],
  ])('refuses %j visibly (%s)', (key, problem) => {
    const result = keyToPath(key, PREFIX, 'linux');
    expect(result).toMatchObject({ ok: false, problem });
    if (!result.ok) expect(result.message).toContain('"');
  });

  it('normalises NFD names (as macOS writes them) to NFC paths', () => {
    const nfd = 'Cafe\u0301.txt';
    expect(keyToPath(`${PREFIX}${nfd}`, PREFIX, 'darwin')).toMatchObject({ ok: true, path: 'Caf\u00E9.txt' });
  });
});

describe('pathToKey', () => {
  it('maps paths to keys, with a trailing slash for folders', () => {
    expect(pathToKey('docs/a.txt', PREFIX, 'linux', false)).toEqual({ ok: true, key: `${PREFIX}docs/a.txt` });
    expect(pathToKey('docs', PREFIX, 'linux', true)).toEqual({ ok: true, key: `${PREFIX}docs/` });
    expect(pathToKey('a\uFF1Ab.txt', PREFIX, 'windows', false)).toEqual({ ok: true, key: `${PREFIX}a:b.txt` });
  });

  it('refuses a key over 1,024 bytes with a message naming the limit', () => {
    const deep = Array.from({ length: 8 }, () => 'd'.repeat(200)).join('/');
    const result = pathToKey(deep, PREFIX, 'linux', false);
    expect(result).toMatchObject({ ok: false, problem: 'key-too-long' });
    if (!result.ok) expect(result.message).toContain('1024');
  });

  it.each(['', '/a', 'a/', 'a//b', './a', 'a/../b'])('refuses the malformed path %j', (path) => {
    expect(pathToKey(path, PREFIX, 'linux', false)).toMatchObject({ ok: false, problem: 'invalid-path' });
  });
});

describe('key mapping, randomized (seeded)', () => {
  const pieces = ['a', 'B', '.', '..', ' ', ':', '\\', '/', '//', '\u0000', '\n', '\u201B', '\uFF0E', '\uFF1A', 'CON', 'é', 'e\u0301', '日', '😀', '%3A', '+'];

  it('never yields a path that escapes the sync root, and round-trips every key it accepts', () => {
    const random = createRandom();
    for (let round = 0; round < 20_000; round++) {
      let rest = '';
      const count = 1 + random.int(8);
      for (let i = 0; i < count; i++) rest += random.pick(pieces);
      const os: LocalOs = random.pick(['linux', 'darwin', 'windows'] as const);
      const key = PREFIX + rest;
      const result = keyToPath(key, PREFIX, os);
      const context = `seed=${random.seed} round=${round} os=${os} key=${JSON.stringify(key)}`;
      if (!result.ok || result.path === '') continue;
      const segments = result.path.split('/');
      for (const segment of segments) {
        expect(['', '.', '..'].includes(segment), context).toBe(false);
        expect(/[\u0000-\u001F]/.test(segment), context).toBe(false);
        if (os === 'windows') expect(/[\\:*?"<>|]/.test(segment), context).toBe(false);
      }
      expect(result.path.startsWith('/'), context).toBe(false);
      // Keys that are already NFC come back byte for byte; others map to their NFC form.
      const back = pathToKey(result.path, PREFIX, os, result.folder);
      if (utf8Length(key) <= MAX_KEY_BYTES && key === key.normalize('NFC')) {
        expect(back, context).toEqual({ ok: true, key });
      }
    }
  });
});
