/**
 * KeyIndex: one bucket's in-memory listing index — every key in UTF-8 byte
 * order (the order S3 lists in) mapped to its metadata. Rebuilt from the
 * sidecars at start, updated on every commit; listing never touches the disk.
 * `list` implements the shared core of ListObjects v1 and v2: prefix,
 * delimiter roll-up into common prefixes, an exclusive start marker and max-keys.
 */

/**
 * Compares two strings by their UTF-8 bytes without encoding them. UTF-16 code
 * unit order equals code point (= UTF-8) order except that surrogates
 * (U+D800–DFFF) must sort above U+E000–FFFF; shifting both ranges fixes that.
 */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800) x = x <= 0xdfff ? x + 0x2000 : x - 0x800;
    if (y >= 0xd800) y = y <= 0xdfff ? y + 0x2000 : y - 0x800;
    return x - y;
  }
  return a.length - b.length;
}

export interface ListQuery {
  readonly prefix: string;
  readonly delimiter: string | undefined;
  /** Only entries strictly after this (key or common prefix) are returned. */
  readonly after: string | undefined;
  readonly maxKeys: number;
}

export interface ListPage<T> {
  readonly contents: T[];
  readonly commonPrefixes: string[];
  readonly isTruncated: boolean;
  /** The last entry returned (key or common prefix); the marker for the next page. */
  readonly last: string | undefined;
}

export class KeyIndex<T> {
  private readonly keys: string[] = [];
  private readonly entries = new Map<string, T>();

  get size(): number {
    return this.entries.size;
  }

  get(key: string): T | undefined {
    return this.entries.get(key);
  }

  set(key: string, value: T): void {
    if (!this.entries.has(key)) this.keys.splice(this.lowerBound(key), 0, key);
    this.entries.set(key, value);
  }

  delete(key: string): boolean {
    if (!this.entries.delete(key)) return false;
    this.keys.splice(this.lowerBound(key), 1);
    return true;
  }

  /** Bulk load at start: one sort instead of n insertions. */
  load(items: Iterable<[string, T]>): void {
    for (const [key, value] of items) this.entries.set(key, value);
    this.keys.length = 0;
    this.keys.push(...[...this.entries.keys()].sort(compareUtf8));
  }

  values(): IterableIterator<T> {
    return this.entries.values();
  }

  /** First index whose key is >= `target`. */
  private lowerBound(target: string): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareUtf8(this.keys[mid] ?? '', target) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index after `from` whose key does not start with `prefix` (keys with it are contiguous). */
  private endOfPrefix(prefix: string, from: number): number {
    let lo = from;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.keys[mid] ?? '').startsWith(prefix)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  list(query: ListQuery): ListPage<T> {
    const { prefix, delimiter, after, maxKeys } = query;
    const contents: T[] = [];
    const commonPrefixes: string[] = [];
    let last: string | undefined;
    let i = this.lowerBound(prefix);
    if (after !== undefined && compareUtf8(after, prefix) >= 0) {
      i = this.lowerBound(after);
      if (this.keys[i] === after) i++;
    }
    let count = 0;
    while (i < this.keys.length) {
      const key = this.keys[i] ?? '';
      if (!key.startsWith(prefix)) break;
      const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
      if (delimiter && cut !== -1) {
        const common = key.slice(0, cut + delimiter.length);
        const next = this.endOfPrefix(common, i);
        // A common prefix at or before the marker was already returned on an earlier page.
        if (after !== undefined && compareUtf8(common, after) <= 0) {
          i = next;
          continue;
        }
        if (maxKeys === 0 || count === maxKeys) return { contents, commonPrefixes, isTruncated: maxKeys > 0, last };
        commonPrefixes.push(common);
        last = common;
        count++;
        i = next;
        continue;
      }
      if (maxKeys === 0 || count === maxKeys) return { contents, commonPrefixes, isTruncated: maxKeys > 0, last };
      contents.push(this.entries.get(key) as T);
      last = key;
      count++;
      i++;
    }
    return { contents, commonPrefixes, isTruncated: false, last };
  }
}
