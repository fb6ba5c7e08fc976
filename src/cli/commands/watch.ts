/**
 * `stratus watch [--json] [--debounce-ms MS] [--poll-ms MS] [--full-list-ms MS]`:
 * continuous sync of the configured folder (the same settings as `sync`)
 * until Ctrl-C / SIGTERM (io.signal), which aborts the run in flight, disposes
 * the watcher and timers, closes the journal and exits 0.
 *
 * Prints one line per run ("12:03:04 synced: 2 up, 0 down, 0 conflicts, 0 errors")
 * and per state change ("12:03:09 offline — will retry …", "back online");
 * with --json, one JSON object per line per event:
 *   {"event":"started","folder":…,"location":…}
 *   {"event":"run","at":…,"reasons":["local"],"uploaded":1,…}   (sync --json's fields)
 *   {"event":"state","at":…,"state":"offline","previous":"syncing","error":"…"}
 * Exit: 0 when stopped by the user; the failure's code when the folder or the
 * server cannot be used at all (configuration, credentials, first run failing).
 */
import { access } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { StratusError } from '../../core/StratusError.js';
import type { SyncEngine } from '../../engine/SyncEngine.js';
import type { BandwidthLimits } from '../../engine/ports.js';
import type { StatusPage } from '../../engine/ui/StatusPageServer.js';
import type { ContinuousSync } from '../../engine/watch/ContinuousSync.js';
import type { StatusFace } from '../../engine/watch/statusFace.js';
import type { CompletedRun, StateChange } from '../../engine/watch/SyncScheduler.js';
import { describeCounts } from '../../engine/SyncResult.js';
import type { ParsedArgs } from '../args.js';
import { bandwidthFromArgs, effectiveBandwidth } from '../bandwidth.js';
import type { CommandIo } from '../CliIo.js';
import { cliLoggers } from '../CliIo.js';
import { createRemote, endpointLabel, failureContext, type RemoteConnection } from '../createRemote.js';
import { ExitCode } from '../exitCodes.js';
import { reportFailure } from '../failures.js';
import { describeLocation, syncJson } from '../output.js';
import { checkFolder, engineSettings, mergeSettings, type SyncSettings } from '../config.js';
import { policyEngineOptions } from '../policyCheck.js';
import { problems, syncSettings } from '../syncSettings.js';
import { watchPreferences } from '../watchPreferences.js';
import { machineName, setupNeed, setupPorts, suggestedFolder, type SetupNeed } from '../watchSetup.js';
import type { StatusRelay } from '../../engine/ui/StatusRelay.js';

interface Timings {
  readonly debounceMs: number;
  readonly pollMs: number;
  readonly fullListMs: number;
}

/** The timing flags as numbers, or the problems with them. */
function parseTimings(args: ParsedArgs): Timings | string[] {
  const errors: string[] = [];
  const read = (value: string | undefined, flag: string, fallback: number, min: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) errors.push(`--${flag} must be a whole number of milliseconds, at least ${min} (got "${value}")`);
    return n;
  };
  const t = {
    debounceMs: read(args.timings.debounceMs, 'debounce-ms', 500, 0),
    // Floors keep a typo from polling the server in a tight loop.
    pollMs: read(args.timings.pollMs, 'poll-ms', 15_000, 50),
    fullListMs: read(args.timings.fullListMs, 'full-list-ms', 600_000, 1000),
  };
  return errors.length > 0 ? errors : t;
}

/** `--ui-port`: a port number (0 = any free one), or the line saying what is wrong. */
function parseUiPort(value: string | undefined): number | undefined | string {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) return `--ui-port must be a port number from 0 to 65535 (got "${value}")`;
  return n;
}

/**
 * The built renderer the status page serves: electron-vite's out/renderer. Found by
 * walking up from this module (out/tsc/src/cli/commands when built, src/cli/commands
 * when run from source), so the installed package and a checkout both work.
 */
async function rendererDir(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    // Only a built renderer (under out/), never src/renderer, whose index.html points at TypeScript.
    for (const candidate of basename(dir) === 'out' ? [join(dir, 'renderer')] : [join(dir, 'out', 'renderer')]) {
      try {
        await access(join(candidate, 'index.html'));
        return candidate;
      } catch {
        // Not here: look one level up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new StratusError('ui-missing', 'The status page needs the built renderer (out/renderer): run "npm run build" first.', { severity: 'fatal' });
}

function clock(): string {
  return new Date().toTimeString().slice(0, 8);
}

function message(err: unknown): string {
  if (err === undefined) return '';
  if (typeof err === 'object' && err !== null && 'message' in err && typeof err.message === 'string') return err.message;
  return String(err);
}

/** The sign-in error itself rather than the listing failure that carries it (its message says what to do). */
function innermostStratusError(err: Error): Error {
  let found = err;
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (e.name === 'StratusError') found = e;
  return found;
}

function stateLine(change: StateChange): string | undefined {
  switch (change.state) {
    case 'offline': return `offline — will retry by itself (${message(change.error)})`;
    case 'error': return `sync stopped: ${message(change.error)} — will try again`;
    case 'signed-out': return `signed out: ${message(change.error instanceof Error ? innermostStratusError(change.error) : change.error)} Nothing queued is lost; run "stratus login", then start "stratus watch" again`;
    case 'paused': return 'paused';
    case 'idle':
      if (change.previous === 'offline') return 'back online';
      if (change.previous === 'paused') return 'resumed';
      return undefined;
    default: return undefined;
  }
}

interface FirstRun {
  readonly settings: SyncSettings;
  readonly page: StatusPage;
  readonly relay: StatusRelay;
  readonly account?: string;
}

/**
 * Opens the status page on the first-run flow and waits until it has a sign-in and a folder
 * (then watching starts on the same page), or until Ctrl-C (exit 0).
 */
async function runFirstRun(
  need: SetupNeed, args: ParsedArgs, io: CommandIo, emit: (line: string, json: Record<string, unknown>) => void,
  loggers: ReturnType<typeof cliLoggers>, port: number,
): Promise<FirstRun | ExitCode> {
  const [{ SetupFlow }, { StatusRelay }, { startStatusPage }] = await Promise.all([
    import('../../engine/ui/SetupFlow.js'),
    import('../../engine/ui/StatusRelay.js'),
    import('../../engine/ui/StatusPageServer.js'),
  ]);
  const flow = new SetupFlow({
    ports: setupPorts(need, io, loggers('auth')),
    signedIn: !need.signIn,
    ...(need.settings.folder === undefined ? {} : { folder: need.settings.folder }),
    suggestedFolder: suggestedFolder(io, need),
    machine: machineName(),
  });
  const relay = new StatusRelay(flow, flow);
  let page: StatusPage | undefined;
  try {
    page = await startStatusPage({ rendererDir: await rendererDir(), source: relay, controller: relay, port, log: loggers('ui') });
    emit(`status page: ${page.url}`, { event: 'status-page', url: page.url });
    const asks = [...(need.signIn ? ['sign in'] : []), ...(need.folder ? ['choose the folder to sync'] : [])].join(' and ');
    emit(`first run: open the status page to ${asks} (Ctrl-C to stop)`, { event: 'setup', signIn: need.signIn, folder: need.folder });
    const interrupted = new Promise<undefined>((resolve) => {
      if (io.signal?.aborted === true) resolve(undefined);
      io.signal?.addEventListener('abort', () => resolve(undefined), { once: true });
    });
    const result = await Promise.race([flow.done, interrupted]);
    if (result === undefined) {
      flow.dispose();
      relay.dispose();
      await page.close();
      return ExitCode.ok;
    }
    if (result.remembered !== undefined) emit(result.remembered, { event: 'folder-saved', folder: result.folder, note: result.remembered });
    const folderProblem = await checkFolder(result.folder);
    if (folderProblem !== undefined) throw new StratusError('sync-root-missing', folderProblem, { severity: 'fatal' });
    return { settings: { ...need.settings, folder: result.folder }, page, relay, ...(result.account === undefined ? {} : { account: result.account }) };
  } catch (err) {
    flow.dispose();
    relay.dispose();
    await page?.close().catch(() => undefined);
    return reportFailure(err, { verbose: args.verbose }, io.stderr);
  }
}

export async function runWatch(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const timings = parseTimings(args);
  if (Array.isArray(timings)) return problems(io, timings);
  const uiPort = parseUiPort(args.ui.port);
  if (typeof uiPort === 'string') return problems(io, [uiPort]);
  const bandwidth = bandwidthFromArgs(args);
  if (Array.isArray(bandwidth)) return problems(io, bandwidth);
  const emit = (line: string, json: Record<string, unknown>): void => io.stdout(args.json ? JSON.stringify({ ...json, at: new Date().toISOString() }) : `${clock()} ${line}`);
  // First run with --ui: not signed in yet, or no folder chosen — the status page asks (watchSetup.ts).
  const need = await setupNeed(args, io);
  let firstRun: FirstRun | undefined;
  if (need !== undefined) {
    const started = await runFirstRun(need, args, io, emit, cliLoggers(io, args.verbose, need.settings.logLevel), uiPort ?? 0);
    if (typeof started === 'number') return started;
    firstRun = started;
  }
  const settings = firstRun?.settings ?? await syncSettings(args, io);
  if (typeof settings === 'number') return settings;
  const loggers = cliLoggers(io, args.verbose, settings.logLevel);

  let connection: RemoteConnection | undefined;
  let engine: SyncEngine | undefined;
  let watch: ContinuousSync | undefined;
  let face: StatusFace | undefined;
  let page: StatusPage | undefined = firstRun?.page;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  io.signal?.addEventListener('abort', onAbort, { once: true });
  if (io.signal?.aborted === true) stop.abort();
  /** Set when the folder or server cannot be used at all: watching on would only repeat the failure. */
  let fatal: unknown;
  try {
    connection = await createRemote(settings, io.env, loggers('s3'), io.cwd);
    const limits = effectiveBandwidth(args, bandwidth, settings.bandwidth);
    connection.remote.setBandwidthLimits?.(limits);
    const [{ SyncEngine: Engine }, { ContinuousSync: Continuous }, { HeadMarker }] = await Promise.all([
      import('../../engine/SyncEngine.js'),
      import('../../engine/watch/ContinuousSync.js'),
      import('../../engine/watch/HeadMarker.js'),
    ]);
    // Loaded (and the renderer found) before watching starts, so a missing build fails at once.
    const ui = args.ui.enabled
      ? {
          ...(await import('../../engine/watch/statusFace.js')),
          ...(await import('../../engine/ui/StatusPageServer.js')),
          rendererDir: await rendererDir(),
        }
      : undefined;
    // Where each preference is set, for the Settings screen: the first run's merge, else the one syncSettings made.
    const merged = need?.merged ?? (ui === undefined ? undefined : await mergeSettings(args.settings, io.env, io.cwd).then((m) => (m.ok ? m.merged : undefined)));
    const policyOptions = await policyEngineOptions(io);
    engine = await Engine.open({
      root: settings.folder, remote: connection.remote, location: connection.location, log: loggers('engine'),
      // The config file's deviceName (conflicted-copy names) and massDelete rail.
      ...engineSettings(settings, policyOptions),
    });
    const marker = new HeadMarker({
      client: connection.client,
      bucket: connection.location.bucket,
      prefix: connection.location.prefix,
      deviceName: settings.deviceName ?? hostname(),
      endpoint: endpointLabel(settings),
    });
    const location = connection.location;
    const remote = connection.remote;
    emit(`watching ${settings.folder} with ${describeLocation(location)} (Ctrl-C to stop)`, { event: 'started', folder: settings.folder, location });
    let succeeded = false;
    watch = await Continuous.start({
      engine,
      root: settings.folder,
      marker,
      debounceMs: timings.debounceMs,
      pollMs: timings.pollMs,
      fullRunMs: timings.fullListMs,
      log: loggers('watch'),
    });
    if (ui !== undefined) {
      // Subscribed before anything else awaits: the first run starts on the next timer tick.
      face = ui.createStatusFace({
        sync: watch,
        engine,
        folder: settings.folder,
        ...(firstRun === undefined ? {} : { firstRun: true, ...(firstRun.account === undefined ? {} : { account: firstRun.account }) }),
        location: { bucket: location.bucket, prefix: location.prefix, ...(location.endpoint === undefined ? {} : { endpoint: location.endpoint }) },
        canOpenFiles: false,
        preferences: watchPreferences({
          settings,
          sources: merged?.sources ?? new Map<string, string>(),
          ...(merged?.configFile === undefined ? {} : { configFile: merged.configFile }),
          bandwidth: limits,
          verbose: args.verbose,
          folderFromFirstRun: firstRun !== undefined && need?.folder === true,
          ...(remote.setBandwidthLimits === undefined ? {} : { setBandwidthLimits: (l: BandwidthLimits) => remote.setBandwidthLimits?.(l) }),
          managed: policyOptions.managed,
          adminIgnoreRules: policyOptions.adminIgnorePatterns,
        }),
        log: loggers('ui'),
      });
      if (firstRun !== undefined) {
        // The page the first run opened stays: from now on it shows the engine.
        firstRun.relay.switchTo(face.live, face.controller);
      } else {
        page = await ui.startStatusPage({ rendererDir: ui.rendererDir, source: face.live, controller: face.controller, port: uiPort ?? 0, log: loggers('ui') });
        emit(`status page: ${page.url}`, { event: 'status-page', url: page.url });
      }
    }
    watch.scheduler.onDidCompleteRun(({ reasons, result }: CompletedRun) => {
      if (result.stopped === undefined) succeeded = true;
      emit(`synced: ${describeCounts(result.counts)}`, { event: 'run', reasons, ...syncJson(result) });
      for (const item of result.errors) io.stderr(`stratus: ${item.path}: ${item.message}${item.retrying ? ' (will retry)' : ''}`);
      if (result.stopped !== undefined) io.stderr(`stratus: ${result.stopped.message}`);
    });
    watch.scheduler.onDidChangeState((change: StateChange) => {
      const line = stateLine(change);
      if (line !== undefined) emit(line, { event: 'state', state: change.state, previous: change.previous, ...(change.error === undefined ? {} : { error: message(change.error) }) });
      // A first run that fails for anything but the network (bucket, credentials, folder) is a setup problem: say it and exit.
      // Signed out: this process's session is over; the journal keeps the queue for the next start after "stratus login".
      if (change.state === 'signed-out' && change.error instanceof Error) {
        fatal = innermostStratusError(change.error);
        stop.abort();
      }
      if (change.state === 'error' && !succeeded && change.error instanceof Error) {
        fatal = change.error;
        stop.abort();
      }
    });
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) resolve();
      else stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    if (fatal !== undefined) throw fatal;
    return ExitCode.ok;
  } catch (err) {
    if (io.signal?.aborted === true && fatal === undefined) return ExitCode.ok;
    return reportFailure(err, failureContext(settings, connection, { verbose: args.verbose, signal: io.signal }), io.stderr);
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    // Disposing aborts the run in flight (its items resume next time from the journal), then the lock is released.
    await page?.close().catch(() => undefined);
    firstRun?.relay.dispose();
    face?.dispose();
    await watch?.dispose().catch((err: unknown) => io.stderr(`stratus: could not stop watching cleanly: ${message(err)}`));
    await engine?.close().catch((err: unknown) => io.stderr(`stratus: could not close the sync journal cleanly: ${message(err)}`));
    connection?.dispose();
  }
}
