/**
 * `stratus doctor [--json]`: can Stratus sync with the configured server,
 * bucket and prefix, and how does the server differ from AWS S3? Takes the
 * same settings as `sync` (flags, STRATUS_* environment, config file, the
 * signed-in session in cognito mode; no folder needed) and runs endpointDoctor's checks: one line per check on
 * stdout (`✓` fine, `!` a quirk Stratus works around, `✗` a blocker, `i`
 * information, `-` not checked), then the verdict; with --json one object.
 * Exit: 0 when Stratus can sync (warnings included), 2 when it cannot
 * (unreachable, credentials refused, no permission on the prefix), or for
 * bad settings; 130 interrupted.
 */
import type { CheckStatus, DoctorCheck, DoctorReport } from '../../engine/remote/endpointDoctor.js';
import type { ParsedArgs } from '../args.js';
import type { CommandIo } from '../CliIo.js';
import { cliLoggers } from '../CliIo.js';
import { mergeSettings, validateSyncSettings, type SyncSettings } from '../config.js';
import { enforcePolicies } from '../policyCheck.js';
import { createRemote, failureContext, type RemoteConnection } from '../createRemote.js';
import { ExitCode } from '../exitCodes.js';
import { reportFailure } from '../failures.js';

const SYMBOL: Readonly<Record<CheckStatus, string>> = { ok: '✓', warn: '!', fail: '✗', info: 'i', skipped: '-' };

const LABEL: Readonly<Record<string, string>> = {
  reachability: 'reachability',
  clock: 'clock',
  credentials: 'credentials',
  list: 'list',
  put: 'upload',
  get: 'download',
  delete: 'delete',
  'outside-prefix': 'outside prefix',
  conditionalCreate: 'conditional create',
  conditionalOverwrite: 'conditional overwrite',
  conditionalDelete: 'conditional delete',
  conditionalCopy: 'conditional copy',
  conditionalComplete: 'conditional complete',
  multipartEtag: 'multipart ETag',
  defaultChecksums: 'checksum headers',
  listPagination: 'list pagination',
  capabilities: 'capabilities',
};
const LABEL_WIDTH = Math.max(...Object.values(LABEL).map((l) => l.length)) + 2;

/** `✓ reachability          the server … answers`, and the server's answer under warnings and failures. */
export function doctorLines(report: DoctorReport): string[] {
  const lines = [`stratus doctor: s3://${report.bucket}/${report.prefix} at ${report.endpoint}`];
  for (const check of report.checks) {
    lines.push(`${SYMBOL[check.status]} ${(LABEL[check.id] ?? check.id).padEnd(LABEL_WIDTH)}${check.message}`);
    if (check.evidence !== undefined && (check.status === 'warn' || check.status === 'fail')) {
      lines.push(`  ${' '.repeat(LABEL_WIDTH)}(server: ${check.evidence})`);
    }
  }
  lines.push(report.verdict);
  return lines;
}

/** Sync's settings without the folder, which the doctor does not use (it may still be given, e.g. from a config file). */
async function doctorSettings(args: ParsedArgs, io: CommandIo): Promise<SyncSettings | ExitCode> {
  const problems = (lines: readonly string[]): ExitCode => {
    for (const line of lines) io.stderr(`stratus: ${line}`);
    return ExitCode.usage;
  };
  const merge = await mergeSettings(args.settings, io.env, io.cwd);
  if (!merge.ok) return problems(merge.errors);
  // Managed policies (issue 9), as for sync: the doctor checks the backend the organization set.
  const policed = await enforcePolicies(merge.merged, io);
  if (!policed.ok) return problems(policed.errors);
  const merged = policed.merged;
  if (merged.raw['auth'] === 'cognito' && merged.raw['prefix'] !== undefined) {
    // As for sync: the identity pool's credentials may touch only <identityId>/, which signing in sets.
    return problems([
      `a prefix (from ${merged.sources.get('prefix') ?? 'settings'}) cannot be used with auth "cognito": ` +
        'the prefix is your identity ID (<identityId>/), set by signing in; remove it',
    ]);
  }
  // The folder is only a placeholder for validation: the doctor never touches it.
  const raw = { ...merged.raw, folder: merged.raw['folder'] ?? io.cwd };
  const valid = validateSyncSettings({ ...merged, raw });
  if (!valid.ok) return problems(valid.errors);
  return valid.settings;
}

export async function runDoctor(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const settings = await doctorSettings(args, io);
  if (typeof settings === 'number') return settings;
  const loggers = cliLoggers(io, args.verbose);
  let connection: RemoteConnection | undefined;
  try {
    connection = await createRemote(settings, io.env, loggers('s3'), io.cwd);
    // Loaded on use, like the engine for sync: --help never pays for it.
    const { diagnoseEndpoint } = await import('../../engine/remote/endpointDoctor.js');
    const report = await diagnoseEndpoint({
      client: connection.client,
      endpoint: settings.endpoint ?? `https://s3.${settings.region}.amazonaws.com`,
      bucket: settings.bucket,
      // In cognito mode the prefix is known only once signed in (<identityId>/).
      prefix: connection.location.prefix,
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    if (io.signal?.aborted === true) throw new Error('interrupted');
    if (args.json) io.stdout(JSON.stringify(report));
    else for (const line of doctorLines(report)) io.stdout(line);
    return report.canSync ? ExitCode.ok : ExitCode.usage;
  } catch (err) {
    return reportFailure(err, failureContext(settings, connection, { verbose: args.verbose, signal: io.signal }), io.stderr);
  } finally {
    connection?.dispose();
  }
}

export type { DoctorCheck, DoctorReport };
