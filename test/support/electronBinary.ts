/**
 * Finds a runnable Electron binary without triggering the electron package's
 * download-on-first-use (requiring `electron` under plain Node fetches it).
 * Returns undefined when none is present, as on machines without internet.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export function findElectronBinary(): string | undefined {
  const override = process.env['STRATUS_ELECTRON'];
  if (override !== undefined && override !== '') return existsSync(override) ? override : undefined;
  let packageDir: string;
  try {
    packageDir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
  const pathFile = join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return undefined;
  const binary = join(packageDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : undefined;
}
