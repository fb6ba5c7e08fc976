import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SettingFlags } from '../../src/cli/args.js';
import { checkFolder, engineSettings, folderSetting, mergeSettings, validateSyncSettings, type Env } from '../../src/cli/config.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-cli-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function configFile(name: string, content: unknown): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

async function settings(flags: SettingFlags, env: Env = {}) {
  const merged = await mergeSettings(flags, env, dir);
  if (!merged.ok) throw new Error(`merge failed: ${merged.errors.join('; ')}`);
  return merged.merged;
}

describe('settings precedence', () => {
  it('takes flags over environment over the config file over defaults', async () => {
    const file = await configFile('all.json', { version: 1, auth: 'aws', region: 'eu-west-1', bucket: 'from-file', prefix: 'file/', endpoint: 'http://file:1', folder: '/file' });
    const merged = await settings(
      { config: file, bucket: 'from-flag' },
      { STRATUS_BUCKET: 'from-env', STRATUS_REGION: 'us-west-2', AWS_REGION: 'ap-south-1' },
    );
    expect(merged.raw).toMatchObject({ bucket: 'from-flag', region: 'us-west-2', prefix: 'file/', endpoint: 'http://file:1', folder: '/file' });
    expect(merged.sources.get('bucket')).toBe('--bucket');
    expect(merged.sources.get('region')).toBe('STRATUS_REGION');
    expect(merged.sources.get('prefix')).toBe(`the config file ${file}`);
  });

  it('finds the config file through STRATUS_CONFIG, and --config wins over it', async () => {
    const a = await configFile('a.json', { bucket: 'bucket-a' });
    const b = await configFile('b.json', { bucket: 'bucket-b' });
    expect((await settings({}, { STRATUS_CONFIG: a })).raw['bucket']).toBe('bucket-a');
    expect((await settings({ config: b }, { STRATUS_CONFIG: a })).raw['bucket']).toBe('bucket-b');
  });

  it('defaults auth to aws and region to AWS_REGION, and treats empty variables as unset', async () => {
    const merged = await settings({}, { AWS_REGION: 'eu-central-1', STRATUS_BUCKET: '' });
    expect(merged.raw).toMatchObject({ version: 1, auth: 'aws', region: 'eu-central-1' });
    expect(merged.raw['bucket']).toBeUndefined();
  });

  it('uses path-style addressing with an endpoint unless the config file says otherwise', async () => {
    expect((await settings({ endpoint: 'http://127.0.0.1:9000' })).raw['forcePathStyle']).toBe(true);
    expect((await settings({})).raw['forcePathStyle']).toBeUndefined();
    const file = await configFile('vhost.json', { forcePathStyle: false });
    expect((await settings({ config: file, endpoint: 'http://minio.local:9000' })).raw['forcePathStyle']).toBe(false);
  });

  it('resolves a folder flag against the working directory, a config folder against the file, and ~ against HOME', async () => {
    expect((await settings({ folder: 'sub' })).raw['folder']).toBe(join(dir, 'sub'));
    await mkdir(join(dir, 'conf'), { recursive: true });
    const file = await configFile('conf/relative.json', { folder: '../data' });
    expect((await settings({ config: file })).raw['folder']).toBe(join(dir, 'data'));
    expect((await settings({ folder: '~/Stratus' }, { HOME: '/home/ada' })).raw['folder']).toBe('/home/ada/Stratus');
  });
});

describe('settings validation', () => {
  it('lists every problem in one line each, saying where a bad value came from and how to give a missing one', async () => {
    const merged = await settings({ bucket: 'Bad_Bucket', endpoint: 'ftp://x', prefix: '/abs' }, {});
    const result = validateSyncSettings(merged);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      'no region given: use --region, STRATUS_REGION, AWS_REGION or "region" in the config file',
      'bucket "Bad_Bucket" is not a valid S3 bucket name (from --bucket)',
      'endpoint must be an http(s) URL such as https://example.com, got "ftp://x" (from --endpoint)',
      'prefix must not start with "/" and must end with "/" (e.g. "team/ada/") (from --prefix)',
      'no folder given: use --folder, STRATUS_FOLDER or "folder" in the config file',
    ]);
  });

  it('names the config file for a value that came from it, including a version from a newer Stratus', async () => {
    const file = await configFile('v2.json', { version: 2, auth: 'aws', region: 'r', bucket: 'stratus', prefix: 'p/', folder: '/x' });
    const result = validateSyncSettings(await settings({ config: file }));
    expect(result).toEqual({ ok: false, errors: [`version must be 1, got 2 (from the config file ${file})`] });
  });

  it('says how to give a missing prefix in aws mode', async () => {
    const result = validateSyncSettings(await settings({ bucket: 'stratus', region: 'us-east-1', folder: '/x' }));
    expect(result).toEqual({ ok: false, errors: ['no prefix given: use --prefix, STRATUS_PREFIX or "prefix" in the config file'] });
  });

  it('accepts complete settings', async () => {
    const result = validateSyncSettings(await settings({ bucket: 'stratus', region: 'us-east-1', prefix: 'p/', folder: '/x', endpoint: 'http://127.0.0.1:1' }));
    expect(result).toEqual({
      ok: true,
      settings: { version: 1, auth: 'aws', bucket: 'stratus', region: 'us-east-1', prefix: 'p/', folder: '/x', endpoint: 'http://127.0.0.1:1', forcePathStyle: true },
    });
  });

  it('reports an unreadable or malformed config file in one line', async () => {
    const missing = await mergeSettings({ config: 'nope.json' }, {}, dir);
    expect(missing).toEqual({ ok: false, errors: [`the config file "${join(dir, 'nope.json')}" does not exist (check --config)`] });
    const fromEnv = await mergeSettings({}, { STRATUS_CONFIG: 'nope.json' }, dir);
    expect(fromEnv.ok ? '' : fromEnv.errors[0]).toContain('(check STRATUS_CONFIG)');
    const broken = await configFile('broken.json', '{ "bucket": ');
    const bad = await mergeSettings({ config: broken }, {}, dir);
    expect(bad.ok ? '' : bad.errors[0]).toMatch(/^the config file ".*broken\.json" is not valid JSON \(/);
    const list = await configFile('list.json', '[1]');
    const notObject = await mergeSettings({ config: list }, {}, dir);
    expect(notObject.ok ? '' : notObject.errors[0]).toContain('must hold one JSON object');
  });

  it('needs only the folder for status', async () => {
    expect(folderSetting(await settings({ folder: '/x' }))).toEqual({ ok: true, folder: '/x' });
    expect(folderSetting(await settings({}))).toEqual({ ok: false, error: 'no folder given: use --folder, STRATUS_FOLDER or "folder" in the config file' });
  });

  it('refuses a folder that does not exist or is a file', async () => {
    expect(await checkFolder(dir)).toBeUndefined();
    expect(await checkFolder(join(dir, 'absent'))).toBe(`the folder "${join(dir, 'absent')}" does not exist (create it first, or check the path)`);
    const file = await configFile('plain.txt', 'x');
    expect(await checkFolder(file)).toBe(`"${file}" is a file, not a folder (choose a folder to sync)`);
  });
});

describe('preferences in the config file', () => {
  const connection = { version: 1, auth: 'aws', region: 'eu-west-1', bucket: 'stratus', prefix: 'p/', folder: '/x' };

  it('carries deviceName, bandwidth, massDelete and logLevel from the file, naming it as their source', async () => {
    const file = await configFile('prefs.json', {
      ...connection, deviceName: 'ada-laptop', bandwidth: { upBytesPerSecond: 1024 }, massDelete: { maxFiles: 3, maxRatio: 0.25 }, logLevel: 'warn',
    });
    const merged = await settings({ config: file });
    for (const key of ['deviceName', 'bandwidth', 'massDelete', 'logLevel']) expect(merged.sources.get(key)).toBe(`the config file ${file}`);
    const result = validateSyncSettings(merged);
    expect(result).toMatchObject({
      ok: true,
      settings: { deviceName: 'ada-laptop', bandwidth: { upBytesPerSecond: 1024 }, massDelete: { maxFiles: 3, maxRatio: 0.25 }, logLevel: 'warn' },
    });
    if (result.ok) expect(engineSettings(result.settings)).toEqual({ deviceName: 'ada-laptop', maxDeletes: 3, maxDeleteRatio: 0.25 });
  });

  it('leaves the engine its defaults when the file names no preference', async () => {
    const result = validateSyncSettings(await settings({ config: await configFile('plain.json', connection) }));
    expect(result.ok).toBe(true);
    if (result.ok) expect(engineSettings(result.settings)).toEqual({});
  });

  it('takes the app settings file as it is: app-only keys are ignored', async () => {
    const file = await configFile('settings.json', {
      ...connection, startAtLogin: true, notifications: true, bandwidth: {}, pauseOnBattery: false,
      massDelete: { maxFiles: 500, maxRatio: 0.5 }, logLevel: 'info', useSystemBrowser: false, allowPlaintextTokenStorage: false,
    });
    expect(validateSyncSettings(await settings({ config: file })).ok).toBe(true);
  });

  it('says which preference in which file is wrong, one line each', async () => {
    const file = await configFile('bad-prefs.json', { ...connection, massDelete: { maxFiles: 0, maxRatio: 0.5 }, logLevel: 'loud' });
    expect(validateSyncSettings(await settings({ config: file }))).toEqual({
      ok: false,
      errors: [
        `massDelete.maxFiles must be a whole number of files, 1 or more, got 0 (from the config file ${file})`,
        `logLevel must be one of "debug", "info", "warn", "error", got "loud" (from the config file ${file})`,
      ],
    });
  });
});
