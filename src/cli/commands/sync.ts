/**
 * `stratus sync --once [--dry-run] [--confirm-deletes] [--confirm-download] [--json]`: one sync
 * pass of the configured folder against the configured prefix.
 * Prints a dry run's plan, or the run's one-line summary, on stdout (or one
 * JSON object with --json); item failures and safety stops on stderr.
 * Exit: 0 converged, 1 items failed, 2 configuration/connection, 3 stopped.
 */
import type { SyncEngine } from '../../engine/SyncEngine.js';
import type { SyncResult } from '../../engine/SyncResult.js';
import type { ParsedArgs } from '../args.js';
import { bandwidthFromArgs, effectiveBandwidth } from '../bandwidth.js';
import type { CommandIo } from '../CliIo.js';
import { cliLoggers } from '../CliIo.js';
import { engineSettings } from '../config.js';
import { policyEngineOptions } from '../policyCheck.js';
import { createRemote, failureContext, type RemoteConnection } from '../createRemote.js';
import { ExitCode } from '../exitCodes.js';
import { reportFailure } from '../failures.js';
import { planLines, planSummary, runSummary, syncJson } from '../output.js';
import { problems, syncSettings } from '../syncSettings.js';

function report(result: SyncResult, args: ParsedArgs, io: CommandIo, connection: RemoteConnection, folder: string): ExitCode {
  if (args.json) io.stdout(JSON.stringify(syncJson(result)));
  else if (result.dryRun) {
    for (const line of planLines(result.plan)) io.stdout(line);
    io.stdout(planSummary(result.plan));
  } else if (result.stopped === undefined) {
    io.stdout(runSummary(folder, connection.location, result));
    if (result.runAgain) io.stdout('something changed on the server during the run; run again to pick it up');
  }
  for (const item of result.errors) io.stderr(`stratus: ${item.path}: ${item.message}${item.retrying ? ' (will retry)' : ''}`);
  if (result.stopped !== undefined) {
    // The stop's message names the direction and count and says to use --confirm-deletes.
    io.stderr(`stratus: ${result.stopped.message}`);
    return ExitCode.safetyStop;
  }
  if (!result.dryRun && (result.errors.length > 0 || result.counts.errors > 0)) return ExitCode.itemsFailed;
  return ExitCode.ok;
}

export async function runSync(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  if (!args.once) {
    return problems(io, ['"stratus sync" needs --once (one sync pass); for continuous sync run "stratus watch"']);
  }
  const bandwidth = bandwidthFromArgs(args);
  if (Array.isArray(bandwidth)) return problems(io, bandwidth);
  const settings = await syncSettings(args, io);
  if (typeof settings === 'number') return settings;

  const loggers = cliLoggers(io, args.verbose, settings.logLevel);
  let connection: RemoteConnection | undefined;
  let engine: SyncEngine | undefined;
  try {
    connection = await createRemote(settings, io.env, loggers('s3'), io.cwd);
    connection.remote.setBandwidthLimits?.(effectiveBandwidth(args, bandwidth, settings.bandwidth));
    // Loaded on use: the engine pulls in SQLite and the scanner, which --help and usage errors never need.
    const { SyncEngine: Engine } = await import('../../engine/SyncEngine.js');
    engine = await Engine.open({
      root: settings.folder, remote: connection.remote, location: connection.location, log: loggers('engine'),
      // The config file's deviceName (conflicted-copy names) and massDelete rail.
      ...engineSettings(settings, await policyEngineOptions(io)),
    });
    const result = await engine.runOnce({
      dryRun: args.dryRun,
      confirmDeletes: args.confirmDeletes,
      confirmDownload: args.confirmDownload,
      ...(io.signal === undefined ? {} : { signal: io.signal }),
    });
    return report(result, args, io, connection, settings.folder);
  } catch (err) {
    return reportFailure(err, failureContext(settings, connection, { verbose: args.verbose, signal: io.signal }), io.stderr);
  } finally {
    // Closing releases the folder lock; a failure to close must not hide the run's own outcome.
    await engine?.close().catch((err: unknown) => io.stderr(`stratus: could not close the sync journal cleanly: ${err instanceof Error ? err.message : String(err)}`));
    connection?.dispose();
  }
}
