/**
 * AwsChunkedDecoder: turns an `aws-chunked` request body back into the object's
 * bytes. Two variants reach the sandbox:
 *  - `STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]` (aws cli/rclone style signed
 *    streaming): every chunk carries `;chunk-signature=` chained from the seed
 *    signature, and each one is verified here;
 *  - `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (AWS SDK v3 default for streamed bodies
 *    with flexible checksums): plain chunks followed by trailers such as
 *    `x-amz-checksum-crc32`.
 * Data is yielded as it arrives (bounded memory); a bad signature surfaces as an
 * error before the stream ends, so callers must only commit after full consumption.
 * Trailers are reported through `trailers` once the generator finishes.
 */
import { createHash, type Hash } from 'node:crypto';
import { s3Error } from './S3Error.js';
import { chunkSignature, EMPTY_SHA256, signaturesEqual, trailerSignature, type ChunkSigningContext } from './SigV4Verifier.js';

export interface AwsChunkedOptions {
  /** Present for signed variants: every chunk signature is checked. */
  readonly signing?: ChunkSigningContext;
  /** Whether trailing headers follow the final zero-length chunk. */
  readonly hasTrailer: boolean;
}

/** A header line longer than this cannot be legitimate and is refused rather than buffered. */
const MAX_LINE = 16 * 1024;
const CRLF = Buffer.from('\r\n');

type State = 'size' | 'data' | 'data-crlf' | 'final-crlf' | 'trailer' | 'done';

const malformed = (why: string) => s3Error('InvalidRequest', `Malformed aws-chunked body: ${why}`);

export async function* decodeAwsChunked(
  source: AsyncIterable<Buffer>,
  options: AwsChunkedOptions,
  trailers: Map<string, string>,
): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  let state = 'size' as State;
  let remaining = 0;
  let expectedSignature = '';
  let previousSignature = options.signing?.seedSignature ?? '';
  let chunkHash: Hash | undefined;
  const trailerLines: string[] = [];

  const takeLine = (): string | undefined => {
    const end = pending.indexOf(CRLF);
    if (end === -1) {
      if (pending.length > MAX_LINE) throw malformed('line too long');
      return undefined;
    }
    const line = pending.subarray(0, end).toString('latin1');
    pending = pending.subarray(end + 2);
    return line;
  };

  const verifyChunk = (dataHash: string): void => {
    if (!options.signing) return;
    const expected = chunkSignature(options.signing, previousSignature, dataHash);
    if (!signaturesEqual(expected, expectedSignature)) {
      throw s3Error('SignatureDoesNotMatch', 'The chunk signature we calculated does not match the signature you provided.');
    }
    previousSignature = expected;
  };

  const finishTrailers = (): void => {
    const canonical: string[] = [];
    let signature: string | undefined;
    for (const line of trailerLines) {
      const colon = line.indexOf(':');
      if (colon <= 0) throw malformed('bad trailer');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'x-amz-trailer-signature') signature = value;
      else {
        trailers.set(name, value);
        canonical.push(`${name}:${value}\n`);
      }
    }
    if (options.signing && options.hasTrailer) {
      if (signature === undefined) throw s3Error('SignatureDoesNotMatch', 'Missing trailer signature.');
      const expected = trailerSignature(options.signing, previousSignature, canonical.join(''));
      if (!signaturesEqual(expected, signature)) {
        throw s3Error('SignatureDoesNotMatch', 'The trailer signature we calculated does not match the signature you provided.');
      }
    }
  };

  const step = function* (): Generator<Buffer, boolean> {
    // Returns true when more input is needed.
    for (;;) {
      switch (state) {
        case 'size': {
          const line = takeLine();
          if (line === undefined) return true;
          const [sizeText = '', ...extensions] = line.split(';');
          if (!/^[0-9a-fA-F]{1,16}$/.test(sizeText.trim())) throw malformed('bad chunk size');
          remaining = parseInt(sizeText.trim(), 16);
          expectedSignature = '';
          for (const ext of extensions) {
            const eq = ext.indexOf('=');
            if (eq !== -1 && ext.slice(0, eq).trim() === 'chunk-signature') expectedSignature = ext.slice(eq + 1).trim();
          }
          if (options.signing && expectedSignature === '') throw s3Error('SignatureDoesNotMatch', 'Missing chunk signature.');
          if (remaining === 0) {
            verifyChunk(EMPTY_SHA256);
            state = options.hasTrailer ? 'trailer' : 'final-crlf';
          } else {
            chunkHash = options.signing ? createHash('sha256') : undefined;
            state = 'data';
          }
          break;
        }
        case 'data': {
          if (pending.length === 0) return true;
          const take = Math.min(remaining, pending.length);
          const piece = pending.subarray(0, take);
          pending = pending.subarray(take);
          remaining -= take;
          chunkHash?.update(piece);
          yield piece;
          if (remaining === 0) {
            verifyChunk(chunkHash ? chunkHash.digest('hex') : '');
            state = 'data-crlf';
          }
          break;
        }
        case 'data-crlf':
        case 'final-crlf': {
          if (pending.length < 2) return true;
          if (pending[0] !== 0x0d || pending[1] !== 0x0a) throw malformed('missing CRLF after chunk');
          pending = pending.subarray(2);
          state = state === 'data-crlf' ? 'size' : 'done';
          break;
        }
        case 'trailer': {
          const line = takeLine();
          if (line === undefined) return true;
          if (line === '') {
            finishTrailers();
            state = 'done';
          } else trailerLines.push(line);
          break;
        }
        case 'done': {
          if (pending.toString('latin1').trim() !== '') throw malformed('data after final chunk');
          pending = Buffer.alloc(0);
          return true;
        }
      }
    }
  };

  for await (const piece of source) {
    pending = pending.length === 0 ? piece : Buffer.concat([pending, piece]);
    yield* step();
  }
  // Some clients end the body right after the last trailer line without the blank line.
  if (state === 'trailer') {
    if (pending.length > 0) trailerLines.push(pending.toString('latin1'));
    finishTrailers();
    state = 'done';
  }
  if (state === 'final-crlf') state = 'done';
  if (state !== 'done') throw s3Error('IncompleteBody');
}
