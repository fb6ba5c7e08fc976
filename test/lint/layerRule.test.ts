/**
 * Proves the Layer Rule bites: probe files with forbidden imports are written
 * into the real layer folders and linted with the project's own ESLint config,
 * exactly as `npm run lint` lints them; each must fail with no-restricted-imports.
 * Allowed imports are checked too, so the rule cannot pass by forbidding everything.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ESLint } from 'eslint';
import { afterEach, describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const written: string[] = [];

async function lintProbe(layerDir: string, source: string): Promise<string[]> {
  const file = join(repo, layerDir, `__layer_probe_${process.pid}_${written.length}__.ts`);
  written.push(file);
  await writeFile(file, source);
  const eslint = new ESLint({ cwd: repo });
  const [result] = await eslint.lintFiles([file]);
  return (result?.messages ?? []).map((m) => m.ruleId ?? `fatal: ${m.message}`);
}

afterEach(async () => {
  await Promise.all(written.splice(0).map((file) => rm(file, { force: true })));
});

describe('the Layer Rule in npm run lint', () => {
  it.each([
    ['src/core', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['src/engine', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['src/cli', "import { app } from 'electron';\nexport const probe = app;\n"],
    ['src/renderer', "import { ipcRenderer } from 'electron';\nexport const probe = ipcRenderer;\n"],
  ])('rejects an electron import in %s', async (layer, source) => {
    expect(await lintProbe(layer, source)).toContain('no-restricted-imports');
  });

  it('rejects node:* and npm imports in the pure core', async () => {
    expect(await lintProbe('src/core', "import { readFile } from 'node:fs/promises';\nexport const probe = readFile;\n")).toContain(
      'no-restricted-imports',
    );
    expect(await lintProbe('src/core', "import PQueue from 'p-queue';\nexport const probe = PQueue;\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('rejects imports that flow away from the engine', async () => {
    expect(await lintProbe('src/core', "export type { StatusSnapshot } from '../shared/StratusApi.js';\n")).toContain(
      'no-restricted-imports',
    );
    expect(await lintProbe('src/engine', "export { composeApp } from '../main/composition.js';\n")).toContain(
      'no-restricted-imports',
    );
    expect(await lintProbe('src/renderer', "export { StatusService } from '../main/StatusService.js';\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('rejects an import of the sandbox from src/', async () => {
    expect(await lintProbe('src/engine', "export { CredentialStore } from '../../sandbox/CredentialStore.js';\n")).toContain(
      'no-restricted-imports',
    );
  });

  it('accepts the imports the architecture allows', async () => {
    expect(await lintProbe('src/main', "import { app } from 'electron';\nexport const probe = app;\n")).toEqual([]);
    expect(await lintProbe('src/engine', "export { StratusError } from '../core/StratusError.js';\n")).toEqual([]);
    expect(await lintProbe('src/renderer', "export type { StatusSnapshot } from '../shared/StratusApi.js';\n")).toEqual([]);
  });
});
