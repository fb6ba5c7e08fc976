/**
 * The fast reader of ListObjectsV2 `<Contents>` (listContents.ts): exact
 * values for the plain shape, and "not mine" (undefined, so the SDK reads the
 * page whole) for every shape it does not handle. Plus receiveToFile's
 * batched writes: every byte, in order, hashed, fsynced.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { receiveToFile } from '../../../src/engine/remote/fileStreams.js';
import { splitListContents } from '../../../src/engine/remote/listContents.js';

const head = '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated>';
const tail = '<NextContinuationToken>tok&amp;en</NextContinuationToken></ListBucketResult>';
const item = (key: string, size: string, etag: string, extra = ''): string =>
  `<Contents><Key>${key}</Key><LastModified>2024-01-01T00:00:00.000Z</LastModified><ETag>${etag}</ETag>${extra}<Size>${size}</Size><Owner><ID>o</ID><DisplayName>d</DisplayName></Owner><StorageClass>STANDARD</StorageClass></Contents>`;

describe('splitListContents', () => {
  it('reads key, size and ETag (entities decoded) and leaves the rest of the page intact', () => {
    const xml = `${head}${item('p/a%20b', '4096', '&quot;0123&quot;')}\n${item('p/c&amp;d&#x41;&#66;', '0', '&quot;x&quot;', '<ChecksumAlgorithm>CRC32</ChecksumAlgorithm>')}${tail}`;
    const split = splitListContents(xml);
    expect(split?.contents).toEqual([
      { key: 'p/a%20b', size: 4096, etag: '"0123"' },
      { key: 'p/c&dAB', size: 0, etag: '"x"' },
    ]);
    expect(split?.rest).toBe(`${head}\n${tail}`);
  });

  it('takes a page without objects as it is', () => {
    const xml = `${head}${tail}`;
    expect(splitListContents(xml)).toEqual({ contents: [], rest: xml });
  });

  it('gives an absent ETag as "" and an absent Size as 0, like the SDK path', () => {
    const xml = `${head}<Contents><Key>p/k</Key></Contents>${tail}`;
    expect(splitListContents(xml)?.contents).toEqual([{ key: 'p/k', size: 0, etag: '' }]);
  });

  it.each([
    ['CDATA', `${head}<Contents><Key><![CDATA[p/k]]></Key><Size>1</Size></Contents>${tail}`],
    ['a comment', `${head}<!-- x --><Contents><Key>p/k</Key></Contents>${tail}`],
    ['a carriage return', `${head}<Contents><Key>p/k\r</Key></Contents>${tail}`],
    ['attributes on Contents', `${head}<Contents a="1"><Key>p/k</Key></Contents>${tail}`],
    ['an empty-element Key', `${head}<Contents><Key/></Contents>${tail}`],
    ['no Key', `${head}<Contents><Size>1</Size></Contents>${tail}`],
    ['two Keys', `${head}<Contents><Key>p/a</Key><Key>p/b</Key></Contents>${tail}`],
    ['an unknown entity', `${head}<Contents><Key>p/&nbsp;</Key></Contents>${tail}`],
    ['a bare ampersand', `${head}<Contents><Key>p/a&b</Key></Contents>${tail}`],
    ['a surrogate reference', `${head}<Contents><Key>p/&#xD800;</Key></Contents>${tail}`],
    ['a non-numeric Size', `${head}<Contents><Key>p/k</Key><Size>-1</Size></Contents>${tail}`],
    ['an unclosed Contents', `${head}<Contents><Key>p/k</Key>${tail}`],
    ['a nested element in Key', `${head}<Contents><Key>p/<b>k</b></Key></Contents>${tail}`],
  ])('leaves a page with %s to the SDK', (_what, xml) => {
    expect(splitListContents(xml)).toBeUndefined();
  });
});

describe('receiveToFile', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('writes every chunk in order and returns the count and MD5 of what it wrote', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-receive-'));
    const chunks = Array.from({ length: 700 }, (_, i) => Buffer.alloc(17_000 + (i % 7) * 1000, i % 251));
    const expected = Buffer.concat(chunks);
    const file = await open(join(dir, 'out'), 'wx', 0o600);
    let progress = 0;
    const result = await receiveToFile(Readable.from(chunks), file, { onBytes: (n) => { progress = n; } });
    await file.close();
    expect(result).toEqual({ bytes: expected.length, md5: createHash('md5').update(expected).digest('hex') });
    expect(progress).toBe(expected.length);
    expect((await readFile(join(dir, 'out'))).equals(expected)).toBe(true);
  });

  it('fails with the body\'s error, with no write left running', async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-receive-'));
    const file = await open(join(dir, 'out'), 'wx', 0o600);
    const body = new Readable({ read() { /* pushed below */ } });
    body.push(Buffer.alloc(3 * 1024 * 1024, 1));
    const received = receiveToFile(body, file, {});
    setImmediate(() => body.destroy(new Error('connection reset')));
    await expect(received).rejects.toThrow('connection reset');
    await file.close();
  });
});
