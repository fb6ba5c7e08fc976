/**
 * How this copy of Stratus was installed, from what each installer leaves on
 * disk (plain Node; the file system is behind `InstallProbe` so tests use
 * fixtures). The answer feeds updatePolicy.ts; when in doubt it says
 * per-machine, the answer that never installs silently.
 *
 *   Windows  "Uninstall Stratus.exe" beside the app -> nsis, else msi;
 *            per-machine when under %ProgramFiles% (or anywhere but %LOCALAPPDATA%)
 *   macOS    /var/db/receipts/<appId>.plist (the pkg's receipt) -> pkg (per-machine),
 *            else mac-zip; per-machine when the bundle's folder is not writable
 *   Linux    $APPIMAGE -> appimage (per-machine when that file is not writable),
 *            resources/package-type (electron-builder writes it) -> deb | rpm (per-machine)
 */
import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { posix, win32 } from 'node:path';
import type { InstallFormat, InstallInfo } from './updatePolicy.js';

export interface InstallProbe {
  exists(path: string): boolean;
  /** The file's text, or undefined when it cannot be read. */
  readText(path: string): string | undefined;
  writable(path: string): boolean;
}

export interface InstallFacts {
  readonly platform: NodeJS.Platform;
  /** Electron's `app.isPackaged`. */
  readonly isPackaged: boolean;
  /** `process.execPath` (the app's executable). */
  readonly execPath: string;
  /** `process.resourcesPath`. */
  readonly resourcesPath: string;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** electron-builder.yml's productName and appId. */
  readonly productName: string;
  readonly appId: string;
}

export interface DetectedInstall extends InstallInfo {
  /** What the answer rests on, for the log. */
  readonly evidence: string;
}

export const nodeInstallProbe: InstallProbe = {
  exists: (path) => existsSync(path),
  readText: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  writable: (path) => {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  },
};

export function detectInstall(facts: InstallFacts, probe: InstallProbe = nodeInstallProbe): DetectedInstall {
  const result = (format: InstallFormat, perMachine: boolean, evidence: string): DetectedInstall => ({ format, perMachine, evidence });
  if (!facts.isPackaged) return result('unpackaged', false, 'not packaged (development run)');
  switch (facts.platform) {
    case 'win32': {
      const installDir = win32.dirname(facts.execPath);
      const perMachine = windowsPerMachine(installDir, facts.env);
      const uninstaller = win32.join(installDir, `Uninstall ${facts.productName}.exe`);
      if (probe.exists(uninstaller)) return result('nsis', perMachine, `NSIS uninstaller in ${installDir}`);
      return result('msi', perMachine, `no NSIS uninstaller in ${installDir}`);
    }
    case 'darwin': {
      const receipt = `/var/db/receipts/${facts.appId}.plist`;
      if (probe.exists(receipt)) return result('pkg', true, `installer receipt ${receipt}`);
      // …/Stratus.app/Contents/MacOS/Stratus: Squirrel.Mac replaces the bundle inside its folder.
      const bundle = posix.resolve(posix.dirname(facts.execPath), '..', '..');
      const folder = posix.dirname(bundle);
      return result('mac-zip', !probe.writable(folder), `${bundle} (folder ${probe.writable(folder) ? '' : 'not '}writable)`);
    }
    default: {
      const appImage = facts.env['APPIMAGE'];
      if (appImage !== undefined && appImage !== '') {
        return result('appimage', !probe.writable(appImage), `APPIMAGE=${appImage}`);
      }
      const packageType = probe.readText(posix.join(facts.resourcesPath, 'package-type'))?.trim();
      if (packageType === 'deb' || packageType === 'rpm') return result(packageType, true, `resources/package-type says ${packageType}`);
      return result('unknown', true, 'no APPIMAGE and no resources/package-type');
    }
  }
}

/** Per-machine unless the app lives in this user's %LOCALAPPDATA% (where a per-user NSIS install goes). */
function windowsPerMachine(installDir: string, env: InstallFacts['env']): boolean {
  const inside = (root: string | undefined): boolean => {
    if (root === undefined || root === '') return false;
    const relative = win32.relative(root.toLowerCase(), installDir.toLowerCase());
    return relative !== '' && !relative.startsWith('..') && !win32.isAbsolute(relative);
  };
  const programFiles = [env['ProgramFiles'], env['ProgramW6432'], env['ProgramFiles(x86)']];
  if (programFiles.some(inside)) return true;
  return !inside(env['LOCALAPPDATA']);
}
