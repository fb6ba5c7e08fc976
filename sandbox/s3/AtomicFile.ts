/**
 * AtomicFile: the sandbox's only ways of putting bytes on disk durably — a temp
 * file in the destination's own directory (so rename never crosses a file
 * system), fsync, then rename over the final name. A crash leaves either the old
 * file or the new one, plus at worst a `.tmp-*` file that start-up sweeps away.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export const TEMP_PREFIX = '.tmp-';

export function tempPathIn(directory: string): string {
  return join(directory, `${TEMP_PREFIX}${randomBytes(12).toString('hex')}`);
}

/** A temp file being filled; `commitTo` makes it durable and visible under its final name. */
export class TempFile {
  private constructor(readonly path: string, private readonly handle: FileHandle) {}

  static async create(directory: string): Promise<TempFile> {
    const path = tempPathIn(directory);
    return new TempFile(path, await open(path, 'wx', 0o600));
  }

  async write(chunk: Buffer): Promise<void> {
    let offset = 0;
    while (offset < chunk.length) {
      const { bytesWritten } = await this.handle.write(chunk, offset);
      offset += bytesWritten;
    }
  }

  /** fsync and close; the file keeps its temp name until `renameTo`. */
  async seal(): Promise<void> {
    await this.handle.sync();
    await this.handle.close();
  }

  async renameTo(finalPath: string): Promise<void> {
    await rename(this.path, finalPath);
  }

  /** Best-effort cleanup after a failed upload. */
  async discard(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await rm(this.path, { force: true }).catch(() => undefined);
  }
}

/** Writes a small file (a JSON sidecar) atomically. */
export async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temp = await TempFile.create(dirname(path));
  try {
    await temp.write(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    await temp.seal();
    await temp.renameTo(path);
  } catch (err) {
    await temp.discard();
    throw err;
  }
}
