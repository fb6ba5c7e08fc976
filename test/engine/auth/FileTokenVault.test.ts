/**
 * The CLI's token vault: a 0600 file in 0700 folders, one per issuer + app
 * client, atomic replacement, and clear errors for a damaged file.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileTokenVault } from '../../../src/engine/auth/FileTokenVault.js';
import { cliStateDir } from '../../../src/engine/auth/stateDir.js';
import type { StoredSession } from '../../../src/engine/auth/TokenVault.js';

const ISSUER = 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC';
const SESSION: StoredSession = {
  refreshToken: 'opaque-refresh-token',
  sub: '9e4cd1a6-206e-59f5-af78-4775e4c47df4',
  username: 'ada',
  email: 'ada@example.com',
  identity: { identityPoolId: 'us-east-1:5a3d1c7e-0b7f-4c55-9a8e-2f6d4b1c9e01', identityId: 'us-east-1:0000' },
  signedInAt: '2025-01-01T00:00:00.000Z',
};

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'stratus-vault-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('FileTokenVault', () => {
  it('stores the session in a 0600 file inside 0700 folders and reads it back', async () => {
    const stateDir = join(dir, 'state');
    const vault = new FileTokenVault({ stateDir, issuer: ISSUER, clientId: 'client-a' });
    expect(await vault.get()).toBeUndefined();
    await vault.set(SESSION);
    expect(await vault.get()).toEqual(SESSION);
    expect((await stat(vault.file)).mode & 0o777).toBe(0o600);
    expect((await stat(stateDir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(stateDir, 'sessions'))).mode & 0o777).toBe(0o700);
    // Replaced atomically: no temp files are left behind.
    await vault.set({ ...SESSION, refreshToken: 'rotated' });
    expect(await readdir(join(stateDir, 'sessions'))).toHaveLength(1);
    expect((await vault.get())?.refreshToken).toBe('rotated');
  });

  it('tightens a state folder that already existed with looser permissions', async () => {
    const vault = new FileTokenVault({ stateDir: dir, issuer: ISSUER, clientId: 'client-a' });
    await vault.set(SESSION);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });

  it('keeps the sessions of two accounts (issuer + client) apart', async () => {
    const a = new FileTokenVault({ stateDir: dir, issuer: ISSUER, clientId: 'client-a' });
    const b = new FileTokenVault({ stateDir: dir, issuer: ISSUER, clientId: 'client-b' });
    const c = new FileTokenVault({ stateDir: dir, issuer: `${ISSUER}x`, clientId: 'client-a' });
    await a.set(SESSION);
    expect(new Set([a.file, b.file, c.file]).size).toBe(3);
    expect(await b.get()).toBeUndefined();
    expect(await c.get()).toBeUndefined();
    await b.clear();
    expect(await a.get()).toEqual(SESSION);
  });

  it('does not hand a file written for another account to this one', async () => {
    const a = new FileTokenVault({ stateDir: dir, issuer: ISSUER, clientId: 'client-a' });
    await a.set(SESSION);
    const file = JSON.parse(await readFile(a.file, 'utf8')) as Record<string, unknown>;
    await writeFile(a.file, JSON.stringify({ ...file, clientId: 'someone-else' }));
    expect(await a.get()).toBeUndefined();
  });

  it('reports a damaged file with its path, and clear() still removes it', async () => {
    const vault = new FileTokenVault({ stateDir: dir, issuer: ISSUER, clientId: 'client-a' });
    await vault.set(SESSION);
    await writeFile(vault.file, '{ not json');
    await expect(vault.get()).rejects.toMatchObject({ code: 'token-vault-damaged', message: expect.stringContaining(vault.file) as unknown });
    await vault.clear();
    await vault.clear();
    expect(await vault.get()).toBeUndefined();
  });
});

describe('cliStateDir', () => {
  it('writes only the session fields: an ID or access token riding along never reaches the file', async () => {
    const vault = new FileTokenVault({ stateDir: dir, issuer: ISSUER, clientId: 'client-a' });
    await vault.set({ ...SESSION, idToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.sig', accessToken: 'secret-access' } as StoredSession);
    const text = await readFile(vault.file, 'utf8');
    expect(text).toContain(SESSION.refreshToken);
    expect(text).not.toMatch(/eyJ|idToken|accessToken|secret-access/);
    expect(await vault.get()).toEqual(SESSION);
  });

  it('uses STRATUS_STATE_DIR first, then the platform folder', () => {
    expect(cliStateDir({ STRATUS_STATE_DIR: '/tmp/s', HOME: '/home/ada' }, 'linux')).toBe('/tmp/s');
    expect(cliStateDir({ STRATUS_STATE_DIR: 'rel' }, 'linux', '/work')).toBe('/work/rel');
    expect(cliStateDir({ HOME: '/home/ada', XDG_CONFIG_HOME: '/home/ada/.cfg' }, 'linux')).toBe('/home/ada/.cfg/stratus');
    expect(cliStateDir({ HOME: '/home/ada' }, 'linux')).toBe('/home/ada/.config/stratus');
    // A relative XDG_CONFIG_HOME is invalid per the XDG spec and ignored.
    expect(cliStateDir({ HOME: '/home/ada', XDG_CONFIG_HOME: 'cfg' }, 'linux')).toBe('/home/ada/.config/stratus');
    expect(cliStateDir({ HOME: '/Users/ada' }, 'darwin')).toBe('/Users/ada/Library/Application Support/Stratus');
    expect(cliStateDir({ APPDATA: 'C:\\Users\\ada\\AppData\\Roaming' }, 'win32')).toBe('C:\\Users\\ada\\AppData\\Roaming\\Stratus');
  });
});
