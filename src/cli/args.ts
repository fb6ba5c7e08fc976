/**
 * Argument parsing: every option of every command is parsed in one strict
 * pass (so `stratus --folder x sync` and `stratus sync --folder x` mean the
 * same), then the command checks that it was given only options it uses.
 * Emits a ParsedArgs or one line saying what is wrong.
 */
import { parseArgs } from 'node:util';

const OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  verbose: { type: 'boolean' },
  json: { type: 'boolean' },
  once: { type: 'boolean' },
  'dry-run': { type: 'boolean' },
  'confirm-deletes': { type: 'boolean' },
  'confirm-download': { type: 'boolean' },
  // login/logout: print the URL only (read as `args.given.has('no-browser')`).
  'no-browser': { type: 'boolean' },
  // watch: timings in milliseconds (tests shorten them; read as `args.timings`).
  'debounce-ms': { type: 'string' },
  'poll-ms': { type: 'string' },
  'full-list-ms': { type: 'string' },
  // watch: serve the status page (`--ui`, on `--ui-port`, default any free port).
  ui: { type: 'boolean' },
  'ui-port': { type: 'string' },
  // sync/watch: bandwidth limits (read as `args.bandwidth`, parsed by bandwidth.ts).
  'limit-up': { type: 'string' },
  'limit-down': { type: 'string' },
  config: { type: 'string' },
  folder: { type: 'string' },
  bucket: { type: 'string' },
  region: { type: 'string' },
  endpoint: { type: 'string' },
  auth: { type: 'string' },
  prefix: { type: 'string' },
} as const;

export type OptionName = keyof typeof OPTIONS;

/** The settings a flag can give; the same names as env (`STRATUS_…`) and the config file use. */
export interface SettingFlags {
  readonly config?: string;
  readonly folder?: string;
  readonly bucket?: string;
  readonly region?: string;
  readonly endpoint?: string;
  readonly auth?: string;
  readonly prefix?: string;
}

export interface ParsedArgs {
  readonly command: string | undefined;
  /** Positionals after the command (no command takes any yet). */
  readonly rest: readonly string[];
  readonly help: boolean;
  readonly version: boolean;
  readonly verbose: boolean;
  readonly json: boolean;
  readonly once: boolean;
  readonly dryRun: boolean;
  readonly confirmDeletes: boolean;
  readonly confirmDownload: boolean;
  readonly settings: SettingFlags;
  /** `watch`'s timing flags, as given (the command validates them). */
  readonly timings: { readonly debounceMs?: string; readonly pollMs?: string; readonly fullListMs?: string };
  /** `watch --ui [--ui-port N]`: serve the status page (port as given; the command validates it). */
  readonly ui: { readonly enabled: boolean; readonly port?: string };
  /** `--limit-up` / `--limit-down` as given (parsed by bandwidth.ts). */
  readonly bandwidth: { readonly up?: string; readonly down?: string };
  /** Which options were given, to refuse ones a command does not use. */
  readonly given: ReadonlySet<OptionName>;
}

export type ParseResult = { readonly ok: true; readonly args: ParsedArgs } | { readonly ok: false; readonly error: string };

export function parseCliArgs(argv: readonly string[]): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  const v = parsed.values;
  const settings: { -readonly [K in keyof SettingFlags]: string } = {};
  for (const name of ['config', 'folder', 'bucket', 'region', 'endpoint', 'auth', 'prefix'] as const) {
    const value = v[name];
    if (value !== undefined) settings[name] = value;
  }
  const [command, ...rest] = parsed.positionals;
  return {
    ok: true,
    args: {
      command,
      rest,
      help: v.help === true,
      version: v.version === true,
      verbose: v.verbose === true,
      json: v.json === true,
      once: v.once === true,
      dryRun: v['dry-run'] === true,
      confirmDeletes: v['confirm-deletes'] === true,
      confirmDownload: v['confirm-download'] === true,
      settings,
      timings: {
        ...(v['debounce-ms'] === undefined ? {} : { debounceMs: v['debounce-ms'] }),
        ...(v['poll-ms'] === undefined ? {} : { pollMs: v['poll-ms'] }),
        ...(v['full-list-ms'] === undefined ? {} : { fullListMs: v['full-list-ms'] }),
      },
      ui: { enabled: v.ui === true || v['ui-port'] !== undefined, ...(v['ui-port'] === undefined ? {} : { port: v['ui-port'] }) },
      bandwidth: {
        ...(v['limit-up'] === undefined ? {} : { up: v['limit-up'] }),
        ...(v['limit-down'] === undefined ? {} : { down: v['limit-down'] }),
      },
      given: new Set(Object.keys(v) as OptionName[]),
    },
  };
}

/** The first given option that `command` does not use, if any. */
export function unusedOption(args: ParsedArgs, allowed: readonly OptionName[]): OptionName | undefined {
  return [...args.given].find((name) => !allowed.includes(name));
}
