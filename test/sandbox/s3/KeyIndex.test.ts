import { describe, expect, it } from 'vitest';
import { compareUtf8, KeyIndex } from '../../../sandbox/s3/KeyIndex.js';

/** xorshift32, so a failing seed replays. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

const ALPHABET = ['a', 'b', '/', ' ', '+', '%', ':', 'é', '\uFF5E', '\u{1F600}', '\uE000', 'Z', '0'];

function randomKey(next: () => number): string {
  const length = 1 + Math.floor(next() * 6);
  return Array.from({ length }, () => ALPHABET[Math.floor(next() * ALPHABET.length)]).join('');
}

describe('KeyIndex', () => {
  it('orders keys by UTF-8 bytes, as S3 lists them (randomized)', () => {
    const seed = Date.now() % 100_000;
    const next = rng(seed);
    for (let i = 0; i < 2000; i++) {
      const a = randomKey(next);
      const b = randomKey(next);
      const expected = Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b)));
      expect(Math.sign(compareUtf8(a, b)), `seed ${seed}: ${JSON.stringify([a, b])}`).toBe(expected);
    }
  });

  it('lists with prefix, delimiter and an exclusive marker like a fresh sort would (randomized)', () => {
    const seed = (Date.now() >> 3) % 100_000;
    const next = rng(seed);
    const index = new KeyIndex<string>();
    const keys = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const key = randomKey(next);
      keys.add(key);
      index.set(key, key);
      if (next() < 0.1) {
        const gone = [...keys][Math.floor(next() * keys.size)]!;
        keys.delete(gone);
        index.delete(gone);
      }
    }
    const sorted = [...keys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const prefix of ['', 'a', '/', 'é']) {
      // Page through with a delimiter and check against a direct computation.
      const expected: string[] = [];
      for (const key of sorted.filter((k) => k.startsWith(prefix))) {
        const cut = key.indexOf('/', prefix.length);
        const item = cut === -1 ? key : key.slice(0, cut + 1);
        if (expected[expected.length - 1] !== item) expected.push(item);
      }
      const seen: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = index.list({ prefix, delimiter: '/', after, maxKeys: 7 });
        const items = [...page.contents, ...page.commonPrefixes].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
        seen.push(...items);
        if (!page.isTruncated) break;
        after = page.last;
      }
      expect(seen, `seed ${seed}, prefix ${JSON.stringify(prefix)}`).toEqual(expected);
    }
  });
});
