/**
 * What a CLI command may touch of the outside world. src/cli/index.ts fills it
 * from the real process; tests pass their own, so runCli runs in-process with
 * a hermetic environment.
 */
import { createLoggerFactory, type LoggerFactory } from '../engine/logger.js';
import type { LogLevel } from '../shared/StratusApi.js';
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

/** The level the CLI logs at: debug with --verbose, else the config file's "logLevel"; undefined: no logs. */
export function cliLogLevel(verbose: boolean, configured?: LogLevel): LogLevel | undefined {
  return verbose ? 'debug' : configured;
}

/**
 * JSON log lines to stderr at `cliLogLevel`'s level and up (--verbose: debug;
 * else the config file's "logLevel"); with neither, no logs at all, only the
 * CLI's own lines.
 */
export function cliLoggers(io: CliIo, verbose: boolean, configured?: LogLevel): LoggerFactory {
  const level = cliLogLevel(verbose, configured);
  return createLoggerFactory(level !== undefined ? { write: io.stderr, level } : { write: () => undefined, level: 'error' });
}
