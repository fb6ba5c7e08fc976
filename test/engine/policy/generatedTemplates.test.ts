import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, parse } from 'plist';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManagedPreferencesPolicySource } from '../../../src/engine/policy/ManagedPreferencesPolicySource.js';
import { PolicyFileSource } from '../../../src/engine/policy/PolicyFileSource.js';
import { layerFromEntries, type RegKey } from '../../../src/engine/policy/RegistryPolicySource.js';
import { POLICIES } from '../../../src/shared/policies.js';

// The readers must read what admins deploy from the committed, generated templates (build/policies/).
const templates = join(import.meta.dirname, '../../../build/policies');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-templates-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the generated policy templates, read back by the readers', () => {
  it('reads the Linux policy.example.json with no problem', async () => {
    const layer = await new PolicyFileSource({ file: join(templates, 'linux/policy.example.json'), checkOwnership: () => undefined }).read();
    expect(layer.problems).toEqual([]);
    expect(layer.enforced['LockBackend']).toBe(true);
    expect(Object.keys(layer.defaults).length).toBeGreaterThan(0);
  });

  it('reads the .mobileconfig example\'s payload, as macOS installs it in Managed Preferences, with no problem', async () => {
    const profile = parse(await readFile(join(templates, 'macos/io.stratus.desktop.mobileconfig'), 'utf8')) as { PayloadContent: Record<string, never>[] };
    const payload = profile.PayloadContent.find((p) => p['PayloadType'] === 'io.stratus.desktop');
    expect(payload).toBeDefined();
    const file = join(dir, 'io.stratus.desktop.plist');
    await writeFile(file, build(payload ?? {}));
    const layer = await new ManagedPreferencesPolicySource({ file }).read();
    expect(layer.problems).toEqual([]);
    expect(Object.keys(layer.enforced).length).toBeGreaterThan(0);
  });

  it('reads every registry location the ADMX writes: the policy key, Defaults, and list subkeys', async () => {
    const admx = await readFile(join(templates, 'windows/Stratus.admx'), 'utf8');
    const keys = new Set([...admx.matchAll(/key="([^"]+)"/g)].map((m) => m[1] ?? ''));
    const base = 'Software\\Policies\\Stratus';
    for (const key of keys) expect(key === base || key.startsWith(`${base}\\`)).toBe(true);
    // A list subkey is named after its policy: the reader maps each to a string-list policy.
    const lists = [...keys].map((k) => k.slice(base.length + 1)).filter((p) => p !== '' && p !== 'Defaults');
    const withEntries: RegKey[] = lists.map((path) => ({ path, values: [{ name: '1', type: 'REG_SZ', data: 'x' }] }));
    const layer = layerFromEntries(`HKLM\\${base}`, withEntries);
    expect(layer.problems).toEqual([]);
    const listPolicies = POLICIES.filter((p) => p.type === 'string-list');
    expect(Object.keys(layer.enforced).sort()).toEqual(listPolicies.filter((p) => p.canBeEnforced).map((p) => p.name).sort());
    expect(Object.keys(layer.defaults).sort()).toEqual(listPolicies.filter((p) => p.canBeDefault).map((p) => p.name).sort());
    // Every value name the ADMX writes is a policy name.
    const valueNames = new Set([...admx.matchAll(/valueName="([^"]+)"/g)].map((m) => m[1]));
    expect([...valueNames].filter((name) => !POLICIES.some((p) => p.name === name))).toEqual([]);
  });
});
