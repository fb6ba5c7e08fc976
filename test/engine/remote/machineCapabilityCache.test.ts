/**
 * FileCapabilityCache (machineCapabilityCache.ts) on real files: entries
 * survive a new instance, an empty value removes one, a damaged or foreign
 * file is a miss (and is replaced on the next write), the number of servers
 * is bounded, and a folder it cannot write is a silent miss, never an error.
 */
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileCapabilityCache } from '../../../src/engine/remote/machineCapabilityCache.js';

describe('FileCapabilityCache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stratus-servers-'));
  });
  afterEach(async () => {
    await chmod(dir, 0o700).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps records across instances (creating its folder) and removes one given an empty value', async () => {
    const file = join(dir, 'state', 'servers.json');
    await new FileCapabilityCache(file).set('a', '{"x":1}');
    await new FileCapabilityCache(file).set('b', '{"x":2}');
    const cache = new FileCapabilityCache(file);
    expect(await cache.get('a')).toBe('{"x":1}');
    expect(await cache.get('b')).toBe('{"x":2}');
    await cache.set('a', '');
    expect(await cache.get('a')).toBeUndefined();
    expect(await cache.get('b')).toBe('{"x":2}');
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ version: 1, servers: { b: '{"x":2}' } });
  });

  it('reads a damaged or foreign file as empty, and replaces it on the next write', async () => {
    const file = join(dir, 'servers.json');
    for (const content of ['{"version":1,"servers":{"a":"{}"', '{"version":2,"servers":{"a":"{}"}}', '[1,2]', '{"version":1,"servers":{"a":3}}']) {
      await writeFile(file, content);
      expect(await new FileCapabilityCache(file).get('a')).toBeUndefined();
    }
    await new FileCapabilityCache(file).set('b', 'v');
    expect(await new FileCapabilityCache(file).get('b')).toBe('v');
  });

  it('keeps at most 64 servers, dropping the oldest written', async () => {
    const cache = new FileCapabilityCache(join(dir, 'servers.json'));
    for (let i = 0; i < 70; i++) await cache.set(`s${i}`, String(i));
    expect(await cache.get('s0')).toBeUndefined();
    expect(await cache.get('s5')).toBeUndefined();
    expect(await cache.get('s6')).toBe('6');
    expect(await cache.get('s69')).toBe('69');
  });

  it.skipIf(process.getuid?.() === 0)('is a silent miss in a folder it cannot write (root can write anywhere: skipped as root)', async () => {
    await chmod(dir, 0o500);
    const cache = new FileCapabilityCache(join(dir, 'servers.json'));
    await expect(cache.set('a', 'v')).resolves.toBeUndefined();
    expect(await cache.get('a')).toBeUndefined();
  });

  it('is a silent miss when its path is taken by a folder, and leaves no temp file', async () => {
    const taken = join(dir, 'servers.json');
    await mkdir(taken);
    const cache = new FileCapabilityCache(taken);
    await expect(cache.set('a', 'v')).resolves.toBeUndefined();
    expect(await cache.get('a')).toBeUndefined();
    expect(await readdir(dir)).toEqual(['servers.json']);
  });
});
