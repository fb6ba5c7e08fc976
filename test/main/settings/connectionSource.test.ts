/**
 * Where the app's connection comes from at start: STRATUS_CONFIG, then
 * <userData>/stratus.json, then what the settings already hold.
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConnectionSource, noConnectionMessage } from '../../../src/main/settings/connectionSource.js';
import type { StratusConfig } from '../../../src/shared/StratusConfig.js';

const aws = (bucket: string): StratusConfig => ({ version: 1, auth: 'aws', region: 'us-east-1', bucket, prefix: 'team/ada/' });

async function dir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'stratus-conn-'));
}

describe('loadConnectionSource', () => {
  it('prefers the STRATUS_CONFIG file, and offers its folder (relative to the file)', async () => {
    const d = await dir();
    await writeFile(join(d, 'admin.json'), JSON.stringify({ ...aws('from-env'), folder: 'Synced' }));
    await writeFile(join(d, 'stratus.json'), JSON.stringify(aws('from-user-data')));
    const source = await loadConnectionSource({ env: { STRATUS_CONFIG: join(d, 'admin.json') }, userDataDir: d, stored: aws('stored') });
    expect(source).toEqual({ origin: 'STRATUS_CONFIG', connection: aws('from-env'), file: join(d, 'admin.json'), folder: join(d, 'Synced'), problems: [] });
  });

  it('falls back to <userData>/stratus.json, then to the stored connection', async () => {
    const d = await dir();
    expect((await loadConnectionSource({ env: {}, userDataDir: d, stored: aws('stored') }))).toEqual({ origin: 'settings', connection: aws('stored'), problems: [] });
    await writeFile(join(d, 'stratus.json'), JSON.stringify(aws('from-user-data')));
    const source = await loadConnectionSource({ env: {}, userDataDir: d, stored: aws('stored') });
    expect(source.origin).toBe('userData');
    expect(source.connection?.bucket).toBe('from-user-data');
  });

  it('says what is wrong with a broken or missing STRATUS_CONFIG file and uses the next source', async () => {
    const d = await dir();
    await writeFile(join(d, 'bad.json'), JSON.stringify({ auth: 'aws', region: 'us-east-1', bucket: 'UPPER' }));
    const broken = await loadConnectionSource({ env: { STRATUS_CONFIG: join(d, 'bad.json') }, userDataDir: d, stored: aws('stored') });
    expect(broken.origin).toBe('settings');
    expect(broken.problems.join('\n')).toMatch(/connection: bucket "UPPER" is not a valid S3 bucket name \(in .*bad\.json\)/);
    const missing = await loadConnectionSource({ env: { STRATUS_CONFIG: join(d, 'nope.json') }, userDataDir: d });
    expect(missing.origin).toBe('none');
    expect(missing.problems).toEqual([`the config file ${join(d, 'nope.json')} cannot be read (ENOENT) (from STRATUS_CONFIG)`]);
  });

  it('reports nothing when simply nothing is configured, and the message says where a file goes', async () => {
    const d = await dir();
    expect(await loadConnectionSource({ env: {}, userDataDir: d })).toEqual({ origin: 'none', problems: [] });
    expect(noConnectionMessage(d)).toContain(join(d, 'stratus.json'));
  });
});
