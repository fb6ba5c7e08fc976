/**
 * leanGet: the GetObject of a large file read straight from a TCP socket into
 * the download's write-and-hash batches (fileStreams.ts DownloadSink), on a
 * plain-http path-style endpoint (a NAS's MinIO or Ceph RGW on the LAN, the
 * sandbox).
 *
 * Why (issue 4, (b) down, 512 MiB on 2 cores): through node:http the client
 * spent ≈ 0.9–1.0 s of user CPU per 512 MiB receiving — the HTTP parser and a
 * fresh 64 KiB Buffer per socket read (which also made 29 full GCs per 512 MiB)
 * — then copied every byte once more into the shared batches the hash worker
 * reads. Read with `onread` into the batch itself, the same bytes cost
 * ≈ 0.05–0.07 s (measured side by side on the sandbox: 1.01 s against 0.06 s
 * of user CPU). node:http offers no way to give a response body's reads a
 * buffer, hence a socket and a small HTTP/1.1 response reader of our own.
 *
 * What is ours is only the happy path, as in leanPut.ts:
 *  - the request is the SDK's GetObject (same path encoding and SigV4
 *    signature, If-Match), with `connection: close`: one connection per large
 *    file, so no pooled socket is ever left in an unknown state;
 *  - only a `200` with a Content-Length and no Transfer-Encoding is read
 *    here. Anything else before the body starts — another status, a refused
 *    connection, a timeout, headers we do not read — returns `undefined`
 *    having written nothing, and the caller sends the GetObject through the
 *    SDK, whose retries and error mapping (s3Errors.ts) then decide. After
 *    LEAN_GIVE_UP_AFTER such fallbacks in a row that the SDK got through, the
 *    lean path is given up for this client.
 *  - once the body has started, a failure (reset, timeout, short body) is the
 *    download's failure, as a body stream's would be from the SDK: the caller
 *    removes the temp file and the engine retries the item.
 * Not taken: https endpoints (a TLS socket takes no `onread` buffer), a
 * configured proxy, AWS's virtual-hosted endpoints — the SDK serves those.
 */
import { connect, type Socket } from 'node:net';
import { DownloadSink, type ReceiveResult } from './fileStreams.js';
import { LeanFallbacks, type LeanPut, type LeanTarget } from './leanPut.js';
import type { FileHandle } from 'node:fs/promises';
import type { DownloadAnswer } from './s3Transfers.js';

/** The fields of a GetObject answer the download checks and records (the SDK's names), from the headers. */
export interface LeanGetOutput extends DownloadAnswer {
  readonly ContentLength: number;
  readonly Metadata: Record<string, string>;
}

export interface LeanGetRequest {
  readonly key: string;
  /** Sent as If-Match (quoted as the server expects it). */
  readonly ifMatch?: string;
  readonly signal?: AbortSignal;
  readonly onBytes?: (bytes: number) => void;
  /** Whether a download bandwidth limit is set now; each read then waits on `pace` before the next. */
  readonly paced?: () => boolean;
  readonly pace?: (bytes: number, signal?: AbortSignal) => Promise<void>;
  /** 1 MiB batches out at most (DownloadSink's default 8); with fewer, reading pauses sooner for the disk and hash. */
  readonly batches?: number;
}

/** SHA-256 of an empty body: what the SDK signs for a GET. */
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
/** Room for the status line and headers of the answer (S3's are well under 4 KiB; more is not read here). */
const HEAD_MAX_BYTES = 16 * 1024;
/** The first socket read after a pause for a free batch goes into a buffer of this size (see readAnswer). */
const PARKING_BYTES = 64 * 1024;
/** Time allowed without any socket activity (connect, answer, body). */
const IDLE_TIMEOUT_MS = 30_000;

export class LeanGet {
  private readonly fallbacks = new LeanFallbacks();

  constructor(private readonly lean: LeanPut) {}

  /** True once the lean path was given up (see LEAN_GIVE_UP_AFTER in leanPut.ts). */
  get givenUp(): boolean {
    return this.fallbacks.givenUp;
  }

  /** The caller's report: a GetObject this path did not carry went through the SDK. */
  fallbackWorked(): void {
    this.fallbacks.worked();
  }

  /** The endpoint, when GetObjects can go this way. */
  private async target(): Promise<LeanTarget | undefined> {
    if (this.givenUp) return undefined;
    // A proxy (the agent's proxyEnv) must see every request; only the SDK's agent goes through it.
    const agentOptions = (this.lean.agents.httpAgent as { options?: { proxyEnv?: unknown } }).options;
    if (agentOptions?.proxyEnv !== undefined) return undefined;
    const target = await this.lean.resolveTarget();
    return target === undefined || target.https ? undefined : target;
  }

  /**
   * Downloads `request.key` into `file` (empty, owned by the caller). Resolves with the answer's
   * fields and what was written (MD5, bytes; fsynced); with undefined when this path is not taken
   * here, or 'fallback' when it was tried and did not carry the request — either way nothing was
   * written and the caller sends the GetObject through the SDK. Rejects once the body has started
   * (the download failed) and on abort.
   */
  async download(request: LeanGetRequest, file: FileHandle): Promise<Answer | undefined> {
    const target = await this.target();
    if (target === undefined) return undefined;
    request.signal?.throwIfAborted();
    let signed: { readonly path: string; readonly signedHeaders: Record<string, string> };
    try {
      const headers: Record<string, string> = { 'x-amz-content-sha256': EMPTY_SHA256, 'user-agent': 'stratus' };
      if (request.ifMatch !== undefined) headers['if-match'] = request.ifMatch;
      signed = await this.lean.sign(target, 'GET', request.key, headers);
    } catch {
      return 'fallback';
    }
    const answer = await readAnswer(target, signed.path, signed.signedHeaders, file, request);
    if (answer !== 'fallback') this.fallbacks.succeeded();
    return answer;
  }
}

/** The status, headers and the body bytes that came with them; undefined when they are not an answer read here. */
function parseHead(head: Buffer): { readonly status: number; readonly headers: Map<string, string>; readonly bodyStart: number } | undefined {
  const end = head.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = head.subarray(0, end).toString('latin1').split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(lines[0] ?? '');
  if (status === null) return undefined;
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    const name = line.slice(0, colon).trim().toLowerCase();
    // A repeated header is not one S3 sends for a GetObject; leave such an answer to the SDK.
    if (headers.has(name)) return undefined;
    headers.set(name, line.slice(colon + 1).trim());
  }
  return { status: Number(status[1]), headers, bodyStart: end + 4 };
}

/** The SDK's GetObject fields from the answer's headers; undefined when the body is not framed by a Content-Length. */
function outputOf(headers: Map<string, string>): LeanGetOutput | undefined {
  const length = headers.get('content-length');
  if (length === undefined || !/^\d{1,16}$/.test(length) || headers.has('transfer-encoding')) return undefined;
  const metadata: Record<string, string> = {};
  for (const [name, value] of headers) if (name.startsWith('x-amz-meta-')) metadata[name.slice('x-amz-meta-'.length)] = value;
  const etag = headers.get('etag');
  const sse = headers.get('x-amz-server-side-encryption');
  const ssec = headers.get('x-amz-server-side-encryption-customer-algorithm');
  return {
    ContentLength: Number(length),
    Metadata: metadata,
    ...(etag === undefined ? {} : { ETag: etag }),
    ...(sse === undefined ? {} : { ServerSideEncryption: sse }),
    ...(ssec === undefined ? {} : { SSECustomerAlgorithm: ssec }),
  };
}

function networkError(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** What readAnswer settles with. */
type Answer = { readonly out: LeanGetOutput; readonly received: ReceiveResult } | 'fallback';

/**
 * Sends the request on a new connection and reads the answer: the head into a small buffer, the
 * body straight into the sink's batches. Settles once: 'fallback' (nothing written: use the SDK),
 * the result, or the body's failure.
 *
 * Where each socket read goes is decided when the previous one is handed over (Node's `onread`
 * asks its `buffer` function then): the free part of the batch being filled, limited to what is
 * left of the body. When every batch is out (the disk or the hash worker is behind), the socket
 * is paused and the read after the resume goes into the parking buffer, whose bytes are then
 * copied into the batch that came free — a batch still being written or hashed is never read into.
 */
function readAnswer(target: LeanTarget, path: string, headers: Record<string, string>, file: FileHandle, request: LeanGetRequest): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const head = Buffer.allocUnsafe(HEAD_MAX_BYTES);
    let headFilled = 0;
    let sink: DownloadSink | undefined;
    let out: LeanGetOutput | undefined;
    /** The buffer the socket's next read goes into. */
    let readInto: Buffer = head;
    let parking: Buffer | undefined;
    /** Whether `readInto` is (part of) the parking buffer. */
    let parked = false;
    let settled = false;

    const finishWith = (outcome: 'fallback' | 'done' | Error): void => {
      if (settled) return;
      settled = true;
      request.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      const body = sink;
      if (body === undefined) {
        if (outcome instanceof Error && request.signal?.aborted === true) reject(outcome);
        else resolve('fallback');
      } else if (outcome === 'done') {
        body.finish().then((received) => resolve({ out: out as LeanGetOutput, received }), reject);
      } else {
        const error = outcome === 'fallback' ? networkError('The server closed the connection before the whole body arrived.', 'ECONNRESET') : outcome;
        body.abandon().then(() => reject(error), reject);
      }
    };

    /** Body bytes that are still to come. */
    const left = (): number => (out as LeanGetOutput).ContentLength - (sink as DownloadSink).bytes;

    /** Bytes that arrived outside a batch (with the head, or into the parking buffer): copied into the sink's free space. */
    const putCopy = (bytes: Buffer): void => {
      const body = sink as DownloadSink;
      let from = 0;
      while (from < bytes.length) {
        const space = body.space();
        // Cannot happen: such bytes come only into a fresh batch (see readAnswer); if it did, the download fails and is retried.
        if (space === undefined) throw new Error('no free batch for received bytes');
        const n = Math.min(bytes.length - from, space.length);
        bytes.copy(space, 0, from, from + n);
        body.commit(n);
        from += n;
      }
    };

    /** The next read's buffer; undefined while every batch is out (pause). */
    const nextBuffer = (): Buffer | undefined => {
      const space = (sink as DownloadSink).space();
      if (space === undefined) return undefined;
      const rest = left();
      return rest < space.length ? space.subarray(0, rest) : space;
    };

    const onAbort = (): void => finishWith(Object.assign(new Error('Download aborted.'), { name: 'AbortError' }));

    /** Paused: resumes once a batch is free and the bandwidth limit allows. */
    const waitThenResume = (pacedBytes: number): void => {
      const body = sink as DownloadSink;
      void (async () => {
        await body.ready();
        if (pacedBytes > 0 && request.pace !== undefined) await request.pace(pacedBytes, request.signal);
      })().then(() => {
        if (!settled) socket.resume();
      }, (err: unknown) => finishWith(err instanceof Error ? err : new Error(String(err))));
    };

    /** Handles one read; false pauses the socket. Sets `readInto` for the next one. */
    const onRead = (nread: number): boolean => {
      if (settled) return false;
      try {
        const before = sink?.bytes ?? 0;
        if (sink === undefined) {
          headFilled += nread;
          const parsed = parseHead(head.subarray(0, headFilled));
          if (parsed === undefined) {
            if (headFilled >= HEAD_MAX_BYTES) {
              finishWith('fallback');
              return false;
            }
            readInto = head.subarray(headFilled);
            return true;
          }
          out = parsed.status === 200 ? outputOf(parsed.headers) : undefined;
          if (out === undefined) {
            finishWith('fallback');
            return false;
          }
          sink = new DownloadSink(file, out.ContentLength, request.batches);
          putCopy(head.subarray(parsed.bodyStart, Math.min(headFilled, parsed.bodyStart + out.ContentLength)));
        } else {
          sink.throwIfFailed();
          if (parked) putCopy(readInto.subarray(0, nread));
          else sink.commit(nread);
        }
        request.onBytes?.(sink.bytes);
        if (left() === 0) {
          finishWith('done');
          return false;
        }
        const next = nextBuffer();
        const paced = request.paced?.() === true;
        parked = next === undefined;
        if (next !== undefined) {
          readInto = next;
          if (!paced) return true;
        } else {
          parking ??= Buffer.allocUnsafe(PARKING_BYTES);
          readInto = left() < parking.length ? parking.subarray(0, left()) : parking;
        }
        waitThenResume(paced ? sink.bytes - before : 0);
        return false;
      } catch (err) {
        finishWith(err instanceof Error ? err : new Error(String(err)));
        return false;
      }
    };

    const socket: Socket = connect({
      host: target.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: target.port ?? 80,
      onread: { buffer: () => readInto, callback: onRead },
    });
    request.signal?.addEventListener('abort', onAbort, { once: true });
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => finishWith(networkError(`No data from the server for ${IDLE_TIMEOUT_MS / 1000} s.`, 'ETIMEDOUT')));
    socket.on('error', (err) => finishWith(sink === undefined ? 'fallback' : err));
    // An end before the whole body: a short body (the 'done' case settled first otherwise).
    socket.on('end', () => finishWith('fallback'));
    socket.on('close', () => finishWith('fallback'));
    socket.on('connect', () => {
      const lines = Object.entries(headers).map(([name, value]) => `${name}: ${value}\r\n`).join('');
      socket.write(`GET ${path} HTTP/1.1\r\n${lines}connection: close\r\n\r\n`, 'latin1');
    });
  });
}
