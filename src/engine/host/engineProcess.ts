/**
 * The engine process (issue 8): continuous sync for one folder, run in an
 * Electron utilityProcess by the app, or in a forked Node process by the
 * tests (the same code; only the message port differs). It receives
 * HostToEngine messages and sends EngineToHost ones (src/shared/EngineProtocol.ts):
 * a status after start and after every change, `fatal` when the settings
 * cannot work, `stopped` after a clean stop. Logs are JSON lines on stderr
 * (redacted by the engine's logger).
 *
 * A kill at any moment loses nothing: the journal is written only after an
 * action succeeded, uploads resume, and the supervisor starts a new process.
 */
import { hostname } from 'node:os';
import { S3Client } from '@aws-sdk/client-s3';
import { isStratusError } from '../../core/StratusError.js';
import { isHostToEngine, type EngineCredentials, type EngineSettings, type EngineToHost, type HostToEngine } from '../../shared/EngineProtocol.js';
import { createLoggerFactory } from '../logger.js';
import { HttpNetwork } from '../net/HttpNetwork.js';
import { selfCachingProvider } from '../remote/credentialRefresh.js';
import { S3RemoteStore } from '../remote/S3RemoteStore.js';
import { SyncEngine } from '../SyncEngine.js';
import { ContinuousSync } from '../watch/ContinuousSync.js';
import { HeadMarker } from '../watch/HeadMarker.js';
import type { BandwidthLimits } from '../ports.js';
import type { PreferencesPort } from '../watch/SyncController.js';
import { createStatusFace, type StatusFace } from '../watch/statusFace.js';

function limitsOf(b: NonNullable<EngineSettings['bandwidth']>): BandwidthLimits {
  return { uploadBytesPerSecond: b.upBytesPerSecond, downloadBytesPerSecond: b.downBytesPerSecond };
}

/**
 * What the engine process itself can change: the bandwidth limits, live (the app stores every
 * setting in main and forwards this one, so transfers in flight slow down or speed up at once).
 */
function enginePreferences(settings: EngineSettings, apply: (limits: BandwidthLimits) => void): PreferencesPort {
  let bandwidth = settings.bandwidth ?? {};
  return {
    view: () => ({ values: { folder: settings.folder, bandwidth, ...(settings.deviceName === undefined ? {} : { deviceName: settings.deviceName }) }, editable: ['bandwidth'], managed: [] }),
    update: (change) => {
      if (change.bandwidth !== undefined) {
        bandwidth = change.bandwidth;
        apply(limitsOf(bandwidth));
      }
      return Promise.resolve({ ok: true });
    },
  };
}

/** The two ways the process can be spoken to: Electron's parentPort, or Node's IPC channel of a fork. */
export interface EnginePort {
  post(message: EngineToHost): void;
  onMessage(listener: (message: unknown) => void): void;
}

interface ElectronParentPort {
  on(event: 'message', listener: (event: { data: unknown }) => void): void;
  postMessage(message: unknown): void;
}

export function connectPort(): EnginePort {
  const parentPort = (process as unknown as { parentPort?: ElectronParentPort }).parentPort;
  if (parentPort !== undefined) {
    return { post: (m) => parentPort.postMessage(m), onMessage: (l) => parentPort.on('message', (e) => l(e.data)) };
  }
  const send = process.send?.bind(process);
  if (send !== undefined) {
    return { post: (m) => void send(m), onMessage: (l) => process.on('message', l) };
  }
  throw new Error('the engine process must be started by Stratus (a utilityProcess, or a fork with an IPC channel)');
}

interface Running {
  readonly client: S3Client;
  readonly network: HttpNetwork;
  readonly engine: SyncEngine;
  readonly sync: ContinuousSync;
  readonly face: StatusFace;
}

/** Serves `port` until a `stop` message: starts the engine, forwards its status, obeys pause/resume/retry-now. */
export function serveEngine(port: EnginePort, exit: (code: number) => void = (code) => process.exit(code)): void {
  const loggers = createLoggerFactory({ write: (line) => process.stderr.write(`${line}\n`) });
  const log = loggers('engine-process');
  let running: Running | undefined;
  let starting: Promise<void> | undefined;
  /** The newest temporary credentials from the host (cognito mode); every request reads them afresh. */
  let hostCredentials: EngineCredentials | undefined;
  const fromHost = selfCachingProvider(() => {
    const c = hostCredentials;
    if (c === undefined) return Promise.reject(new Error('the host has not sent credentials yet'));
    const { expiration, ...keys } = c;
    return Promise.resolve(expiration === undefined ? keys : { ...keys, expiration: new Date(expiration) });
  });

  const start = async (settings: EngineSettings): Promise<void> => {
    hostCredentials ??= settings.credentials;
    // Proxy and trusted CAs (issue 9): the NODE_OPTIONS fuse turns NODE_EXTRA_CA_CERTS off, so the OS store is read here.
    const network = await HttpNetwork.create({
      settings: {
        ...(settings.proxyUrl === undefined ? {} : { proxyUrl: settings.proxyUrl }),
        ...(settings.proxyBypassList === undefined ? {} : { proxyBypassList: settings.proxyBypassList }),
        ...(settings.extraCaCertificates === undefined ? {} : { extraCaCertificates: settings.extraCaCertificates }),
      },
      env: process.env,
    });
    for (const problem of network.proxy.problems) log.warn(problem);
    const requestHandler = network.sdkRequestHandler({ connectionTimeout: 10_000 });
    const client = new S3Client({
      region: settings.region,
      ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }),
      forcePathStyle: settings.forcePathStyle ?? settings.endpoint !== undefined,
      // The start's credentials until the host sends newer ones; without any, the SDK's default chain.
      ...(hostCredentials === undefined ? {} : { credentials: fromHost }),
      requestHandler,
    });
    try {
      const remote = new S3RemoteStore({ client, bucket: settings.bucket, prefix: settings.prefix, directAgents: requestHandler, log: loggers('s3') });
      const deviceName = settings.deviceName ?? hostname();
      if (settings.bandwidth !== undefined) remote.setBandwidthLimits(limitsOf(settings.bandwidth));
      const engine = await SyncEngine.open({
        root: settings.folder,
        remote,
        ...(settings.maxDeletes === undefined ? {} : { maxDeletes: settings.maxDeletes }),
        ...(settings.maxDeleteRatio === undefined ? {} : { maxDeleteRatio: settings.maxDeleteRatio }),
        ...(settings.minFreeBytes === undefined ? {} : { minFreeBytes: settings.minFreeBytes }),
        ...(settings.firstDownloadConfirmBytes === undefined ? {} : { firstDownloadConfirmBytes: settings.firstDownloadConfirmBytes }),
        ...(settings.adminIgnorePatterns === undefined ? {} : { adminIgnorePatterns: settings.adminIgnorePatterns }),
        location: { bucket: settings.bucket, prefix: settings.prefix, ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }) },
        deviceName,
        log: loggers('engine'),
      });
      const marker = new HeadMarker({ client, bucket: settings.bucket, prefix: settings.prefix, deviceName, ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }) });
      const sync = await ContinuousSync.start({
        engine, root: settings.folder, marker, log: loggers('watch'),
        ...(settings.debounceMs === undefined ? {} : { debounceMs: settings.debounceMs }),
        ...(settings.pollMs === undefined ? {} : { pollMs: settings.pollMs }),
      });
      // Subscribed before anything else awaits: the first run starts on the next timer tick.
      const face = createStatusFace({
        sync,
        engine,
        folder: settings.folder,
        location: { bucket: settings.bucket, prefix: settings.prefix, ...(settings.endpoint === undefined ? {} : { endpoint: settings.endpoint }) },
        // The app opens files itself (main handles open-path and show-in-folder before they get here).
        canOpenFiles: true,
        preferences: enginePreferences(settings, (limits) => remote.setBandwidthLimits(limits)),
        log: loggers('commands'),
      });
      face.live.onDidChangeStatus((status) => port.post({ type: 'status', status }));
      running = { client, network, engine, sync, face };
      port.post({ type: 'status', status: face.live.current });
    } catch (err) {
      client.destroy();
      network.dispose();
      throw err;
    }
  };

  const stop = async (): Promise<void> => {
    await starting?.catch(() => undefined);
    const r = running;
    running = undefined;
    if (r !== undefined) {
      await r.sync.dispose();
      r.face.dispose();
      await r.engine.close();
      r.client.destroy();
      r.network.dispose();
    }
    port.post({ type: 'stopped' });
    exit(0);
  };

  const handle = (message: HostToEngine): void => {
    switch (message.type) {
      case 'start':
        if (starting !== undefined) return;
        starting = start(message.settings).catch((err: unknown) => {
          const code = isStratusError(err) ? err.code : 'engine-start-failed';
          port.post({ type: 'fatal', code, message: err instanceof Error ? err.message : String(err) });
          log.error('the engine could not start', { code });
          exit(2);
        });
        return;
      case 'pause':
        running?.sync.pause();
        return;
      case 'resume':
        running?.sync.resume();
        return;
      case 'retry-now':
        void running?.sync.retryNow(message.paths);
        return;
      case 'credentials':
        hostCredentials = message.credentials;
        return;
      case 'command': {
        const id = message.id;
        const answer = running === undefined
          ? Promise.resolve({ ok: false, message: 'The sync engine is still starting; try again in a moment.' })
          : running.face.controller.run(message.command);
        void answer.then((result) => port.post({ type: 'command-result', id, result }));
        return;
      }
      case 'stop':
        void stop();
        return;
    }
  };

  port.onMessage((message) => {
    if (isHostToEngine(message)) handle(message);
    else log.warn('ignored a malformed message from the host');
  });
}
