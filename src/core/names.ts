/**
 * Reversible encoding between S3 key segments and local file names.
 *
 * S3 keys may hold names no local file system accepts (`a:b` on Windows, `..`,
 * control characters). Such characters are replaced by look-alike Unicode
 * substitutes, as rclone and OneDrive do, so the user still recognises the name;
 * a substitute character that really occurs in a key is quoted with U+201B (‛)
 * so decoding is exact. Guarantees, fuzzed in test/core/names.test.ts:
 *   - decodeName(encodeName(s)) === s for every non-empty segment s;
 *   - a local name is synced only if it is canonical, i.e.
 *     encodeName(decodeName(n)) === n. A non-canonical name (only possible with
 *     a stray ‛ before a substitute) is reported, never silently renamed.
 * Which characters are substituted depends on the local OS: on Linux a `:` is an
 * ordinary character; on Windows it is not.
 */

export type LocalOs = 'linux' | 'darwin' | 'windows';

/** U+201B SINGLE HIGH-REVERSED-9 QUOTATION MARK: quotes a literal substitute. */
export const QUOTE = '\u201B';
const FULLWIDTH_DOT = '\uFF0E';
/** A trailing space on Windows becomes U+2420 SYMBOL FOR SPACE. */
const SPACE_SYMBOL = '\u2420';

/** Windows-invalid printable characters and their full-width look-alikes. */
const WINDOWS_SUBSTITUTES: ReadonlyMap<string, string> = new Map([
  ['<', '\uFF1C'],
  ['>', '\uFF1E'],
  [':', '\uFF1A'],
  ['"', '\uFF02'],
  ['|', '\uFF5C'],
  ['?', '\uFF1F'],
  ['*', '\uFF0A'],
  ['\\', '\uFF3C'],
]);
const WINDOWS_ORIGINALS: ReadonlyMap<string, string> = new Map(
  [...WINDOWS_SUBSTITUTES].map(([plain, sub]) => [sub, plain]),
);
/** Device names Windows reserves, with or without an extension (`CON`, `nul.txt`). */
const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9\u00B9\u00B2\u00B3]|LPT[0-9\u00B9\u00B2\u00B3])(\..*)?$/i;

function isControl(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return ch.length === 1 && (code <= 0x1f || code === 0x7f);
}
/** Control characters map into the Unicode "Control Pictures" block. */
function toControlPicture(ch: string): string {
  const code = ch.charCodeAt(0);
  return String.fromCharCode(code === 0x7f ? 0x2421 : 0x2400 + code);
}
function isControlPicture(ch: string): boolean {
  const code = ch.charCodeAt(0);
  return ch.length === 1 && code >= 0x2400 && code <= 0x2421;
}
function fromControlPicture(ch: string): string {
  const code = ch.charCodeAt(0);
  return String.fromCharCode(code === 0x2421 ? 0x7f : code - 0x2400);
}
function isAsciiLetter(ch: string): boolean {
  return /^[A-Za-z]$/.test(ch);
}
function isFullwidthLetter(ch: string): boolean {
  return /^[\uFF21-\uFF3A\uFF41-\uFF5A]$/.test(ch);
}
/** `CON.txt` → `ＣON.txt`: only the first letter changes, so the name stays readable. */
function toFullwidth(ch: string): string {
  return String.fromCharCode(ch.charCodeAt(0) - 0x21 + 0xff01);
}
function fromFullwidth(ch: string): string {
  return String.fromCharCode(ch.charCodeAt(0) - 0xff01 + 0x21);
}

/** Characters a quote may precede: anything that can stand for something else. */
function isQuotable(ch: string, os: LocalOs): boolean {
  if (ch === QUOTE || ch === FULLWIDTH_DOT || isControlPicture(ch)) return true;
  return os === 'windows' && (WINDOWS_ORIGINALS.has(ch) || ch === SPACE_SYMBOL || isFullwidthLetter(ch));
}

/**
 * What an unquoted character of a local name stands for, by position, or
 * undefined when it stands for itself. `decodedRest` is needed only for the
 * first character (the reserved-device rule looks at the whole name).
 */
function substituteFor(ch: string, index: number, length: number, os: LocalOs, decodedRest: () => string): string | undefined {
  if (isControlPicture(ch)) return fromControlPicture(ch);
  if (os !== 'windows') return undefined;
  const original = WINDOWS_ORIGINALS.get(ch);
  if (original !== undefined) return original;
  const last = index === length - 1;
  if (last && ch === SPACE_SYMBOL) return ' ';
  if (last && ch === FULLWIDTH_DOT) return '.';
  if (index === 0 && isFullwidthLetter(ch)) {
    const plain = fromFullwidth(ch);
    if (WINDOWS_RESERVED.test(plain + decodedRest())) return plain;
  }
  return undefined;
}

/**
 * Characters that can need encoding (or quoting) somewhere: a name without any
 * of them, and not ending in a dot or space, maps to itself on every OS except
 * for Windows device names. Most names take this fast path.
 */
const MAYBE_SPECIAL = /[\u0000-\u001F\u007F<>:"|?*\\\u201B\u2400-\u2421\uFF01-\uFF5E]|[. ]$|^\.\.?$/;

function isPlainName(name: string, os: LocalOs): boolean {
  return !MAYBE_SPECIAL.test(name) && (os !== 'windows' || !WINDOWS_RESERVED.test(name));
}

/** Encodes one S3 key segment (never empty, never containing `/`) as a local file name. */
export function encodeName(segment: string, os: LocalOs): string {
  if (isPlainName(segment, os)) return segment;
  if (segment === '.') return FULLWIDTH_DOT;
  if (segment === '..') return FULLWIDTH_DOT + FULLWIDTH_DOT;
  const chars = Array.from(segment);
  const last = chars.length - 1;
  const reserved = os === 'windows' && WINDOWS_RESERVED.test(segment);
  // One output token per input character; decided right to left because a
  // literal quote must itself be quoted when the next token starts with a quotable.
  const tokens: string[] = new Array<string>(chars.length);
  for (let i = last; i >= 0; i--) {
    const ch = chars[i] as string;
    const nextStartsQuotable = i < last && isQuotable(Array.from(tokens[i + 1] as string)[0] as string, os);
    if (isControl(ch)) tokens[i] = toControlPicture(ch);
    else if (os === 'windows' && WINDOWS_SUBSTITUTES.has(ch)) tokens[i] = WINDOWS_SUBSTITUTES.get(ch) as string;
    else if (os === 'windows' && i === last && ch === ' ') tokens[i] = SPACE_SYMBOL;
    else if (os === 'windows' && i === last && ch === '.') tokens[i] = FULLWIDTH_DOT;
    else if (reserved && i === 0 && isAsciiLetter(ch)) tokens[i] = toFullwidth(ch);
    else if (ch === QUOTE) tokens[i] = nextStartsQuotable ? QUOTE + QUOTE : QUOTE;
    else tokens[i] = ch;
  }
  const encoded = tokens.join('');
  // A literal character that the decoder would read as a substitute gets quoted.
  // Checked against the decoder itself so the two can never drift apart.
  return quoteAmbiguous(segment, chars, tokens, os, encoded);
}

function quoteAmbiguous(segment: string, chars: string[], tokens: string[], os: LocalOs, encoded: string): string {
  if (decodeName(encoded, os) === segment) return encoded;
  // Quote, left to right, each literal quotable character whose token is itself.
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    if (tokens[i] === ch && ch !== QUOTE && isQuotable(ch, os)) {
      tokens[i] = QUOTE + ch;
      const candidate = tokens.join('');
      if (decodeName(candidate, os) === segment) return candidate;
    }
  }
  return tokens.join('');
}

/** Decodes a local file name back into the S3 key segment it stands for. */
export function decodeName(name: string, os: LocalOs): string {
  if (isPlainName(name, os)) return name;
  if (name === FULLWIDTH_DOT) return '.';
  if (name === FULLWIDTH_DOT + FULLWIDTH_DOT) return '..';
  const chars = Array.from(name);
  const out: string[] = [];
  let firstUnquoted = false;
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i] as string;
    const next = chars[i + 1];
    if (ch === QUOTE && next !== undefined && isQuotable(next, os)) {
      out.push(next);
      i++;
      continue;
    }
    if (i === 0) {
      firstUnquoted = true;
      out.push(ch);
      continue;
    }
    out.push(substituteFor(ch, i, chars.length, os, () => '') ?? ch);
  }
  if (firstUnquoted) {
    const first = chars[0] as string;
    const rest = out.slice(1).join('');
    out[0] = substituteFor(first, 0, chars.length, os, () => rest) ?? first;
  }
  return out.join('');
}

/** A local name Stratus can sync: it decodes and re-encodes to itself. */
export function isCanonicalName(name: string, os: LocalOs): boolean {
  return encodeName(decodeName(name, os), os) === name;
}
