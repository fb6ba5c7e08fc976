/**
 * Settings precedence (issue 9), a pure function of what was read:
 *
 *   enforced machine policy > enforced user policy > command-line flag
 *     > user setting > policy default (machine, then user) > built-in default
 *
 * Machine beats user everywhere: HKLM over HKCU, /Library/Managed Preferences
 * over its per-user folder (Mattermost ships the reverse; not here). Nothing
 * is remembered between calls, so a policy the admin removed stops applying
 * the next time settings are resolved.
 *
 * Locks: `LockBackend` (enforced true) locks every backend setting — region,
 * Cognito, bucket, endpoint — to what the policies say, even to "not set";
 * `LockSyncFolder` locks the folder to DefaultSyncFolder. A flag or user value
 * that differs from a locked value is a conflict: the CLI refuses it, the app
 * shows the setting read-only ("Managed by your organization").
 *
 * Emits one `ResolvedSetting` per policy setting (camelCase, as `stratus
 * config --json` prints them) and the conflicts.
 */
import { POLICIES, type PolicyDefinition, type SettingSource } from '../../shared/policies.js';
import type { PolicySet, PolicyValue } from './PolicySource.js';

/** Setting name (camelCase) → value given by a flag or a user setting; absent = not given. */
export type SettingValues = Readonly<Partial<Record<string, PolicyValue>>>;

export interface ResolvedSetting {
  /** null: not set anywhere and no built-in default. */
  readonly value: PolicyValue | null;
  readonly source: SettingSource;
  /** Enforced by a policy (its own or a lock): the user cannot change it. */
  readonly locked: boolean;
  /** The policy that set or locked it (absent for flag, user and built-in values). */
  readonly policy?: string;
}

export interface SettingConflict {
  readonly setting: string;
  /** Where the contradicting value came from. */
  readonly source: 'flag' | 'user';
  readonly given: PolicyValue;
  /** The enforced policy it contradicts: the setting's own, or the lock (LockBackend, LockSyncFolder). */
  readonly policy: string;
  /** What that policy says: the setting's enforced value, or `true` for a lock. */
  readonly policyValue: PolicyValue;
}

export interface SettingsInput {
  readonly policies: PolicySet;
  readonly flags?: SettingValues;
  readonly user?: SettingValues;
}

export interface ResolveOptions {
  /** Whether a given value equals the locked one (e.g. "~/Stratus" and "/home/ada/Stratus"). @default deep equality */
  readonly sameValue?: (setting: string, given: PolicyValue, locked: PolicyValue | null) => boolean;
}

export interface ResolvedSettings {
  readonly settings: Readonly<Record<string, ResolvedSetting>>;
  readonly conflicts: readonly SettingConflict[];
}

/** Lock policy → the policies whose settings it locks. */
export const LOCKS: Readonly<Record<string, readonly string[]>> = {
  LockBackend: ['CognitoRegion', 'CognitoUserPoolId', 'CognitoAppClientId', 'CognitoHostedUiDomain', 'CognitoIdentityPoolId', 'CognitoRedirectPort', 'Bucket', 'S3Endpoint'],
  LockSyncFolder: ['DefaultSyncFolder'],
};

export function sameValue(a: PolicyValue | null, b: PolicyValue | null): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => item === b[i]);
  return a === b;
}

function enforcedValue(policies: PolicySet, name: string): PolicyValue | undefined {
  return policies.machine.enforced[name] ?? policies.user.enforced[name];
}

/** The lock policy enforced over `def`, if any. */
function lockOver(policies: PolicySet, def: PolicyDefinition): string | undefined {
  return Object.keys(LOCKS).find((lock) => LOCKS[lock]?.includes(def.name) === true && enforcedValue(policies, lock) === true);
}

function resolveOne(def: PolicyDefinition, input: SettingsInput): ResolvedSetting {
  const { policies } = input;
  const enforced = enforcedValue(policies, def.name);
  if (enforced !== undefined) return { value: enforced, source: 'policy', locked: true, policy: def.name };
  const policyDefault = policies.machine.defaults[def.name] ?? policies.user.defaults[def.name];
  const builtIn = def.default === undefined ? null : (def.default as PolicyValue);
  const lock = lockOver(policies, def);
  if (lock !== undefined) {
    // Locked to what the admin set up, even to "not set": a flag or user value cannot add another backend.
    return policyDefault !== undefined ? { value: policyDefault, source: 'policy-default', locked: true, policy: lock } : { value: builtIn, source: 'default', locked: true, policy: lock };
  }
  const flag = input.flags?.[def.setting];
  if (flag !== undefined) return { value: flag, source: 'flag', locked: false };
  const user = input.user?.[def.setting];
  if (user !== undefined) return { value: user, source: 'user', locked: false };
  if (policyDefault !== undefined) return { value: policyDefault, source: 'policy-default', locked: false, policy: def.name };
  return { value: builtIn, source: 'default', locked: false };
}

export function resolveSettings(input: SettingsInput, options: ResolveOptions = {}): ResolvedSettings {
  const settings: Record<string, ResolvedSetting> = {};
  const conflicts: SettingConflict[] = [];
  const same = options.sameValue ?? ((_setting: string, given: PolicyValue, locked: PolicyValue | null) => sameValue(given, locked));
  for (const def of POLICIES) {
    const resolved = resolveOne(def, input);
    settings[def.setting] = resolved;
    if (!resolved.locked || resolved.policy === undefined) continue;
    const policy = resolved.policy;
    // An enforced value is named with its own policy; a value only held by a lock is named with the lock (LockBackend = true).
    const policyValue: PolicyValue = resolved.source === 'policy' && resolved.value !== null ? resolved.value : true;
    for (const [source, values] of [['flag', input.flags], ['user', input.user]] as const) {
      const given = values?.[def.setting];
      if (given !== undefined && !same(def.setting, given, resolved.value)) conflicts.push({ setting: def.setting, source, given, policy, policyValue });
    }
  }
  return { settings, conflicts };
}

/** The policy governing `setting` (camelCase), if any. */
export function policyForSetting(setting: string): PolicyDefinition | undefined {
  return POLICIES.find((p) => p.setting === setting);
}
