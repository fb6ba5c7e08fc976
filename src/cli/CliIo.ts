/**
 * What a CLI command may touch of the outside world. src/cli/index.ts fills it
 * from the real process; tests pass their own, so runCli runs in-process with
 * a hermetic environment.
 */
import { createLoggerFactory, type LoggerFactory } from '../engine/logger.js';
import type { Env } from './config.js';

export interface CliIo {
  /** Receives one line (without the newline). */
  readonly stdout: (line: string) => void;
  readonly stderr: (line: string) => void;
  readonly version: string;
  /** Environment variables (STRATUS_*, AWS_*). @default {} — so a test never sees the developer's settings */
  readonly env?: Env;
  /** Relative paths are resolved against it. @default process.cwd() */
  readonly cwd?: string;
  /** Aborts a running sync (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** CliIo with its defaults applied, as commands receive it. */
export interface CommandIo extends CliIo {
  readonly env: Env;
  readonly cwd: string;
}

/** JSON log lines to stderr with --verbose (debug and up); otherwise no logs at all, only the CLI's own lines. */
export function cliLoggers(io: CliIo, verbose: boolean): LoggerFactory {
  return createLoggerFactory(verbose ? { write: io.stderr, level: 'debug' } : { write: () => undefined, level: 'error' });
}
