/**
 * Structured logging: one named logger per module (`createLogger('reconcile')`),
 * one JSON object per line, written to a sink the composition root chooses
 * (stderr for the CLI, a rotated file for the app).
 *
 * Secrets never reach a sink: fields whose names look like credentials or
 * tokens are replaced by "[redacted]", and so are presigned-URL signatures and
 * JWT-shaped strings inside any text. Callers still must not log file contents.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
const LEVEL_ORDER: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export interface LogSinkOptions {
  /** Receives one complete JSON line (without the newline). */
  readonly write: (line: string) => void;
  /** Lines below this level are dropped. @default 'info' */
  readonly level?: LogLevel;
  /** Clock, for tests. @default () => new Date() */
  readonly now?: () => Date;
}

const SECRET_FIELD = /(secret|password|passwd|token|credential|authorization|cookie|session|signature|private.?key|access.?key)/i;
const SECRET_IN_TEXT: readonly RegExp[] = [
  // Presigned URL / SigV4 query parameters.
  /(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s"]+/gi,
  // JWTs (ID/access/refresh tokens): three base64url segments, the first a JSON header.
  /eyJ[\w-]+\.[\w-]+\.[\w-]+/g,
  // Authorization headers copied into messages.
  /(AWS4-HMAC-SHA256 Credential=)[^\s,]+/g,
];

export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_IN_TEXT) {
    out = out.replace(pattern, (match, prefix: unknown) => (typeof prefix === 'string' ? `${prefix}[redacted]` : '[redacted]'));
  }
  return out;
}

function redactValue(key: string, value: unknown, depth: number): unknown {
  if (SECRET_FIELD.test(key)) return '[redacted]';
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message), ...('code' in value ? { code: value.code } : {}) };
  }
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue('', item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactValue(k, v, depth + 1)]));
}

export type LoggerFactory = (module: string) => Logger;

/** Builds the `createLogger` function the composition root hands to modules. */
export function createLoggerFactory(sink: LogSinkOptions): LoggerFactory {
  const threshold = LEVEL_ORDER[sink.level ?? 'info'];
  const now = sink.now ?? (() => new Date());
  return (module) => {
    const log = (level: LogLevel, message: string, fields?: LogFields): void => {
      if (LEVEL_ORDER[level] < threshold) return;
      const record = {
        time: now().toISOString(),
        level,
        module,
        msg: redactText(message),
        ...(fields === undefined ? {} : (redactValue('', fields, 0) as object)),
      };
      sink.write(JSON.stringify(record));
    };
    return {
      debug: (message, fields) => log('debug', message, fields),
      info: (message, fields) => log('info', message, fields),
      warn: (message, fields) => log('warn', message, fields),
      error: (message, fields) => log('error', message, fields),
    };
  };
}
