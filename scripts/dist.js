#!/usr/bin/env node
// `npm run dist`: the installers for the host OS (electron-builder.yml lists them:
// Windows NSIS + MSI, macOS dmg + zip + pkg, Linux deb + rpm + AppImage).
// electron-builder needs an Electron build for the target, which is downloaded on
// first use; where none can be had this script says what it needs and exits 2
// instead of failing after a long download timeout. Otherwise it runs
// `electron-vite build`, then electron-builder for the host OS with `--publish never`.
//
//   node scripts/dist.js            build (extra arguments go to electron-builder,
//                                   e.g. `npm run dist -- --linux deb`)
//   node scripts/dist.js --check    only say whether a build can run here (exit 0 or 2)
//
// Emits: one line naming the Electron it will use, or the list of what is missing (stderr).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const checkOnly = args.includes('--check');
const builderArgs = args.filter((a) => a !== '--check');

const electronVersion = JSON.parse(readFileSync(join(root, 'node_modules', 'electron', 'package.json'), 'utf8')).version;
const platform = process.platform;
const arch = process.arch;
/** electron-builder's flag for the host OS. */
const hostFlag = { win32: '--win', darwin: '--mac', linux: '--linux' }[platform];
/** The executable inside an unpacked Electron for this OS (what node_modules/electron/path.txt holds). */
const executableName = { win32: 'electron.exe', darwin: 'Electron.app/Contents/MacOS/Electron', linux: 'electron' }[platform];

/** An unpacked Electron directory usable as electron-builder's `electronDist`, and where it came from. */
function localElectronDist() {
  const override = process.env.ELECTRON_OVERRIDE_DIST_PATH;
  if (override) {
    if (executableName && existsSync(join(override, executableName))) return { dir: resolve(override), from: 'ELECTRON_OVERRIDE_DIST_PATH' };
    console.error(`dist: ELECTRON_OVERRIDE_DIST_PATH=${override} has no ${executableName} in it; ignoring it.`);
  }
  // Same lookup as test/support/electronBinary.ts: the electron package's own download, if it happened.
  const packageDir = join(root, 'node_modules', 'electron');
  const pathFile = join(packageDir, 'path.txt');
  if (existsSync(pathFile) && existsSync(join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim()))) {
    return { dir: join(packageDir, 'dist'), from: 'node_modules/electron/dist' };
  }
  return undefined;
}

/** The cache @electron/get (and so electron-builder) reads before downloading. */
function electronCacheDirs() {
  const dirs = [process.env.electron_config_cache, process.env.ELECTRON_CACHE].filter(Boolean);
  if (platform === 'darwin') dirs.push(join(homedir(), 'Library', 'Caches', 'electron'));
  else if (platform === 'win32') dirs.push(join(process.env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'electron', 'Cache'));
  else dirs.push(join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'electron'));
  return dirs;
}

/** A cached `electron-v<version>-<platform>-<arch>.zip` (at the cache's top or one folder down). */
function cachedElectronZip() {
  const zip = `electron-v${electronVersion}-${platform}-${arch}.zip`;
  for (const dir of electronCacheDirs()) {
    if (existsSync(join(dir, zip))) return join(dir, zip);
    let entries;
    try {
      entries = readdirSync(dir);
    } catch {
      continue;
    }
    for (const entry of entries) {
      const candidate = join(dir, entry, zip);
      if (existsSync(candidate) && statSync(candidate).size > 0) return candidate;
    }
  }
  return undefined;
}

/** Whether Electron's release (or ELECTRON_MIRROR) answers, within a few seconds. */
async function canDownloadElectron() {
  const base = process.env.ELECTRON_MIRROR ?? 'https://github.com/electron/electron/releases/download/';
  const url = `${base.endsWith('/') ? base : `${base}/`}v${electronVersion}/SHASUMS256.txt`;
  try {
    const response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal: AbortSignal.timeout(5000) });
    return response.ok;
  } catch {
    return false;
  }
}

/** What each host can build, and what it needs besides Electron. */
function hostNotes() {
  return [
    'Per target:',
    '  Windows (NSIS, MSI): build on a Windows host; on Linux/macOS NSIS needs wine, and the MSI (WiX) and',
    '    signing (WIN_CSC_LINK / WIN_CSC_KEY_PASSWORD, from the environment) need a Windows host.',
    '  macOS (dmg, zip, pkg): needs a Mac (hdiutil, pkgbuild, codesign); signing reads CSC_LINK / CSC_KEY_PASSWORD',
    '    (and CSC_INSTALLER_LINK for the pkg), notarization APPLE_ID, APPLE_APP_SPECIFIC_PASSWORD, APPLE_TEAM_ID.',
    '  Linux (deb, rpm, AppImage): electron-builder downloads fpm and the AppImage tools on first use (internet);',
    '    rpm also needs rpmbuild (apt-get install rpm).',
  ];
}

const local = localElectronDist();
const cached = local ? undefined : cachedElectronZip();
let source;
if (local) source = `the Electron in ${local.dir} (${local.from})`;
else if (cached) source = `the cached Electron ${cached}`;
else if (await canDownloadElectron()) source = `Electron ${electronVersion}, downloaded by electron-builder`;

if (source === undefined || hostFlag === undefined) {
  const lines = [
    hostFlag === undefined
      ? `dist: electron-builder cannot build installers on ${platform}.`
      : `dist: cannot build installers here: no Electron ${electronVersion} for ${platform}-${arch}, and its download is unreachable.`,
    'It needs one of:',
    `  - internet access to download Electron ${electronVersion} (github.com, or a mirror in ELECTRON_MIRROR);`,
    `  - ELECTRON_OVERRIDE_DIST_PATH=<a folder holding an unpacked Electron ${electronVersion}, i.e. ${executableName}>;`,
    `  - electron_config_cache=<a folder holding electron-v${electronVersion}-${platform}-${arch}.zip> (Electron's download cache);`,
    '  - `npx install-electron` (or any run of the electron package that downloads it) done once with internet.',
    ...hostNotes(),
  ];
  console.error(lines.join('\n'));
  process.exit(2);
}

console.log(`dist: packaging for ${platform}-${arch} with ${source}.`);
if (checkOnly) {
  console.log(hostNotes().join('\n'));
  process.exit(0);
}

// electron-builder.yml's publish URL comes from the environment (the feed the app checks).
const env = { ...process.env };
if (!env.STRATUS_UPDATE_URL) {
  env.STRATUS_UPDATE_URL = 'https://updates.stratus.invalid/desktop';
  console.warn(
    `dist: STRATUS_UPDATE_URL is not set; the installers will look for updates at ${env.STRATUS_UPDATE_URL}, ` +
      'which does not exist. Set it to your update server for a release build.',
  );
}

/** Runs a Node CLI from node_modules in the foreground; exits with its code when it fails. */
function run(script, scriptArgs) {
  const result = spawnSync(process.execPath, [join(root, 'node_modules', ...script), ...scriptArgs], { cwd: root, stdio: 'inherit', env });
  if (result.status !== 0) process.exit(result.status ?? 1);
}

run(['electron-vite', 'bin', 'electron-vite.js'], ['build']);
const electronArgs = local ? [`-c.electronDist=${local.dir}`, `-c.electronVersion=${electronVersion}`] : [];
const explicitPlatform = builderArgs.some((a) => ['--win', '-w', '--mac', '-m', '--linux', '-l'].includes(a));
run(['electron-builder', 'cli.js'], [...(explicitPlatform ? [] : [hostFlag]), '--publish', 'never', ...electronArgs, ...builderArgs]);
