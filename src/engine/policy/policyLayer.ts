/**
 * Turns what a reader found (registry values, plist or JSON keys) into a
 * `PolicyLayer`, checking every value against its definition in
 * src/shared/policies.ts. A value of the wrong type, out of range, not one of
 * an enum's values, or under a name no policy has is dropped with one problem
 * line; the rest of the layer still applies.
 */
import { policyNamed, POLICIES, type PolicyDefinition } from '../../shared/policies.js';
import type { PolicyLayer, PolicyValue } from './PolicySource.js';

export interface LayerOptions {
  /** Registry value names are case-insensitive, plist and JSON keys are not. @default false */
  readonly caseInsensitiveNames?: boolean;
  /** Accept 0/1 for booleans: the registry has no boolean type (ADMX writes REG_DWORD). @default false */
  readonly numericBooleans?: boolean;
  /** Root keys that are not policies and are skipped silently (a profile's Payload… keys). @default none */
  readonly ignoreKeys?: RegExp;
}

export type CheckResult = { readonly ok: true; readonly value: PolicyValue } | { readonly ok: false; readonly reason: string };

function describe(raw: unknown): string {
  if (Array.isArray(raw)) return 'a list';
  if (raw === null) return 'null';
  if (raw instanceof Uint8Array) return 'binary data';
  if (raw instanceof Date) return 'a date';
  return typeof raw === 'string' ? `the string ${JSON.stringify(raw)}` : `${typeof raw} ${JSON.stringify(raw)}`;
}

/** `raw` as the typed value `def` wants, or why not. */
export function checkPolicyValue(def: PolicyDefinition, raw: unknown, options: LayerOptions = {}): CheckResult {
  const bad = (want: string): CheckResult => ({ ok: false, reason: `${def.name} must be ${want}, got ${describe(raw)}` });
  switch (def.type) {
    case 'string':
      return typeof raw === 'string' && raw !== '' ? { ok: true, value: raw } : bad('a non-empty string');
    case 'boolean':
      if (typeof raw === 'boolean') return { ok: true, value: raw };
      if (options.numericBooleans === true && (raw === 0 || raw === 1)) return { ok: true, value: raw === 1 };
      return bad(options.numericBooleans === true ? 'true or false (a DWORD of 1 or 0)' : 'true or false');
    case 'integer': {
      const range = `an integer from ${def.min ?? '-∞'} to ${def.max ?? '∞'}`;
      if (typeof raw !== 'number' || !Number.isInteger(raw)) return bad(range);
      if ((def.min !== undefined && raw < def.min) || (def.max !== undefined && raw > def.max)) return bad(range);
      return { ok: true, value: raw };
    }
    case 'enum': {
      const values = def.values ?? [];
      return typeof raw === 'string' && values.includes(raw) ? { ok: true, value: raw } : bad(`one of ${values.map((v) => JSON.stringify(v)).join(', ')}`);
    }
    case 'string-list':
      return Array.isArray(raw) && raw.every((item) => typeof item === 'string') ? { ok: true, value: [...(raw as string[])] } : bad('a list of strings');
  }
}

function definitionFor(name: string, options: LayerOptions): PolicyDefinition | undefined {
  if (options.caseInsensitiveNames !== true) return policyNamed(name);
  const lower = name.toLowerCase();
  return POLICIES.find((p) => p.name.toLowerCase() === lower);
}

/**
 * One layer from the enforced and default entries a reader found at `where`.
 * `problems` already found by the reader (an unreadable file…) come first.
 */
export function policyLayer(
  where: string,
  enforcedRaw: ReadonlyMap<string, unknown>,
  defaultsRaw: ReadonlyMap<string, unknown>,
  options: LayerOptions = {},
  problems: readonly string[] = [],
): PolicyLayer {
  const out: string[] = [...problems];
  const pick = (entries: ReadonlyMap<string, unknown>, kind: 'enforced' | 'default'): Record<string, PolicyValue> => {
    const values: Record<string, PolicyValue> = {};
    for (const [name, raw] of entries) {
      const def = definitionFor(name, options);
      if (def === undefined) {
        out.push(`${where}: unknown policy "${name}" (ignored; names are case-sensitive PascalCase, e.g. Bucket)`);
        continue;
      }
      if (kind === 'enforced' && !def.canBeEnforced) {
        out.push(`${where}: ${def.name} can only be a default, not enforced (ignored)`);
        continue;
      }
      if (kind === 'default' && !def.canBeDefault) {
        out.push(`${where}: ${def.name} can only be enforced, not a default (ignored; set it outside Defaults)`);
        continue;
      }
      const checked = checkPolicyValue(def, raw, options);
      if (checked.ok) values[def.name] = checked.value;
      else out.push(`${where}: ${checked.reason} (ignored)`);
    }
    return values;
  };
  const enforced = pick(enforcedRaw, 'enforced');
  const defaults = pick(defaultsRaw, 'default');
  return { enforced, defaults, problems: out };
}

/** A plist or JSON root object split Slack's way: root keys are enforced, the `Defaults` object holds defaults. */
export function layerFromObject(where: string, root: unknown, options: LayerOptions = {}): PolicyLayer {
  if (typeof root !== 'object' || root === null || Array.isArray(root) || root instanceof Date || root instanceof Uint8Array) {
    return policyLayer(where, new Map(), new Map(), options, [`${where}: must hold one dictionary/object of policies, got ${describe(root)} (ignored)`]);
  }
  const enforced = new Map<string, unknown>();
  const defaults = new Map<string, unknown>();
  const problems: string[] = [];
  for (const [key, value] of Object.entries(root as Record<string, unknown>)) {
    if (key !== 'Defaults') {
      // JSON Schema's "$schema" is allowed so the example file can point at its schema.
      if (key !== '$schema' && options.ignoreKeys?.test(key) !== true) enforced.set(key, value);
      continue;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date) && !(value instanceof Uint8Array)) {
      for (const [name, raw] of Object.entries(value as Record<string, unknown>)) defaults.set(name, raw);
    } else problems.push(`${where}: Defaults must be a dictionary/object of policies, got ${describe(value)} (ignored)`);
  }
  return policyLayer(where, enforced, defaults, options, problems);
}
