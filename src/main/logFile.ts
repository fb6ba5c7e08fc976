/**
 * The app's log file: JSON lines (already redacted by the engine's logger)
 * appended to `<logs>/stratus.log`, where "Open logs folder" leads. Rotated
 * at start: a file over `maxBytes` becomes `stratus.1.log` (the previous
 * `.1` is dropped), so the folder never holds more than about twice that.
 * Lines are also copied to stderr for `npm start`. Plain Node.
 */
import { createWriteStream, mkdirSync, renameSync, rmSync, statSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Disposable } from '../core/Emitter.js';

export interface LogFile extends Disposable {
  readonly path: string;
  write(line: string): void;
}

/** @param maxBytes rotate when the file is larger than this at start. @default 10 MiB */
export function openLogFile(dir: string, options: { readonly maxBytes?: number; readonly echo?: (line: string) => void } = {}): LogFile {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'stratus.log');
  const size = (() => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  })();
  if (size > (options.maxBytes ?? 10 * 1024 * 1024)) {
    rmSync(join(dir, 'stratus.1.log'), { force: true });
    renameSync(path, join(dir, 'stratus.1.log'));
  }
  let stream: WriteStream | undefined = createWriteStream(path, { flags: 'a', mode: 0o600 });
  // A full disk or a removed folder must not take the app down: logging just stops.
  stream.on('error', () => {
    stream = undefined;
  });
  return {
    path,
    write: (line) => {
      options.echo?.(line);
      stream?.write(`${line}\n`);
    },
    dispose: () => {
      stream?.end();
      stream = undefined;
    },
  };
}
