/**
 * The CLI's side of managed configuration (issue 9): reads the policies
 * (STRATUS_POLICY_FILE, else this OS's sources), maps the merged flags,
 * environment and config file onto the policy settings, and resolves them
 * with the engine's precedence. One check for every command that uses the
 * settings (sync, watch, login…, called where they are validated):
 *
 * - a flag, variable or config value that contradicts an enforced policy is
 *   refused in one line ("--bucket other contradicts the policy Bucket =
 *   "acme-stratus" set by your organization"), exit code 2;
 * - `AllowAwsAuthMode` false refuses auth "aws" (and makes "cognito" the default);
 * - policy values fill what the user did not give, so a machine the admin
 *   set up needs no config file.
 *
 * Levels: `--flags` and STRATUS_* variables are per invocation, so they rank
 * as "flag"; the config file and AWS_REGION are the user's settings ("user").
 * Policy read problems (wrong types, an unsafe policy file) are warnings on
 * stderr; the policies that could be read still apply.
 */
import { managedPreferences } from '../engine/policy/managedPreferences.js';
import { platformPolicySources, type PolicySources } from '../engine/policy/platformPolicySources.js';
import { readPolicySet, type PolicySet, type PolicyValue } from '../engine/policy/PolicySource.js';
import { resolveSettings, sameValue, type ResolvedSetting, type ResolvedSettings, type SettingConflict } from '../engine/policy/resolveSettings.js';
import type { SettingSource } from '../shared/policies.js';
import type { PreferenceKey } from '../shared/StratusApi.js';
import type { CommandIo } from './CliIo.js';
import type { Env, MergedSettings } from './config.js';

/** The settings the CLI's flags and config file can give, and where in the config each one lives. */
const TOP_LEVEL: Readonly<Record<string, string>> = { region: 'region', bucket: 'bucket', endpoint: 'endpoint', folder: 'folder' };
const COGNITO: Readonly<Record<string, string>> = {
  cognitoUserPoolId: 'cognito.issuer',
  cognitoAppClientId: 'cognito.clientId',
  cognitoIdentityPoolId: 'cognito.identityPoolId',
  cognitoRedirectPort: 'cognito.redirectUri',
  cognitoHostedUiDomain: 'cognito.hostedUiBase',
};

/** What one setting was given as, for the refusal line. */
interface Given {
  readonly value: PolicyValue;
  /** "--bucket other", "STRATUS_BUCKET=other", "\"bucket\": \"other\" in the config file /x.json". */
  readonly label: string;
}

export interface CliSettingsView {
  readonly flags: Record<string, PolicyValue>;
  readonly user: Record<string, PolicyValue>;
  readonly given: ReadonlyMap<string, Given>;
}

/** The policies for this invocation, read afresh (no cache: a removed policy stops applying now). */
export async function readCliPolicies(io: CommandIo, sources?: PolicySources): Promise<PolicySet> {
  return readPolicySet(sources ?? platformPolicySources({ platform: process.platform, env: io.env, cwd: io.cwd }));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** "--bucket" and STRATUS_… are per invocation (flag); the config file and AWS_REGION are the user's settings. */
function sourceKind(source: string | undefined): 'flag' | 'user' | undefined {
  if (source === undefined || source === 'default' || source.startsWith('the policy ')) return undefined;
  return source.startsWith('--') || source.startsWith('STRATUS_') ? 'flag' : 'user';
}

function labelFor(source: string, field: string, shown: unknown): string {
  if (source.startsWith('--')) return `${source} ${String(shown)}`;
  if (/^[A-Z_]+$/.test(source)) return `${source}=${String(shown)}`;
  return `"${field}": ${JSON.stringify(shown)} in ${source}`;
}

/** A user pool ID from an issuer URL: its last path segment (`…amazonaws.com/eu-west-1_AbC` → `eu-west-1_AbC`). */
function userPoolIdOf(issuer: string): string | undefined {
  const segment = issuer.replace(/\/+$/, '').split('/').pop();
  return segment === undefined || segment === '' || segment.includes(':') ? undefined : segment;
}

function portOf(uri: string): number | undefined {
  const match = /^https?:\/\/[^/]+:(\d+)(\/|$)/.exec(uri);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/** The merged flags/environment/config file as policy settings (camelCase), split by precedence level. */
export function settingsView(merged: MergedSettings): CliSettingsView {
  const flags: Record<string, PolicyValue> = {};
  const user: Record<string, PolicyValue> = {};
  const given = new Map<string, Given>();
  const put = (setting: string, value: PolicyValue, source: string | undefined, field: string, shown: unknown): void => {
    const kind = sourceKind(source);
    if (kind === undefined || source === undefined) return;
    (kind === 'flag' ? flags : user)[setting] = value;
    given.set(setting, { value, label: labelFor(source, field, shown) });
  };
  for (const [setting, field] of Object.entries(TOP_LEVEL)) {
    const value = merged.raw[field];
    if (typeof value === 'string' && value !== '') put(setting, value, merged.sources.get(field), field, value);
  }
  const cognito = merged.raw['cognito'];
  if (isRecord(cognito)) {
    const source = merged.sources.get('cognito');
    for (const [setting, field] of Object.entries(COGNITO)) {
      const raw = cognito[field.slice('cognito.'.length)];
      if (typeof raw !== 'string' || raw === '') continue;
      const value = setting === 'cognitoUserPoolId' ? userPoolIdOf(raw) : setting === 'cognitoRedirectPort' ? portOf(raw) : raw;
      if (value !== undefined) put(setting, value, source, field, raw);
    }
  }
  return { flags, user, given };
}

function expandHome(path: string, env: Env): string {
  const home = env['HOME'] ?? env['USERPROFILE'];
  if (home === undefined || home === '') return path;
  // DefaultSyncFolder is documented with ~ and %USERPROFILE%.
  if (path === '~' || path.startsWith('~/') || path.startsWith('~\\')) return home + path.slice(1);
  return path.replace(/^%USERPROFILE%/i, home);
}

function sameSetting(env: Env): (setting: string, given: PolicyValue, locked: PolicyValue | null) => boolean {
  return (setting, given, locked) => {
    if (setting === 'folder' && typeof given === 'string' && typeof locked === 'string') {
      const trim = (p: string): string => p.replace(/[\\/]+$/, '');
      return trim(expandHome(given, env)) === trim(expandHome(locked, env));
    }
    // A user pool ID or bucket differs only in case when it is another one; compare exactly.
    return sameValue(given, locked);
  };
}

/** The resolution for these merged settings and policies (`stratus config` prints it). */
export function resolveCliSettings(merged: MergedSettings, policies: PolicySet, env: Env): ResolvedSettings & { readonly view: CliSettingsView } {
  const view = settingsView(merged);
  return { ...resolveSettings({ policies, flags: view.flags, user: view.user }, { sameValue: sameSetting(env) }), view };
}

/** The refusal line for one conflict. */
export function conflictLine(conflict: SettingConflict, view: CliSettingsView, resolved: ResolvedSetting | undefined): string {
  const label = view.given.get(conflict.setting)?.label ?? `${conflict.setting} ${JSON.stringify(conflict.given)}`;
  const lock =
    conflict.policy.startsWith('Lock') && resolved !== undefined
      ? resolved.value === null
        ? ` (only your organization's backend may be used, and it sets no ${conflict.setting})`
        : ` (${conflict.setting} must be ${JSON.stringify(resolved.value)})`
      : '';
  return `${label} contradicts the policy ${conflict.policy} = ${JSON.stringify(conflict.policyValue)} set by your organization${lock}`;
}

/** The auth mode, as the policies allow it: `AllowAwsAuthMode` false refuses an explicit "aws" and turns the default into "cognito". */
export function authDecision(merged: MergedSettings, resolved: ResolvedSettings): { auth?: { value: string; source: SettingSource; locked: boolean }; error?: string } {
  const allow = resolved.settings['allowAwsAuthMode'];
  const auth = merged.raw['auth'];
  const source = merged.sources.get('auth');
  const kind = sourceKind(source);
  const cognitoByPolicy = resolved.settings['cognitoUserPoolId']?.source === 'policy';
  if (allow?.value === false) {
    if (auth === 'aws' && kind !== undefined && source !== undefined) {
      return { error: `${labelFor(source, 'auth', 'aws')} contradicts the policy AllowAwsAuthMode = false set by your organization (sign in with "stratus login" instead)` };
    }
    return { auth: { value: 'cognito', source: 'policy', locked: true } };
  }
  // An admin who enforces a user pool means Cognito sign-in: it is the default then, though "aws" may still be chosen.
  if (kind === undefined && cognitoByPolicy) return { auth: { value: 'cognito', source: 'policy-default', locked: false } };
  return typeof auth === 'string' ? { auth: { value: auth, source: kind ?? 'default', locked: false } } : {};
}

export type PolicyCheckResult = { readonly ok: true; readonly merged: MergedSettings } | { readonly ok: false; readonly errors: string[] };

/**
 * Checks merged settings against the policies and fills what they set and
 * the user did not. Prints read problems as warnings on `io.stderr`.
 */
export async function enforcePolicies(merged: MergedSettings, io: CommandIo, sources?: PolicySources): Promise<PolicyCheckResult> {
  const policies = await readCliPolicies(io, sources);
  warnProblems(io, policies);
  return applyPolicies(merged, policies, io.env);
}

export function warnProblems(io: CommandIo, policies: PolicySet): void {
  for (const line of [...policies.machine.problems, ...policies.user.problems]) io.stderr(`stratus: warning: policy ${line}`);
}

/** The pure part of enforcePolicies: refuse contradictions, fill from the policies. */
export function applyPolicies(merged: MergedSettings, policies: PolicySet, env: Env): PolicyCheckResult {
  const resolved = resolveCliSettings(merged, policies, env);
  const errors = resolved.conflicts.map((c) => conflictLine(c, resolved.view, resolved.settings[c.setting]));
  const auth = authDecision(merged, resolved);
  if (auth.error !== undefined) errors.push(auth.error);
  if (errors.length > 0) return { ok: false, errors };

  const raw: Record<string, unknown> = { ...merged.raw };
  const sources = new Map(merged.sources);
  const fromPolicy = (setting: string): { value: PolicyValue; label: string } | undefined => {
    const r = resolved.settings[setting];
    // A lock holds a setting to its built-in default too (LockSyncFolder alone: ~/Stratus).
    if (r === undefined || r.value === null || (r.source !== 'policy' && r.source !== 'policy-default' && !r.locked)) return undefined;
    return { value: r.value, label: `the policy ${r.policy ?? setting}` };
  };
  for (const [setting, field] of Object.entries(TOP_LEVEL)) {
    const p = fromPolicy(setting);
    if (p === undefined || resolved.view.given.has(setting)) continue;
    raw[field] = field === 'folder' && typeof p.value === 'string' ? expandHome(p.value, env) : p.value;
    sources.set(field, p.label);
  }
  // Self-hosted S3-compatible servers rarely have wildcard DNS for bucket subdomains (as mergeSettings does for a given endpoint).
  if (raw['endpoint'] !== undefined && raw['forcePathStyle'] === undefined) raw['forcePathStyle'] = true;
  if (auth.auth !== undefined && auth.auth.source !== 'default' && sourceKind(merged.sources.get('auth')) === undefined) {
    raw['auth'] = auth.auth.value;
    sources.set('auth', 'the policy AllowAwsAuthMode');
  }
  fillCognito(raw, sources, fromPolicy, resolved);
  return { ok: true, merged: { ...merged, raw, sources } };
}

/** The enforced AdminIgnorePatterns in `policies` ([] when none): applied before every .stratusignore. */
export function resolvedAdminIgnorePatterns(policies: PolicySet): readonly string[] {
  const value = resolveSettings({ policies }).settings['adminIgnorePatterns']?.value;
  return Array.isArray(value) ? value : [];
}

/**
 * What the engine takes from the policies: the organization's ignore patterns and MinimumFreeDiskMiB (in bytes);
 * and, for the Settings screen of `watch --ui`, the preferences enforced policies lock.
 */
export interface PolicyEngineOptions {
  readonly adminIgnorePatterns: readonly string[];
  readonly minFreeBytes?: number;
  /** FirstDownloadConfirmAboveMiB in bytes, when a policy sets it. */
  readonly firstDownloadConfirmBytes?: number;
  readonly managed: readonly PreferenceKey[];
}

/** The engine's policy options for this invocation, read afresh (read problems were warned about by enforcePolicies). */
export async function policyEngineOptions(io: CommandIo, sources?: PolicySources): Promise<PolicyEngineOptions> {
  const policies = await readCliPolicies(io, sources);
  const resolved = resolveSettings({ policies }).settings;
  const mib = (name: string): number | undefined => {
    const r = resolved[name];
    return r !== undefined && (r.source === 'policy' || r.source === 'policy-default') && typeof r.value === 'number' ? r.value * 1024 * 1024 : undefined;
  };
  const minFreeBytes = mib('minimumFreeDiskMiB');
  const firstDownloadConfirmBytes = mib('firstDownloadConfirmAboveMiB');
  return {
    adminIgnorePatterns: resolvedAdminIgnorePatterns(policies),
    managed: managedPreferences(resolved),
    ...(firstDownloadConfirmBytes === undefined ? {} : { firstDownloadConfirmBytes }),
    ...(minFreeBytes === undefined ? {} : { minFreeBytes }),
  };
}

/** The LoginHint policy for `stratus login` (and the first run's sign-in), read afresh; undefined when not set. */
export async function policyLoginHint(io: CommandIo, sources?: PolicySources): Promise<string | undefined> {
  const value = resolveSettings({ policies: await readCliPolicies(io, sources) }).settings['loginHint']?.value;
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Builds (or completes) the cognito block from the Cognito policies, for fields the config did not give. */
function fillCognito(
  raw: Record<string, unknown>,
  sources: Map<string, string>,
  fromPolicy: (setting: string) => { value: PolicyValue; label: string } | undefined,
  resolved: ResolvedSettings,
): void {
  const pool = fromPolicy('cognitoUserPoolId');
  const client = fromPolicy('cognitoAppClientId');
  const identityPool = fromPolicy('cognitoIdentityPoolId');
  const domain = fromPolicy('cognitoHostedUiDomain');
  if (pool === undefined && client === undefined && identityPool === undefined && domain === undefined) return;
  const cognito: Record<string, unknown> = isRecord(raw['cognito']) ? { ...raw['cognito'] } : {};
  const poolId = typeof pool?.value === 'string' ? pool.value : undefined;
  // A user pool ID starts with its region (eu-west-1_AbC), so the issuer needs nothing else.
  if (cognito['issuer'] === undefined && poolId !== undefined) cognito['issuer'] = `https://cognito-idp.${poolId.split('_')[0] ?? ''}.amazonaws.com/${poolId}`;
  if (cognito['clientId'] === undefined && client !== undefined) cognito['clientId'] = client.value;
  if (cognito['identityPoolId'] === undefined && identityPool !== undefined) cognito['identityPoolId'] = identityPool.value;
  if (cognito['hostedUiBase'] === undefined && domain !== undefined) cognito['hostedUiBase'] = domain.value;
  const port = resolved.settings['cognitoRedirectPort']?.value;
  if (cognito['redirectUri'] === undefined && typeof port === 'number') cognito['redirectUri'] = `http://localhost:${port}/callback`;
  raw['cognito'] = cognito;
  if (!sources.has('cognito')) sources.set('cognito', 'the Cognito policies');
}
