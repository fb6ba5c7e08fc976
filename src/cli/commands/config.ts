/**
 * `stratus config [--json]`: every setting's effective value, where it came
 * from and whether the organization locked it — the managed policies
 * (STRATUS_POLICY_FILE, else this OS's), the flags, environment and config
 * file, and the built-in defaults, resolved by the engine's precedence.
 *
 *   {"bucket": {"value": "acme-stratus", "source": "policy", "locked": true},
 *    "endpoint": {"value": null, "source": "default", "locked": false}, …}
 *
 * Settings are keyed by their camelCase names (src/shared/policies.ts), plus
 * the CLI's `auth` and `prefix`. Reads files only; a contradiction that sync
 * would refuse is a warning here, and the value shown is the policy's.
 */
import type { PolicyValue } from '../../engine/policy/PolicySource.js';
import type { SettingSource } from '../../shared/policies.js';
import type { ParsedArgs } from '../args.js';
import type { CommandIo } from '../CliIo.js';
import { mergeSettings } from '../config.js';
import { ExitCode } from '../exitCodes.js';
import { authDecision, conflictLine, readCliPolicies, resolveCliSettings, warnProblems } from '../policyCheck.js';

export interface SettingReport {
  readonly value: PolicyValue | null;
  readonly source: SettingSource;
  readonly locked: boolean;
}

export async function runConfig(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const merge = await mergeSettings(args.settings, io.env, io.cwd);
  if (!merge.ok) {
    for (const line of merge.errors) io.stderr(`stratus: ${line}`);
    return ExitCode.usage;
  }
  const policies = await readCliPolicies(io);
  warnProblems(io, policies);
  const resolved = resolveCliSettings(merge.merged, policies, io.env);
  for (const conflict of resolved.conflicts) {
    io.stderr(`stratus: warning: ${conflictLine(conflict, resolved.view, resolved.settings[conflict.setting])} (sync, watch and login refuse it)`);
  }
  const report: Record<string, SettingReport> = {};
  for (const [setting, r] of Object.entries(resolved.settings)) report[setting] = { value: r.value, source: r.source, locked: r.locked };
  const auth = authDecision(merge.merged, resolved);
  if (auth.error !== undefined) io.stderr(`stratus: warning: ${auth.error}`);
  report['auth'] = auth.auth ?? { value: null, source: 'default', locked: false };
  const prefix = merge.merged.raw['prefix'];
  const prefixSource = merge.merged.sources.get('prefix');
  report['prefix'] =
    typeof prefix === 'string'
      ? { value: prefix, source: prefixSource?.startsWith('--') === true || prefixSource?.startsWith('STRATUS_') === true ? 'flag' : 'user', locked: false }
      : { value: null, source: 'default', locked: false };

  if (args.json) {
    io.stdout(JSON.stringify(report));
    return ExitCode.ok;
  }
  const width = Math.max(...Object.keys(report).map((key) => key.length));
  for (const [setting, r] of Object.entries(report)) {
    io.stdout(`${setting.padEnd(width)}  ${r.value === null ? '(not set)' : JSON.stringify(r.value)}  ${r.source}${r.locked ? ', managed by your organization' : ''}`);
  }
  return ExitCode.ok;
}
