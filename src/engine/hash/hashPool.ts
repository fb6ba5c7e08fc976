/**
 * hashPool: MD5, SHA-256 and CRC32 of large buffers on worker threads, so the
 * hashing of a transfer runs on the other core while the main thread reads,
 * sends and receives (issue 4, scenario (b): a 512 MiB file up and down was
 * bound by single-threaded hashing on the main thread).
 *
 *  - digest(data, algorithms): every digest asked for, in one pass of one
 *    worker over the bytes (e.g. a part's Content-MD5, its SigV4 payload
 *    SHA-256 and its CRC32).
 *  - stream(): one running MD5 fed in order (a whole file, a download), pinned
 *    to one worker so the updates are hashed in the order they were given.
 *
 * The bytes travel without a copy when they live in a SharedArrayBuffer
 * (`sharedBuffer`): the caller must not change them until the returned promise
 * settles. Any other buffer is copied once into shared memory first.
 *
 * The worker's code is the function `workerMain` below, started with
 * `eval: true` from its own source text, so there is no worker file to find:
 * it runs the same from out/tsc (CLI, tests) and inside the electron-vite
 * bundle of the engine process. It may therefore use nothing from outside its
 * own body (it loads node:crypto and node:zlib with process.getBuiltinModule).
 *
 * Where a worker cannot be started (or dies), the hashes are computed on the
 * calling thread instead: slower, never wrong. Workers are unreferenced while
 * idle, so an idle pool never keeps the process alive.
 */
import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { crc32 } from 'node:zlib';

export type HashAlgorithm = 'md5' | 'sha256' | 'crc32';

export interface Digests {
  readonly md5?: Buffer;
  readonly sha256?: Buffer;
  /** Unsigned CRC32 (zlib's, the one S3 calls CRC32). */
  readonly crc32?: number;
}

/** A running hash fed in order; `digest` ends it. */
export interface HashStream {
  /** Resolves once the worker has hashed `data` (until then `data` must not change). */
  update(data: Uint8Array): Promise<void>;
  /** Resolves with the digest of everything given to `update`, in the order given. */
  digest(): Promise<Buffer>;
  /** Forgets the stream (after a failure); pending updates still settle. */
  drop(): void;
}

/** A Buffer over a SharedArrayBuffer of `size` bytes: the pool's workers read it without a copy. */
export function sharedBuffer(size: number): Buffer {
  return Buffer.from(new SharedArrayBuffer(size));
}

function isShared(data: Uint8Array): boolean {
  return data.buffer instanceof SharedArrayBuffer;
}

// ── the worker ────────────────────────────────────────────────────────────────

type Request =
  | { readonly id: number; readonly op: 'digest'; readonly data: Uint8Array; readonly algorithms: readonly HashAlgorithm[] }
  | { readonly id: number; readonly op: 'update'; readonly stream: number; readonly data: Uint8Array }
  | { readonly id: number; readonly op: 'final'; readonly stream: number }
  | { readonly id: number; readonly op: 'drop'; readonly stream: number };

type Reply =
  | { readonly id: number; readonly ok: true; readonly md5?: Uint8Array; readonly sha256?: Uint8Array; readonly crc32?: number }
  | { readonly id: number; readonly ok: false; readonly error: string };

/**
 * The worker's whole program (see the header: self-contained on purpose).
 * Shared memory arrives as a Uint8Array over the caller's SharedArrayBuffer.
 */
function workerMain(): void {
  const { parentPort } = process.getBuiltinModule('node:worker_threads');
  const crypto = process.getBuiltinModule('node:crypto');
  const zlib = process.getBuiltinModule('node:zlib');
  if (parentPort === null) return;
  const port = parentPort;
  const streams = new Map<number, ReturnType<typeof crypto.createHash>>();
  port.on('message', (message: Request) => {
    try {
      switch (message.op) {
        case 'digest': {
          const out: { id: number; ok: true; md5?: Uint8Array; sha256?: Uint8Array; crc32?: number } = { id: message.id, ok: true };
          for (const algorithm of message.algorithms) {
            if (algorithm === 'crc32') out.crc32 = zlib.crc32(message.data);
            else out[algorithm] = crypto.createHash(algorithm).update(message.data).digest();
          }
          port.postMessage(out);
          return;
        }
        case 'update': {
          let hash = streams.get(message.stream);
          if (hash === undefined) {
            hash = crypto.createHash('md5');
            streams.set(message.stream, hash);
          }
          hash.update(message.data);
          port.postMessage({ id: message.id, ok: true });
          return;
        }
        case 'final': {
          const hash = streams.get(message.stream) ?? crypto.createHash('md5');
          streams.delete(message.stream);
          port.postMessage({ id: message.id, ok: true, md5: hash.digest() });
          return;
        }
        case 'drop':
          streams.delete(message.stream);
          port.postMessage({ id: message.id, ok: true });
          return;
      }
    } catch (err) {
      port.postMessage({ id: message.id, ok: false, error: err instanceof Error ? err.message : String(err) });
    }
  });
}

const WORKER_SOURCE = `(${workerMain.toString()})();`;

// ── the pool ──────────────────────────────────────────────────────────────────

interface Pending {
  /** Undefined: no worker can run here, the caller computes the answer itself. */
  readonly resolve: (reply: (Reply & { ok: true }) | undefined) => void;
  readonly reject: (error: Error) => void;
}

/** One worker and the requests it has not answered yet. */
class Lane {
  constructor(private readonly source: string) {}

  private worker: Worker | undefined;
  private broken = false;
  /** Whether a worker of this lane ever answered: one that dies before its first answer cannot run here at all. */
  private answered = false;
  readonly pending = new Map<number, Pending>();

  /** Undefined when no worker can run here: the caller hashes on its own thread. */
  private ensure(): Worker | undefined {
    if (this.worker !== undefined || this.broken) return this.worker;
    try {
      const worker = new Worker(this.source, { eval: true, name: 'stratus-hash' });
      worker.unref();
      worker.on('message', (reply: Reply) => this.answer(reply));
      worker.on('error', (err: Error) => this.fail(err));
      worker.on('exit', (code) => this.fail(new Error(`hash worker exited with code ${code}`)));
      this.worker = worker;
    } catch {
      this.broken = true;
    }
    return this.worker;
  }

  /** False when this lane has no worker (the caller then computes the answer itself). */
  send(request: Request, pending: Pending): boolean {
    const worker = this.ensure();
    if (worker === undefined) return false;
    if (this.pending.size === 0) worker.ref();
    this.pending.set(request.id, pending);
    worker.postMessage(request);
    return true;
  }

  private answer(reply: Reply): void {
    this.answered = true;
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) pending.resolve(reply);
    else pending.reject(new Error(`hashing failed: ${reply.error}`));
  }

  /**
   * The worker died: every request in flight fails (its stream state is lost); the next
   * request starts a new one. A worker that died before its first answer cannot start here
   * (e.g. a runtime without process.getBuiltinModule): the lane is given up, and its requests
   * are answered "no worker", so the caller hashes on its own thread.
   */
  private fail(err: Error): void {
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) {
      worker.removeAllListeners();
      void worker.terminate().catch(() => undefined);
    }
    const pending = [...this.pending.values()];
    this.pending.clear();
    if (!this.answered) {
      this.broken = true;
      for (const p of pending) p.resolve(undefined);
      return;
    }
    for (const p of pending) p.reject(err);
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.broken = true;
    if (worker !== undefined) {
      worker.removeAllListeners();
      await worker.terminate();
    }
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new Error('the hash pool was closed'));
  }
}

function toBuffer(data: Uint8Array | undefined): Buffer | undefined {
  return data === undefined ? undefined : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Computes on the calling thread what a worker would have: the fallback. */
function digestHere(data: Uint8Array, algorithms: readonly HashAlgorithm[]): Digests {
  const out: { md5?: Buffer; sha256?: Buffer; crc32?: number } = {};
  for (const algorithm of algorithms) {
    if (algorithm === 'crc32') out.crc32 = crc32(data);
    else out[algorithm] = createHash(algorithm).update(data).digest();
  }
  return out;
}

export class HashPool {
  private readonly lanes: Lane[];
  private nextId = 1;
  private nextStream = 1;

  /**
   * @param size worker threads. @default 2, or fewer on a machine with fewer cores
   * @param workerSource the workers' program (tests: one that cannot start). @default workerMain's
   */
  constructor(size = Math.max(1, Math.min(2, availableParallelism())), workerSource = WORKER_SOURCE) {
    this.lanes = Array.from({ length: Math.max(1, size) }, () => new Lane(workerSource));
  }

  /** The lane with the fewest requests in flight (first among equals). */
  private idlest(): Lane {
    let best = this.lanes[0] as Lane;
    for (const lane of this.lanes) if (lane.pending.size < best.pending.size) best = lane;
    return best;
  }

  private request(lane: Lane, make: (id: number) => Request): Promise<(Reply & { ok: true }) | undefined> {
    return new Promise((resolve, reject) => {
      const id = this.nextId++;
      if (!lane.send(make(id), { resolve, reject })) resolve(undefined);
    });
  }

  /** The digests of `data` named by `algorithms`, computed in one pass on a worker. */
  async digest(data: Uint8Array, algorithms: readonly HashAlgorithm[]): Promise<Digests> {
    // Nothing asked (a part whose only hash, its MD5, is already known): no copy, no round trip.
    if (algorithms.length === 0) return {};
    const shared = isShared(data) ? data : copyToShared(data);
    const reply = await this.request(this.idlest(), (id) => ({ id, op: 'digest', data: shared, algorithms }));
    if (reply === undefined) return digestHere(data, algorithms);
    const md5 = toBuffer(reply.md5);
    const sha256 = toBuffer(reply.sha256);
    return {
      ...(md5 === undefined ? {} : { md5 }),
      ...(sha256 === undefined ? {} : { sha256 }),
      ...(reply.crc32 === undefined ? {} : { crc32: reply.crc32 }),
    };
  }

  /** A running MD5 on one worker (the one with the least to do now). */
  md5Stream(): HashStream {
    const lane = this.idlest();
    const stream = this.nextStream++;
    // Set when no worker could take the stream: the whole stream is then hashed here, in update order.
    let local: ReturnType<typeof createHash> | undefined;
    /** Whether a worker holds part of the stream: then it cannot continue here. */
    let onWorker = false;
    let started = false;
    let ended = false;
    return {
      update: async (data) => {
        if (ended) throw new Error('update after digest');
        if (local !== undefined) {
          local.update(data);
          return;
        }
        const shared = isShared(data) ? data : copyToShared(data);
        started = true;
        const reply = await this.request(lane, (id) => ({ id, op: 'update', stream, data: shared }));
        if (reply !== undefined) {
          onWorker = true;
          return;
        }
        // No worker (never started here): the answers come in the order the updates were given.
        if (onWorker) throw new Error('the hash worker went away during a stream');
        local ??= createHash('md5');
        local.update(data);
      },
      digest: async () => {
        ended = true;
        if (local !== undefined) return local.digest();
        const reply = await this.request(lane, (id) => ({ id, op: 'final', stream }));
        if (reply === undefined) return createHash('md5').digest();
        return toBuffer(reply.md5) ?? Buffer.alloc(0);
      },
      drop: () => {
        if (ended) return;
        ended = true;
        if (local !== undefined || !started) return;
        void this.request(lane, (id) => ({ id, op: 'drop', stream })).catch(() => undefined);
      },
    };
  }

  /** Stops the workers; requests in flight fail. The pool is not usable afterwards (it hashes in place). */
  async close(): Promise<void> {
    await Promise.all(this.lanes.map((lane) => lane.close()));
  }
}

function copyToShared(data: Uint8Array): Buffer {
  const shared = sharedBuffer(data.byteLength);
  shared.set(data);
  return shared;
}

/**
 * A HashStream computed on the calling thread: for small inputs, where a
 * worker's round trip and a shared buffer would cost more than the hash.
 */
export function inlineMd5Stream(): HashStream {
  const hash = createHash('md5');
  let ended = false;
  return {
    update: (data) => {
      if (ended) return Promise.reject(new Error('update after digest'));
      hash.update(data);
      return Promise.resolve();
    },
    digest: () => {
      ended = true;
      return Promise.resolve(hash.digest());
    },
    drop: () => {
      ended = true;
    },
  };
}

let defaultPool: HashPool | undefined;

/** The process-wide pool transfers share (created on first use; idle workers do not keep the process alive). */
export function hashPool(): HashPool {
  defaultPool ??= new HashPool();
  return defaultPool;
}

/**
 * A fixed set of equal-sized shared buffers, handed out one at a time: the
 * buffers of the parts (or download batches) in flight, reused instead of
 * allocated per part (an 8 MiB Buffer per part made the collector run often).
 */
export class SharedBufferPool {
  private readonly free: Buffer[] = [];
  private readonly waiting: ((buffer: Buffer) => void)[] = [];
  private created = 0;

  /** @param shared false: ordinary buffers, for bytes hashed on the calling thread (no zero-filled shared memory). */
  constructor(readonly bufferSize: number, private readonly count: number, private readonly shared = true) {}

  /** A free buffer, waiting for one to be given back when all `count` are out. */
  take(): Promise<Buffer> {
    const buffer = this.tryTake();
    return buffer !== undefined ? Promise.resolve(buffer) : new Promise((resolve) => this.waiting.push(resolve));
  }

  /** A free buffer now, or undefined while all `count` are out. */
  tryTake(): Buffer | undefined {
    const buffer = this.free.pop();
    if (buffer !== undefined || this.created >= this.count) return buffer;
    this.created += 1;
    return this.shared ? sharedBuffer(this.bufferSize) : Buffer.allocUnsafe(this.bufferSize);
  }

  give(buffer: Buffer): void {
    const next = this.waiting.shift();
    if (next !== undefined) next(buffer);
    else this.free.push(buffer);
  }
}
