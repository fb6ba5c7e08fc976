/**
 * The one error type everything in Stratus throws on purpose.
 *
 * `code` is stable (tests and the UI branch on it, never on messages);
 * `severity` says how far the failure reaches, as Nextcloud's sync engine
 * distinguishes them:
 *   - `fatal`: the run (or the app) cannot continue — bad config, no sync root;
 *   - `item`:  one file failed; the run goes on and the item is retried later;
 *   - `soft`:  expected and transient (e.g. file busy); retried quietly.
 * `message` is written for a person: what happened, to which file, what to do.
 */

export type Severity = 'fatal' | 'item' | 'soft';

export interface StratusErrorOptions {
  readonly severity?: Severity;
  readonly cause?: unknown;
  /** Sync-root-relative path the error is about, when there is one. */
  readonly path?: string;
}

export class StratusError extends Error {
  override readonly name = 'StratusError';
  readonly code: string;
  readonly severity: Severity;
  readonly path: string | undefined;

  constructor(code: string, message: string, options: StratusErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.severity = options.severity ?? 'item';
    this.path = options.path;
  }
}

export function isStratusError(value: unknown): value is StratusError {
  return value instanceof StratusError;
}
