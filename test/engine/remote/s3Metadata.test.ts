/**
 * The metadata encodings (rclone-compatible md5chksum and mtime), ETag
 * quoting, copy-source encoding and the part-size rule for huge files
 * (SCENARIOS 45: at most 10,000 parts).
 */
import { describe, expect, it } from 'vitest';
import {
  choosePartSize, copySource, decodeListedKey, formatMtime, MAX_PARTS, md5Base64ToHex, md5HexToBase64, parseMtime,
  quoteEtag, readMetadata, uploadMetadata,
} from '../../../src/engine/remote/s3Metadata.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe('md5chksum', () => {
  it('round-trips a hex MD5 through rclone\'s base64 form', () => {
    expect(md5HexToBase64('d41d8cd98f00b204e9800998ecf8427e')).toBe('1B2M2Y8AsgTpgAmY7PhCfg==');
    expect(md5Base64ToHex('1B2M2Y8AsgTpgAmY7PhCfg==')).toBe('d41d8cd98f00b204e9800998ecf8427e');
  });

  it('ignores values that are not a 16-byte base64 digest', () => {
    expect(md5Base64ToHex('d41d8cd98f00b204e9800998ecf8427e')).toBeUndefined();
    expect(md5Base64ToHex('')).toBeUndefined();
    expect(md5Base64ToHex(undefined)).toBeUndefined();
  });
});

describe('mtime', () => {
  it('writes seconds with nine fraction digits, as rclone does, and reads them back in ms', () => {
    expect(formatMtime(1_700_000_000_123.456)).toBe('1700000000.123456000');
    expect(parseMtime('1700000000.123456789')).toBeCloseTo(1_700_000_000_123.4568, 3);
    expect(parseMtime('1700000000')).toBe(1_700_000_000_000);
  });

  it('omits mtimes it cannot represent and ignores unparsable ones (SCENARIOS 25)', () => {
    expect(formatMtime(-1)).toBeUndefined();
    expect(formatMtime(Number.NaN)).toBeUndefined();
    expect(uploadMetadata('d41d8cd98f00b204e9800998ecf8427e', -5)).toEqual({ md5chksum: '1B2M2Y8AsgTpgAmY7PhCfg==' });
    expect(parseMtime('yesterday')).toBeUndefined();
    expect(readMetadata({ mtime: '-3', md5chksum: 'nope' })).toEqual({});
  });
});

describe('ETags and keys', () => {
  it('quotes ETags once', () => {
    expect(quoteEtag('abc')).toBe('"abc"');
    expect(quoteEtag('"abc"')).toBe('"abc"');
  });

  it('percent-encodes each copy-source segment, keeping the slashes', () => {
    expect(copySource('stratus', 'us-east-1:abc/a b/ü+%.txt')).toBe('stratus/us-east-1%3Aabc/a%20b/%C3%BC%2B%25.txt');
  });

  it('decodes url-encoded listing keys only when the server says it encoded them', () => {
    expect(decodeListedKey('a+b%01c/d', 'url')).toBe('a b\u0001c/d');
    expect(decodeListedKey('a+b%01c/d', undefined)).toBe('a+b%01c/d');
  });
});

describe('choosePartSize', () => {
  it('keeps the preferred size when it needs no more than 10,000 parts', () => {
    expect(choosePartSize(20 * MiB, 8 * MiB)).toBe(8 * MiB);
    expect(choosePartSize(70 * GiB, 8 * MiB)).toBe(8 * MiB);
  });

  it('grows the part size to whole MiB for files beyond 10,000 × the preferred size', () => {
    for (const size of [100 * GiB, 5 * GiB + 1, 1024 * GiB, 4.9 * 1024 * GiB]) {
      const part = choosePartSize(size, 8 * MiB);
      expect(part % MiB).toBe(0);
      expect(Math.ceil(size / part)).toBeLessThanOrEqual(MAX_PARTS);
    }
    expect(choosePartSize(100 * GiB, 8 * MiB)).toBe(11 * MiB);
  });

  it('never goes below S3\'s 5 MiB minimum', () => {
    expect(choosePartSize(10 * MiB, 1 * MiB)).toBe(5 * MiB);
  });
});
