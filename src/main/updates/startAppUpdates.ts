/**
 * The one call composition makes for updates: finds out how this copy was
 * installed, decides with the managed policy (updatePolicy.ts), and starts an
 * AppUpdater that does exactly that — with DisableAutoUpdate, one log line and
 * nothing else (electron-updater is never imported). Returns it for disposal.
 */
import type { Logger } from '../../engine/logger.js';
import { AppUpdater, type UpdaterImporter } from './AppUpdater.js';
import { detectInstall, nodeInstallProbe, type InstallFacts, type InstallProbe } from './detectInstall.js';
import { decideUpdates, type UpdatePolicyView } from './updatePolicy.js';

export interface StartAppUpdatesOptions {
  /** The resolved policies (src/engine/policy); read once at start. */
  readonly policy: UpdatePolicyView;
  /** Electron's `app` (only these two members are read). */
  readonly app: { readonly isPackaged: boolean; getName(): string };
  readonly log: Logger;
  /** @default electron-builder.yml's appId */
  readonly appId?: string;
  /** @default the process's own platform, executable, resources folder and environment */
  readonly facts?: Partial<InstallFacts>;
  readonly probe?: InstallProbe;
  readonly importUpdater?: UpdaterImporter;
  /** @default the feed in the installer's app-update.yml */
  readonly feedUrl?: string;
}

export function startAppUpdates(options: StartAppUpdatesOptions): AppUpdater {
  const install = detectInstall(
    {
      platform: process.platform,
      isPackaged: options.app.isPackaged,
      execPath: process.execPath,
      // Electron adds resourcesPath to `process`; plain Node has none.
      resourcesPath: (process as { resourcesPath?: string }).resourcesPath ?? '',
      env: process.env,
      productName: options.app.getName(),
      appId: options.appId ?? 'io.stratus.desktop',
      ...options.facts,
    },
    options.probe ?? nodeInstallProbe,
  );
  options.log.info('install detected', { format: install.format, perMachine: install.perMachine, evidence: install.evidence });
  const updater = new AppUpdater({
    decision: decideUpdates(options.policy, install),
    log: options.log,
    ...(options.importUpdater === undefined ? {} : { importUpdater: options.importUpdater }),
    ...(options.feedUrl === undefined ? {} : { feedUrl: options.feedUrl }),
  });
  updater.start();
  return updater;
}
