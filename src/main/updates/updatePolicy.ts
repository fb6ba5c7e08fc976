/**
 * Whether Stratus may update itself, and how (issue 9, "Updates"). Pure Node, no
 * Electron: the decision is made from the managed policy (DisableAutoUpdate,
 * UpdateChannel) and from how this copy was installed, before electron-updater is
 * even imported (AppUpdater.ts imports it only for a decision other than `off`).
 *
 *   DisableAutoUpdate           -> off      (the kill switch wins over everything)
 *   MSI, pkg, deb, rpm, other   -> off      (the deployment tool or package manager owns updates)
 *   NSIS, macOS zip, AppImage:
 *     per-machine               -> notify   (never downloads or installs without the user)
 *     per-user                  -> install  (downloads, installs when the app quits)
 */

/** The part of the resolved policies this module reads (src/engine/policy provides it). */
export interface UpdatePolicyView {
  readonly disableAutoUpdate: boolean;
  readonly updateChannel: 'latest' | 'beta';
}

export type UpdateChannel = UpdatePolicyView['updateChannel'];

/**
 * How this copy was installed (detectInstall.ts finds out). `mac-zip` is any
 * app bundle that came from the dmg or the zip (electron-updater updates it
 * from the zip); `unpackaged` is a development run.
 */
export type InstallFormat = 'nsis' | 'msi' | 'mac-zip' | 'pkg' | 'appimage' | 'deb' | 'rpm' | 'unpackaged' | 'unknown';

export interface InstallInfo {
  readonly format: InstallFormat;
  /** Installed for every user of the machine (or anywhere this user cannot replace it). */
  readonly perMachine: boolean;
}

/** The formats electron-updater can update in place. */
export const SELF_UPDATING_FORMATS: ReadonlySet<InstallFormat> = new Set<InstallFormat>(['nsis', 'mac-zip', 'appimage']);

/** `off`: electron-updater is never loaded. `notify`: check, and tell the user. `install`: download and install on quit. */
export type UpdateMode = 'off' | 'notify' | 'install';

/** Why the mode is what it is (stable, for logs and tests). */
export type UpdateReason = 'policy-disabled' | 'managed-format' | 'per-machine' | 'per-user';

export interface UpdateDecision {
  readonly mode: UpdateMode;
  readonly reason: UpdateReason;
  /** One sentence for the log and the About box. */
  readonly explanation: string;
  readonly channel: UpdateChannel;
  /** electron-updater: follow prereleases (the beta channel only). */
  readonly allowPrerelease: boolean;
  /** Never: leaving the beta channel waits for the next stable release instead of installing an older version. */
  readonly allowDowngrade: false;
  readonly autoDownload: boolean;
  readonly autoInstallOnAppQuit: boolean;
}

export function decideUpdates(policy: UpdatePolicyView, install: InstallInfo): UpdateDecision {
  const channel = policy.updateChannel;
  const off = (reason: UpdateReason, explanation: string): UpdateDecision => ({
    mode: 'off',
    reason,
    explanation,
    channel,
    allowPrerelease: false,
    allowDowngrade: false,
    autoDownload: false,
    autoInstallOnAppQuit: false,
  });
  if (policy.disableAutoUpdate) {
    return off('policy-disabled', 'Updates are turned off by your organization (DisableAutoUpdate); IT deploys new versions.');
  }
  if (!SELF_UPDATING_FORMATS.has(install.format)) {
    return off('managed-format', `This copy was installed as ${describeFormat(install.format)}, which updates through ${updatedBy(install.format)}, not by itself.`);
  }
  const allowPrerelease = channel === 'beta';
  if (install.perMachine) {
    // Installed for everyone (or where this user cannot write): replacing it needs an administrator's consent,
    // so Stratus only says that an update exists; installing is the user's explicit action.
    return {
      mode: 'notify',
      reason: 'per-machine',
      explanation: 'This copy is installed for all users: Stratus tells you about updates and installs one only when you ask.',
      channel,
      allowPrerelease,
      allowDowngrade: false,
      autoDownload: false,
      autoInstallOnAppQuit: false,
    };
  }
  return {
    mode: 'install',
    reason: 'per-user',
    explanation: 'Stratus downloads updates and installs them when it quits.',
    channel,
    allowPrerelease,
    allowDowngrade: false,
    autoDownload: true,
    autoInstallOnAppQuit: true,
  };
}

function describeFormat(format: InstallFormat): string {
  switch (format) {
    case 'msi': return 'an MSI package';
    case 'pkg': return 'a macOS installer package';
    case 'deb': return 'a deb package';
    case 'rpm': return 'an rpm package';
    case 'unpackaged': return 'a development build';
    default: return 'an unrecognised package';
  }
}

function updatedBy(format: InstallFormat): string {
  switch (format) {
    case 'msi': return 'your deployment tool (a newer MSI)';
    case 'pkg': return 'your device management (a newer pkg)';
    case 'deb': return 'apt';
    case 'rpm': return 'dnf';
    default: return 'a new build';
  }
}
