/**
 * electron-builder has no "validate" command and cannot download Electron here,
 * so the config is checked the way electron-builder checks it before a build:
 * loaded with its own loader and validated against its own schema. On top of
 * the schema, the enterprise rollout's promises (issue 9) are asserted on the
 * loaded configuration: per-machine installers, update formats, hardened
 * runtime, the AppArmor profile, the fuses, and no secret in the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { parse as parsePlist } from 'plist';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const require = createRequire(import.meta.url);
const configFile = join(repo, 'electron-builder.yml');

type Target = string | { target: string };
interface BuilderConfig {
  appId?: string;
  productName?: string;
  files?: (string | { filter?: string[] })[];
  asar?: boolean;
  asarUnpack?: string[] | string;
  electronFuses?: Record<string, boolean>;
  publish?: { provider?: string; url?: string } | null;
  generateUpdatesFilesForAllChannels?: boolean;
  extraMetadata?: { homepage?: string };
  win?: { target?: Target[] };
  nsis?: Record<string, unknown>;
  msi?: Record<string, unknown>;
  mac?: { target?: Target[]; hardenedRuntime?: boolean; entitlements?: string; entitlementsInherit?: string; notarize?: unknown };
  pkg?: Record<string, unknown>;
  linux?: { target?: Target[] };
  deb?: Record<string, unknown>;
  rpm?: Record<string, unknown>;
  appImage?: Record<string, unknown>;
}

async function loadConfig(): Promise<BuilderConfig> {
  const { getConfig } = require('app-builder-lib/out/util/config/config.js') as {
    getConfig(projectDir: string, configPath: string | null, fromOptions: null): Promise<BuilderConfig>;
  };
  return getConfig(repo, null, null);
}

const targetNames = (targets: Target[] | undefined): string[] => (targets ?? []).map((t) => (typeof t === 'string' ? t : t.target));

/**
 * Everything in the configuration that would carry a signing secret or point
 * at a certificate. electron-builder reads these from the environment
 * (CSC_LINK, CSC_KEY_PASSWORD, WIN_CSC_LINK…, APPLE_*), so the repo has none.
 */
function findSecrets(yamlText: string): string[] {
  const problems: string[] = [];
  const secretKeys = /^\s*(cscLink|cscKeyPassword|cscInstallerLink|cscInstallerKeyPassword|certificateFile|certificatePassword|certificateSubjectName|certificateSha1|appleId|appleIdPassword|appleApiKey|password|keychain)\s*:/im;
  const keyMatch = secretKeys.exec(yamlText);
  if (keyMatch) problems.push(`a signing/notarization key is set in the file: ${keyMatch[1]}`);
  const certFile = /[^\s"']+\.(p12|pfx|cer|pem|key|p8|keychain)\b/i.exec(yamlText);
  if (certFile) problems.push(`a certificate or key file is named: ${certFile[0]}`);
  const envAssignments = /\b(CSC_LINK|CSC_KEY_PASSWORD|WIN_CSC_LINK|WIN_CSC_KEY_PASSWORD|APPLE_APP_SPECIFIC_PASSWORD|APPLE_ID|APPLE_TEAM_ID)\s*[:=]\s*\S/.exec(yamlText);
  if (envAssignments) problems.push(`an environment secret is given a value: ${envAssignments[1]}`);
  return problems;
}

describe('electron-builder.yml', () => {
  it('passes electron-builder schema validation', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(config: BuilderConfig, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    const config = await loadConfig();
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
  });

  it('rejects an invalid configuration (the check is not vacuous)', async () => {
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
      validateConfiguration(config: unknown, logger: unknown): Promise<void>;
    };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration({ appId: 'x', notAnOption: true }, new DebugLogger(false))).rejects.toThrow(
      /notAnOption/,
    );
    // A misspelt installer option is caught as well, not silently ignored.
    await expect(validateConfiguration({ appId: 'x', msi: { perMachin: true } }, new DebugLogger(false))).rejects.toThrow(/configuration\.msi/);
  });

  it('ships only the built bundles, never the sandbox, tests or sources', async () => {
    const config = await loadConfig();
    expect(config.appId).toBe('io.stratus.desktop');
    expect(config.asar).toBe(true);
    // getConfig normalises `files` into [{ filter: [...] }].
    const files = (config.files ?? []).flatMap((entry) => (typeof entry === 'string' ? [entry] : (entry.filter ?? [])));
    expect(files).toEqual(expect.arrayContaining(['out/main/**', 'out/preload/**', 'out/renderer/**']));
    for (const pattern of files) expect(pattern).not.toMatch(/sandbox|test|src|out\/tsc/);
  });

  it('keeps native modules (.node files) out of the asar archive', async () => {
    const config = await loadConfig();
    const unpack = [config.asarUnpack ?? []].flat();
    expect(unpack).toContain('**/*.node');
  });

  it('keeps the Electron fuses of the desktop app issue (docs/security.md)', async () => {
    const config = await loadConfig();
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('builds an assisted NSIS installer where per-machine is selectable, and a per-machine MSI that never starts the app', async () => {
    const config = await loadConfig();
    expect(targetNames(config.win?.target)).toEqual(expect.arrayContaining(['nsis', 'msi']));
    expect(config.nsis).toMatchObject({ oneClick: false, allowElevation: true, allowToChangeInstallationDirectory: true });
    // perMachine true would remove the choice (no install-mode page); /allusers selects it silently.
    expect(config.nsis?.['perMachine']).not.toBe(true);
    expect(config.msi).toMatchObject({ perMachine: true, runAfterFinish: false });
    // A fixed upgrade code: a GUID, and the same one forever (changing it breaks major upgrades in the field).
    expect(config.msi?.['upgradeCode']).toMatch(/^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/);
    expect(config.msi?.['upgradeCode']).toBe('2A982CC2-CD94-5ECE-94EE-4424CBCEC1A8');
  });

  it('builds dmg, the zip updates use, and a non-relocatable pkg for MDM, with the hardened runtime', async () => {
    const config = await loadConfig();
    expect(targetNames(config.mac?.target)).toEqual(expect.arrayContaining(['dmg', 'zip', 'pkg']));
    expect(config.pkg?.['isRelocatable']).toBe(false);
    expect(config.mac?.hardenedRuntime).toBe(true);
    // Notarization is only switched on here; its credentials come from APPLE_* environment variables.
    expect(config.mac?.notarize).toBe(true);
    for (const file of [config.mac?.entitlements, config.mac?.entitlementsInherit]) {
      expect(file).toMatch(/^build\/entitlements.*\.plist$/);
      const entitlements = parsePlist(readFileSync(join(repo, file ?? ''), 'utf8')) as Record<string, unknown>;
      expect(entitlements['com.apple.security.cs.allow-jit']).toBe(true);
      // Nothing broader than Electron needs.
      expect(Object.keys(entitlements)).toEqual(['com.apple.security.cs.allow-jit']);
    }
  });

  it('builds deb, rpm and AppImage, with a homepage (fpm refuses to build without one)', async () => {
    const config = await loadConfig();
    expect(targetNames(config.linux?.target)).toEqual(expect.arrayContaining(['deb', 'rpm', 'AppImage']));
    expect(config.extraMetadata?.homepage).toMatch(/^https:\/\//);
  });

  it("installs electron-builder's AppArmor profile from the deb and rpm after-install script (Ubuntu 24+)", async () => {
    const config = await loadConfig();
    // No custom profile: the default one (unconfined, `userns` allowed) is the one wanted.
    expect(config.deb?.['appArmorProfile']).toBeUndefined();
    expect(config.rpm?.['appArmorProfile']).toBeUndefined();
    expect(config.deb?.['afterInstall']).toBeUndefined();
    expect(config.rpm?.['afterInstall']).toBeUndefined();
    // Pin the behaviour of the installed electron-builder, so an upgrade that drops it fails here.
    const templates = join(dirname(require.resolve('app-builder-lib/package.json')), 'templates', 'linux');
    const afterInstall = readFileSync(join(templates, 'after-install.tpl'), 'utf8');
    expect(afterInstall).toMatch(/APPARMOR_PROFILE_TARGET='\/etc\/apparmor\.d\/\$\{executable\}'/);
    expect(afterInstall).toMatch(/apparmor_parser --replace/);
    const profile = readFileSync(join(templates, 'apparmor-profile.tpl'), 'utf8');
    expect(profile).toMatch(/^\s*userns,/m);
    const fpmTarget = readFileSync(join(dirname(require.resolve('app-builder-lib/package.json')), 'out', 'targets', 'FpmTarget.js'), 'utf8');
    expect(fpmTarget).toMatch(/copyFile\)\(scripts\.appArmor, path\.join\(resourceDir, "apparmor-profile"\)\)/);
  });

  it('publishes update metadata for a generic server whose URL comes from the environment', async () => {
    const config = await loadConfig();
    expect(config.publish).toEqual({ provider: 'generic', url: '${env.STRATUS_UPDATE_URL}' });
    // The beta channel (UpdateChannel policy) must also see stable releases.
    expect(config.generateUpdatesFilesForAllChannels).toBe(true);
  });

  it('holds no certificate path, password or notarization credential', () => {
    const text = readFileSync(configFile, 'utf8');
    expect(findSecrets(text)).toEqual([]);
    expect(existsSync(join(repo, 'build'))).toBe(true);
  });

  it('the secret check bites on what a leaked configuration looks like', () => {
    expect(findSecrets('win:\n  cscLink: build/cert.p12\n')).toHaveLength(2);
    expect(findSecrets('mac:\n  cscKeyPassword: hunter2\n')).toHaveLength(1);
    expect(findSecrets('# CSC_KEY_PASSWORD=hunter2\n')).toHaveLength(1);
    expect(findSecrets('win:\n  signtoolOptions:\n    certificatePassword: x\n')).toHaveLength(1);
    // Naming the variables, as the comments do, is fine.
    expect(findSecrets('# Signing reads CSC_LINK / CSC_KEY_PASSWORD from the environment.\n')).toEqual([]);
  });
});
