/**
 * Settings for a command, merged from four sources, first one wins:
 * flags > environment (`STRATUS_…`) > config file (`--config` / STRATUS_CONFIG)
 * > defaults (auth "aws", region from AWS_REGION). The merged object is a
 * version-1 StratusConfig checked by `parseStratusConfig`; every problem comes
 * back as one line that says where the bad value came from, or how to give a
 * missing one. Reads only the config file; the environment and working
 * directory come from the caller (CliIo), never from process globals.
 *
 * The preferences (deviceName, bandwidth, massDelete, logLevel) come only from
 * the config file, or their defaults; `--limit-up` / `--limit-down` win over
 * "bandwidth" (bandwidth.ts) and `--verbose` over "logLevel" (CliIo.ts).
 * The app-only keys of the app's settings file are carried along unread.
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseStratusConfig, type CognitoSettings, type StratusConfig } from '../shared/StratusConfig.js';
import type { SyncEngineOptions } from '../engine/SyncEngine.js';
import type { SettingFlags } from './args.js';

export type Env = Readonly<Record<string, string | undefined>>;

/** Settings that flags and environment variables can give (the rest only come from the file). */
const FIELDS = ['folder', 'bucket', 'region', 'endpoint', 'auth', 'prefix'] as const;
type Field = (typeof FIELDS)[number];

const ENV_NAME: Readonly<Record<Field, string>> = {
  folder: 'STRATUS_FOLDER',
  bucket: 'STRATUS_BUCKET',
  region: 'STRATUS_REGION',
  endpoint: 'STRATUS_ENDPOINT',
  auth: 'STRATUS_AUTH',
  prefix: 'STRATUS_PREFIX',
};

/** How to give a missing setting, for "no bucket given: use …". */
function howToGive(field: Field): string {
  const extra = field === 'region' ? ', AWS_REGION' : '';
  return `--${field}, ${ENV_NAME[field]}${extra} or "${field}" in the config file`;
}

export interface MergedSettings {
  /** The candidate StratusConfig (not yet validated), folder already absolute. */
  readonly raw: Readonly<Record<string, unknown>>;
  /** Where each field's value came from: "--bucket", "STRATUS_BUCKET", "the config file /x.json", "AWS_REGION", "default". */
  readonly sources: ReadonlyMap<string, string>;
  readonly configFile?: string;
}

export type MergeResult = { readonly ok: true; readonly merged: MergedSettings } | { readonly ok: false; readonly errors: string[] };

/** A validated config for a command that syncs: folder is required and absolute. */
export type SyncSettings = StratusConfig & { readonly folder: string };

export type SyncSettingsResult = { readonly ok: true; readonly settings: SyncSettings } | { readonly ok: false; readonly errors: string[] };

function nonEmpty(value: string | undefined): string | undefined {
  // An empty variable (`STRATUS_BUCKET= stratus …`) means "unset", as shells usually treat it.
  return value === undefined || value === '' ? undefined : value;
}

function expandHome(path: string, env: Env): string {
  const home = nonEmpty(env['HOME']) ?? nonEmpty(env['USERPROFILE']);
  // `--folder=~/x` reaches us unexpanded (the shell expands only a leading ~ word), and so do config files.
  if (home !== undefined && (path === '~' || path.startsWith('~/'))) return join(home, path.slice(1));
  return path;
}

async function readConfigFile(file: string, via: string): Promise<{ ok: true; value: Record<string, unknown> } | { ok: false; error: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return { ok: false, error: `the config file "${file}" does not exist (check ${via})` };
    if (code === 'EISDIR') return { ok: false, error: `the config file "${file}" is a folder, not a file (check ${via})` };
    return { ok: false, error: `cannot read the config file "${file}" (${code ?? (err instanceof Error ? err.message : String(err))})` };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, error: `the config file "${file}" is not valid JSON (${err instanceof Error ? err.message : String(err)})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, error: `the config file "${file}" must hold one JSON object, like {"version": 1, "auth": "aws", …}` };
  }
  return { ok: true, value: value as Record<string, unknown> };
}

/** Merges flags, environment, config file and defaults; fails only when the config file cannot be read. */
export async function mergeSettings(flags: SettingFlags, env: Env, cwd: string): Promise<MergeResult> {
  const configFlag = nonEmpty(flags.config);
  const configPath = configFlag ?? nonEmpty(env['STRATUS_CONFIG']);
  let file: Record<string, unknown> = {};
  let configFile: string | undefined;
  if (configPath !== undefined) {
    configFile = resolve(cwd, expandHome(configPath, env));
    const read = await readConfigFile(configFile, configFlag !== undefined ? '--config' : 'STRATUS_CONFIG');
    if (!read.ok) return { ok: false, errors: [read.error] };
    file = read.value;
  }
  const fileLabel = `the config file ${configFile ?? ''}`;
  const raw: Record<string, unknown> = { ...file };
  const sources = new Map<string, string>();
  for (const key of Object.keys(file)) sources.set(key, fileLabel);
  // A file's own version is kept so "version must be 1, got 2" reports a file from a newer Stratus.
  if (raw['version'] === undefined) raw['version'] = 1;

  for (const field of FIELDS) {
    const fromFlag = flags[field];
    const fromEnv = nonEmpty(env[ENV_NAME[field]]);
    if (fromFlag !== undefined) {
      raw[field] = fromFlag;
      sources.set(field, `--${field}`);
    } else if (fromEnv !== undefined) {
      raw[field] = fromEnv;
      sources.set(field, ENV_NAME[field]);
    }
  }
  if (raw['auth'] === undefined) {
    // The only mode the CLI can run in this version; cognito sign-in arrives with `stratus login`.
    raw['auth'] = 'aws';
    sources.set('auth', 'default');
  }
  const awsRegion = nonEmpty(env['AWS_REGION']);
  if (raw['region'] === undefined && awsRegion !== undefined) {
    raw['region'] = awsRegion;
    sources.set('region', 'AWS_REGION');
  }
  // Self-hosted S3-compatible servers rarely have wildcard DNS for bucket subdomains.
  if (raw['forcePathStyle'] === undefined && raw['endpoint'] !== undefined) raw['forcePathStyle'] = true;

  const folder = raw['folder'];
  if (typeof folder === 'string' && folder !== '') {
    const expanded = expandHome(folder, env);
    // A folder named in the config file is relative to that file, as other tools' config paths are.
    const base = sources.get('folder') === fileLabel && configFile !== undefined ? dirname(configFile) : cwd;
    raw['folder'] = isAbsolute(expanded) ? expanded : resolve(base, expanded);
  }
  return { ok: true, merged: { raw, sources, ...(configFile === undefined ? {} : { configFile }) } };
}

function missing(field: Field): string {
  return `no ${field} given: use ${howToGive(field)}`;
}

/**
 * Validates merged settings for a command that talks to the server. Each
 * validator line is kept and told where its value came from; a value that is
 * simply absent gets "how to give it" instead.
 */
export function validateSyncSettings(merged: MergedSettings): SyncSettingsResult {
  const result = parseStratusConfig(merged.raw);
  const errors: string[] = [];
  if (!result.ok) {
    for (const line of result.errors) {
      // Validator lines start with the field they are about ("bucket must be …", "cognito.issuer must …").
      const field = /^([A-Za-z]+)/.exec(line)?.[1] ?? '';
      const isSetting = (FIELDS as readonly string[]).includes(field);
      if (isSetting && merged.raw[field] === undefined) errors.push(missing(field as Field));
      else {
        const source = merged.sources.get(field);
        errors.push(source === undefined || source === 'default' ? line : `${line} (from ${source})`);
      }
    }
  }
  if (merged.raw['folder'] === undefined) errors.push(missing('folder'));
  if (!result.ok || errors.length > 0) return { ok: false, errors };
  return { ok: true, settings: result.config as SyncSettings };
}

/**
 * The config file's preferences and the policies' engine options as SyncEngine options (absent ones keep the
 * engine's defaults: host name, 500 files, half, no first-download question).
 */
export function engineSettings(
  settings: Pick<StratusConfig, 'deviceName' | 'massDelete'>,
  policy: Pick<SyncEngineOptions, 'adminIgnorePatterns' | 'minFreeBytes' | 'firstDownloadConfirmBytes'> = {},
): Pick<SyncEngineOptions, 'deviceName' | 'maxDeletes' | 'maxDeleteRatio' | 'adminIgnorePatterns' | 'minFreeBytes' | 'firstDownloadConfirmBytes'> {
  const { adminIgnorePatterns = [], minFreeBytes, firstDownloadConfirmBytes } = policy;
  return {
    // The policy MinimumFreeDiskMiB: downloads never leave less free space.
    ...(minFreeBytes === undefined ? {} : { minFreeBytes }),
    // The policy AdminIgnorePatterns: applied before the folder's .stratusignore.
    ...(adminIgnorePatterns.length === 0 ? {} : { adminIgnorePatterns }),
    // The policy FirstDownloadConfirmAboveMiB: a larger first download stops and asks.
    ...(firstDownloadConfirmBytes === undefined ? {} : { firstDownloadConfirmBytes }),
    ...(settings.deviceName === undefined ? {} : { deviceName: settings.deviceName }),
    ...(settings.massDelete === undefined ? {} : { maxDeletes: settings.massDelete.maxFiles, maxDeleteRatio: settings.massDelete.maxRatio }),
  };
}

/** What the sign-in commands (login, logout, whoami) need: the cognito block, and the bucket when one is given. */
export interface AccountSettings {
  readonly cognito: CognitoSettings;
  readonly bucket?: string;
}

export type AccountSettingsResult = { readonly ok: true; readonly settings: AccountSettings } | { readonly ok: false; readonly errors: string[] };

/**
 * Validates merged settings for the sign-in commands: auth must be "cognito"
 * and its `cognito` block valid; bucket, region and folder are not needed to
 * sign in, so their problems are left to `stratus sync`.
 */
export function validateAccountSettings(merged: MergedSettings): AccountSettingsResult {
  if (merged.raw['auth'] !== 'cognito') {
    const source = merged.sources.get('auth');
    return {
      ok: false,
      errors: [
        `signing in is for auth "cognito" (auth is ${JSON.stringify(merged.raw['auth'])}${source === undefined ? '' : ` from ${source}`}): ` +
          'use --auth cognito or a config file with "auth": "cognito" and its "cognito" settings; with auth "aws" Stratus uses your AWS credentials instead',
      ],
    };
  }
  const result = parseStratusConfig(merged.raw);
  const source = merged.sources.get('cognito');
  const errors = result.ok
    ? []
    : result.errors
        .filter((line) => /^(cognito|version)\b/.test(line))
        .map((line) => (source === undefined ? line : `${line} (from ${source})`));
  if (errors.length > 0) return { ok: false, errors };
  const bucket = merged.raw['bucket'];
  return { ok: true, settings: { cognito: merged.raw['cognito'] as CognitoSettings, ...(typeof bucket === 'string' ? { bucket } : {}) } };
}

/** The folder setting alone (status needs nothing else), or the line saying how to give it. */
export function folderSetting(merged: MergedSettings): { ok: true; folder: string } | { ok: false; error: string } {
  const folder = merged.raw['folder'];
  if (typeof folder === 'string' && folder !== '') return { ok: true, folder };
  if (folder === undefined) return { ok: false, error: missing('folder') };
  return { ok: false, error: `folder must be a non-empty string (from ${merged.sources.get('folder') ?? 'settings'})` };
}

/** One line if `folder` cannot be a sync root, else undefined. */
export async function checkFolder(folder: string): Promise<string | undefined> {
  const st = await stat(folder).catch(() => undefined);
  if (st === undefined) return `the folder "${folder}" does not exist (create it first, or check the path)`;
  if (!st.isDirectory()) return `"${folder}" is a file, not a folder (choose a folder to sync)`;
  return undefined;
}
