/**
 * Windows policies: `HKLM\SOFTWARE\Policies\Stratus` (machine) and
 * `HKCU\SOFTWARE\Policies\Stratus` (user), as Group Policy and Intune write
 * them from our ADMX. Enforced values live in the key; defaults in its
 * `Defaults` subkey; a string list is a subkey named after the policy whose
 * values are named 1..n (the ADMX `list` element's layout).
 *
 * Why `reg query <key> /s` and not a module: the registry modules on npm are
 * either native (rebuilt per Electron ABI, a build step the CLI's plain Node
 * install and the engine's utilityProcess both have to carry) or themselves
 * wrappers around reg.exe (`winreg`, little maintained). reg.exe is in
 * System32 on every supported Windows, is run by full path (no PATH lookup),
 * and is called once per read — startup and settings changes, not a hot path.
 * Its output is line-oriented and stable since XP; the parser below is tested
 * against fixtures of it. Limits: reg.exe prints in the console's OEM code
 * page, so a non-ASCII LoginHint may be garbled; the Policies key is not
 * redirected by WOW64, so the 64-bit view is the only one.
 *
 * Emits a PolicyLayer per hive; a missing key (exit code 1, "ERROR: The system
 * was unable to find the specified registry key or value.") is "not
 * configured", any other failure one problem line.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { policyLayer } from './policyLayer.js';
import type { PolicyLayer, PolicySource } from './PolicySource.js';

export type RegistryHive = 'HKLM' | 'HKCU';

/** Runs `reg query <key> /s` and resolves with its stdout; rejects as execFile does (`code` = exit code, `stderr`). */
export type RunRegQuery = (key: string) => Promise<string>;

export const POLICY_KEY_PATH = 'SOFTWARE\\Policies\\Stratus';

/** One value as `reg query` prints it: `    Name    REG_TYPE    data`. */
export interface RegValue {
  readonly name: string;
  readonly type: string;
  readonly data: string;
}

/** A key and its values; `path` is relative to the queried key ('' for the key itself, 'Defaults', 'Defaults\\ProxyBypassList'). */
export interface RegKey {
  readonly path: string;
  readonly values: RegValue[];
}

const VALUE_LINE = /^ {4}(.+?) {4}(REG_[A-Z0-9_]+)(?: {4}(.*))?$/;

/** Parses `reg query <key> /s` output (CRLF or LF) into the queried key and its subkeys, in output order. */
export function parseRegQuery(output: string): RegKey[] {
  const keys: RegKey[] = [];
  let root: string | undefined;
  let current: RegKey | undefined;
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    if (/^HKEY_/i.test(line)) {
      const full = line.trim();
      root ??= full;
      // Subkeys print their full path; keep the part below the queried key.
      const path = full.length > root.length && full.toLowerCase().startsWith(`${root.toLowerCase()}\\`) ? full.slice(root.length + 1) : '';
      current = { path, values: [] };
      keys.push(current);
      continue;
    }
    const match = VALUE_LINE.exec(line);
    if (match === null || current === undefined) continue;
    current.values.push({ name: match[1] ?? '', type: match[2] ?? '', data: match[3] ?? '' });
  }
  return keys;
}

/** The data of one value as the policy checker sees it; undefined for a type policies never use. */
export function regValueData(value: RegValue): unknown {
  switch (value.type) {
    case 'REG_SZ':
    case 'REG_EXPAND_SZ':
      return value.data;
    case 'REG_DWORD':
    case 'REG_QWORD': {
      // reg.exe prints integers in hex ("0x1f4"); QWORDs beyond 2^53 are far outside every policy's range anyway.
      const n = /^0x[0-9a-f]+$/i.test(value.data) ? Number.parseInt(value.data.slice(2), 16) : Number.NaN;
      return Number.isNaN(n) ? value.data : n;
    }
    case 'REG_MULTI_SZ':
      // reg.exe joins the strings with a literal "\0".
      return value.data === '' ? [] : value.data.split('\\0');
    default:
      return new Uint8Array();
  }
}

function isMissingKey(err: unknown): boolean {
  // reg.exe exits 1 for a key that does not exist; its message is localized, so the exit code decides.
  return typeof err === 'object' && err !== null && (err as { code?: unknown }).code === 1;
}

/** reg.exe by full path: `%SystemRoot%\System32\reg.exe`, so no PATH entry can stand in for it. */
export function defaultRunRegQuery(env: Readonly<Record<string, string | undefined>> = process.env): RunRegQuery {
  const regExe = join(env['SystemRoot'] ?? 'C:\\Windows', 'System32', 'reg.exe');
  return (key) =>
    new Promise((resolve, reject) => {
      execFile(regExe, ['query', key, '/s'], { windowsHide: true, timeout: 10_000, encoding: 'utf8', maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
        if (err !== null) reject(Object.assign(err, { stderr }));
        else resolve(stdout);
      });
    });
}

/**
 * The registry layout of one hive's policies, turned into a PolicyLayer:
 *
 *   <hive>\SOFTWARE\Policies\Stratus             enforced values
 *   <hive>\SOFTWARE\Policies\Stratus\<List>      an enforced string list: values "1".."n"
 *   <hive>\SOFTWARE\Policies\Stratus\Defaults    default values
 *   <hive>\SOFTWARE\Policies\Stratus\Defaults\<List>
 *
 * The strings of a list subkey, ordered by their numeric value names (1, 2, … 10).
 */
function listValues(where: string, key: RegKey, problems: string[]): unknown[] {
  const numbered: { index: number; data: unknown }[] = [];
  for (const value of key.values) {
    if (!/^\d+$/.test(value.name)) {
      problems.push(`${where}\\${key.path}: list entries are named 1, 2, 3…; "${value.name}" ignored`);
      continue;
    }
    numbered.push({ index: Number(value.name), data: regValueData(value) });
  }
  numbered.sort((a, b) => a.index - b.index);
  return numbered.map((entry) => entry.data);
}

/** One hive's keys (from parseRegQuery) as a PolicyLayer; names are matched case-insensitively, as the registry does. */
export function layerFromEntries(where: string, keys: readonly RegKey[]): PolicyLayer {
  const enforced = new Map<string, unknown>();
  const defaults = new Map<string, unknown>();
  const problems: string[] = [];
  for (const key of keys) {
    const parts = key.path === '' ? [] : key.path.split('\\');
    const inDefaults = parts[0]?.toLowerCase() === 'defaults';
    const rest = inDefaults ? parts.slice(1) : parts;
    const target = inDefaults ? defaults : enforced;
    if (rest.length === 0) {
      // A key's unnamed value is not a policy.
      for (const value of key.values) if (value.name !== '(Default)') target.set(value.name, regValueData(value));
    } else if (rest.length === 1 && rest[0] !== undefined) {
      target.set(rest[0], listValues(where, key, problems));
    } else {
      problems.push(`${where}\\${key.path}: unexpected subkey (ignored)`);
    }
  }
  return policyLayer(where, enforced, defaults, { caseInsensitiveNames: true, numericBooleans: true }, problems);
}

export class RegistryPolicySource implements PolicySource {
  readonly location: string;

  constructor(
    readonly hive: RegistryHive,
    private readonly runRegQuery: RunRegQuery,
  ) {
    this.location = `${hive}\\${POLICY_KEY_PATH}`;
  }

  async read(): Promise<PolicyLayer> {
    let output: string;
    try {
      output = await this.runRegQuery(this.location);
    } catch (err) {
      if (isMissingKey(err)) return { enforced: {}, defaults: {}, problems: [] };
      const detail = (err as { stderr?: unknown }).stderr;
      const message = typeof detail === 'string' && detail.trim() !== '' ? detail.trim() : err instanceof Error ? err.message : String(err);
      return { enforced: {}, defaults: {}, problems: [`${this.location}: cannot read the policies (${message}); none of them apply`] };
    }
    return layerFromEntries(this.location, parseRegQuery(output));
  }
}
