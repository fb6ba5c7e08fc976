import { describe, expect, it } from 'vitest';
import { QUOTE, decodeName, encodeName, isCanonicalName, type LocalOs } from '../../src/core/names.js';
import { createRandom } from '../support/random.js';

const OSES: readonly LocalOs[] = ['linux', 'darwin', 'windows'];

describe('encodeName', () => {
  it.each([
    ['a:b', 'windows', 'a\uFF1Ab'],
    ['a:b', 'linux', 'a:b'],
    ['what?.txt', 'windows', 'what\uFF1F.txt'],
    ['tab\there', 'linux', 'tab\u2409here'],
    ['.', 'linux', '\uFF0E'],
    ['..', 'windows', '\uFF0E\uFF0E'],
    ['CON', 'windows', '\uFF23ON'],
    ['nul.txt', 'windows', '\uFF4Eul.txt'],
    ['CON', 'linux', 'CON'],
    ['trailing ', 'windows', 'trailing\u2420'],
    ['trailing.', 'windows', 'trailing\uFF0E'],
    ['back\\slash', 'windows', 'back\uFF3Cslash'],
    ['back\\slash', 'linux', 'back\\slash'],
    ['plain name.txt', 'windows', 'plain name.txt'],
    ['日本語.txt', 'windows', '日本語.txt'],
  ] as const)('encodes %j on %s as %j', (segment, os, expected) => {
    expect(encodeName(segment, os)).toBe(expected);
    expect(decodeName(expected, os)).toBe(segment);
  });

  it('quotes a substitute character that really occurs in the key', () => {
    expect(encodeName('a\uFF1Ab', 'windows')).toBe(`a${QUOTE}\uFF1Ab`);
    expect(encodeName('\u2409', 'linux')).toBe(`${QUOTE}\u2409`);
    expect(encodeName('\uFF0E', 'linux')).toBe(`${QUOTE}\uFF0E`);
  });

  it('leaves a full-width colon alone on Linux, where ":" needs no substitute', () => {
    expect(encodeName('a\uFF1Ab', 'linux')).toBe('a\uFF1Ab');
    expect(isCanonicalName('a\uFF1Ab', 'linux')).toBe(true);
  });

  it('keeps a full-width dot inside a name as it is (common in CJK names)', () => {
    expect(isCanonicalName('a\uFF0Eb', 'linux')).toBe(true);
    expect(isCanonicalName('a\uFF0Eb', 'windows')).toBe(true);
  });
});

/** Characters chosen to hit every rule: invalid, substitutes, quote, controls, letters. */
const ALPHABET = [
  'a', 'C', 'O', 'N', 'n', 'u', 'l', 'P', 'R', 'x', '1', '.', ' ', ':', '<', '>', '"', '|', '?', '*', '\\',
  '\t', '\u0000', '\u007F', QUOTE, '\uFF1A', '\uFF0E', '\u2420', '\u2400', '\u2409', '\uFF23', '\uFF4E',
  '日', '\u00B9', 'é', '😀',
];

describe('names, randomized (seeded)', () => {
  it('decode(encode(s)) === s and encode(s) is canonical, for random segments', () => {
    const random = createRandom();
    for (let round = 0; round < 20_000; round++) {
      const length = 1 + random.int(6);
      let segment = '';
      for (let i = 0; i < length; i++) segment += random.pick(ALPHABET);
      for (const os of OSES) {
        const encoded = encodeName(segment, os);
        const context = `seed=${random.seed} round=${round} os=${os} segment=${JSON.stringify(segment)} encoded=${JSON.stringify(encoded)}`;
        expect(decodeName(encoded, os), context).toBe(segment);
        expect(isCanonicalName(encoded, os), context).toBe(true);
        expect(encoded.includes('/'), context).toBe(false);
        expect(/[\u0000-\u001F\u007F]/.test(encoded), context).toBe(false);
        expect(['.', '..', ''].includes(encoded), context).toBe(false);
        if (os === 'windows') {
          expect(/[<>:"|?*\\]/.test(encoded), context).toBe(false);
          expect(/[ .]$/.test(encoded), context).toBe(false);
          expect(/^(CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³])(\..*)?$/i.test(encoded), context).toBe(false);
        }
      }
    }
  });

  it('syncs every ordinary local name unchanged: only names with the quote character can be refused', () => {
    // Names users really create: letters, digits, spaces and dots inside, CJK,
    // emoji, and the full-width punctuation East Asian keyboards type.
    const ordinary = ['a', 'Z', '7', ' ', '.', '-', '_', '日', '本', 'é', '😀', '\uFF0E', '\uFF1A', '\uFF08', '(', ')'];
    const random = createRandom();
    for (let round = 0; round < 20_000; round++) {
      let name = random.pick(['a', 'Z', '7', '日', 'é']);
      const length = random.int(8);
      for (let i = 0; i < length; i++) name += random.pick(ordinary);
      name += random.pick(['a', '.txt', '日', '😀']);
      const os = random.pick(OSES);
      const colonOnWindows = os === 'windows' && name.includes('\uFF1A');
      const context = `seed=${random.seed} round=${round} os=${os} name=${JSON.stringify(name)}`;
      // On Windows a full-width colon is the stand-in for ":" and so decodes to it.
      expect(isCanonicalName(name, os), context).toBe(true);
      expect(decodeName(name, os) === name, context).toBe(!colonOnWindows);
    }
  });
});
