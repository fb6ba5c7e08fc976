/**
 * The app's token vault over a fake safeStorage, in plain Node: encrypted 0600
 * file in userData when a keyring backs safeStorage; on Linux's basic_text
 * backend (or without encryption) memory only unless the user opted in, with
 * a reason the UI can show; never an ID/access token on disk.
 */
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StoredSession } from '../../../src/engine/auth/TokenVault.js';
import { SafeStorageTokenVault, type SafeStoragePort, type SafeStorageTokenVaultOptions } from '../../../src/main/auth/SafeStorageTokenVault.js';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI';
const SESSION: StoredSession = {
  refreshToken: 'opaque-refresh-token-0123456789',
  sub: '9e4cd1a6-206e-59f5-af78-4775e4c47df4',
  username: 'ada',
  email: 'ada@example.com',
  identity: { identityPoolId: 'eu-west-1:5a3d1c7e-0b7f-4c55-9a8e-2f6d4b1c9e01', identityId: 'eu-west-1:0000' },
  signedInAt: '2025-01-01T00:00:00.000Z',
};

/**
 * A stand-in for Electron's safeStorage: a reversible transformation keyed by
 * `key` (so "another keyring" cannot decrypt), and every call recorded.
 */
class FakeSafeStorage implements SafeStoragePort {
  backend = 'gnome_libsecret';
  available = true;
  key = 7;
  shouldReEncrypt = false;
  readonly encrypted: string[] = [];

  isAsyncEncryptionAvailable(): Promise<boolean> {
    return Promise.resolve(this.available);
  }

  encryptStringAsync(plainText: string): Promise<Buffer> {
    if (!this.available) return Promise.reject(new Error('Encryption is not available.'));
    this.encrypted.push(plainText);
    const bytes = Buffer.from(`fake-safe-storage:${this.key}:${plainText}`, 'utf8');
    return Promise.resolve(Buffer.from(bytes.map((b) => b ^ this.key)));
  }

  decryptStringAsync(encrypted: Buffer): Promise<{ shouldReEncrypt: boolean; result: string }> {
    const text = Buffer.from(encrypted.map((b) => b ^ this.key)).toString('utf8');
    const prefix = `fake-safe-storage:${this.key}:`;
    if (!text.startsWith(prefix)) return Promise.reject(new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.'));
    return Promise.resolve({ shouldReEncrypt: this.shouldReEncrypt, result: text.slice(prefix.length) });
  }

  getSelectedStorageBackend(): string {
    return this.backend;
  }
}

let userDataDir: string;
let safeStorage: FakeSafeStorage;
let allowPlaintext: boolean;

beforeEach(async () => {
  userDataDir = await mkdtemp(join(tmpdir(), 'stratus-userdata-'));
  safeStorage = new FakeSafeStorage();
  allowPlaintext = false;
});
afterEach(async () => {
  await rm(userDataDir, { recursive: true, force: true });
});

function vault(overrides: Partial<SafeStorageTokenVaultOptions> = {}): SafeStorageTokenVault {
  return new SafeStorageTokenVault({
    safeStorage,
    userDataDir,
    issuer: ISSUER,
    clientId: 'client-a',
    platform: 'linux',
    allowPlaintextTokenStorage: () => allowPlaintext,
    ...overrides,
  });
}

async function fileJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}

describe('SafeStorageTokenVault with a keyring', () => {
  it('writes the session encrypted by safeStorage to a 0600 file in userData, and a new vault reads it back', async () => {
    const first = vault();
    expect(await first.status()).toEqual({ mode: 'encrypted', backend: 'gnome_libsecret', reason: undefined });
    await first.set(SESSION);
    expect(first.file.startsWith(join(userDataDir, 'sessions'))).toBe(true);
    expect((await stat(first.file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(userDataDir, 'sessions'))).mode & 0o777).toBe(0o700);
    const text = await readFile(first.file, 'utf8');
    expect(text).not.toContain(SESSION.refreshToken);
    expect(text).not.toContain('ada@example.com');
    expect(await fileJson(first.file)).toMatchObject({ version: 1, issuer: ISSUER, clientId: 'client-a', protection: 'os-keyring' });
    // What went into safeStorage is exactly the session record.
    expect(JSON.parse(safeStorage.encrypted.at(-1) ?? '{}')).toEqual(SESSION);

    // After a restart (a new vault), the session comes back from the file.
    expect(await vault().get()).toEqual(SESSION);
    // Replaced atomically: no temp files left behind.
    await first.set({ ...SESSION, refreshToken: 'rotated-refresh-token' });
    expect(await readdir(join(userDataDir, 'sessions'))).toHaveLength(1);
    expect((await vault().get())?.refreshToken).toBe('rotated-refresh-token');
  });

  it('never writes ID or access tokens or AWS credentials, even when they ride along on the session object', async () => {
    const v = vault();
    const laden = { ...SESSION, idToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZGEifQ.sig', accessToken: 'eyJhY2Nlc3MiOjF9.e30.sig', credentials: { secretAccessKey: 'SECRET' } };
    await v.set(laden as StoredSession);
    const written = safeStorage.encrypted.at(-1) ?? '';
    expect(written).toContain(SESSION.refreshToken);
    expect(written).not.toMatch(/eyJ|idToken|accessToken|SECRET|credentials/);
    expect(await vault().get()).toEqual(SESSION);
  });

  it('forgets the session on clear, in memory and on disk', async () => {
    const v = vault();
    await v.set(SESSION);
    await v.clear();
    expect(await v.get()).toBeUndefined();
    expect(await exists(v.file)).toBe(false);
    await v.clear(); // no error when there is nothing
  });

  it('asks for a new sign-in when the keyring cannot decrypt the file (another keyring, a reset one)', async () => {
    await vault().set(SESSION);
    safeStorage.key = 9;
    await expect(vault().get()).rejects.toMatchObject({ code: 'token-vault-damaged', message: expect.stringContaining('sign in again') as unknown });
  });

  it('stores the session again when safeStorage says its key was rotated', async () => {
    await vault().set(SESSION);
    const before = await readFile(vault().file, 'utf8');
    safeStorage.shouldReEncrypt = true;
    const writes = safeStorage.encrypted.length;
    expect(await vault().get()).toEqual(SESSION);
    expect(safeStorage.encrypted.length).toBe(writes + 1);
    expect((await fileJson(vault().file))['protection']).toBe('os-keyring');
    // Written anew (a fresh temp file renamed over the old one), still readable.
    expect((await stat(vault().file)).mode & 0o777).toBe(0o600);
    expect(await vault().get()).toEqual(SESSION);
    expect(before).toContain('"os-keyring"');
  });

  it('reports a damaged file, and ignores a file of another account', async () => {
    const v = vault();
    await v.set(SESSION);
    const other = vault({ clientId: 'client-b' });
    await writeFile(other.file, await readFile(v.file, 'utf8'));
    expect(await other.get()).toBeUndefined();
    await writeFile(v.file, '{ not json');
    await expect(vault().get()).rejects.toMatchObject({ code: 'token-vault-damaged' });
  });

  it('does not ask Linux-only questions on other platforms', async () => {
    safeStorage.getSelectedStorageBackend = () => {
      throw new Error('getSelectedStorageBackend is Linux only');
    };
    const v = vault({ platform: 'darwin' });
    expect(await v.status()).toEqual({ mode: 'encrypted', backend: undefined, reason: undefined });
    await v.set(SESSION);
    expect(await vault({ platform: 'darwin' }).get()).toEqual(SESSION);
  });
});

describe('SafeStorageTokenVault without a keyring (Linux basic_text)', () => {
  beforeEach(() => {
    safeStorage.backend = 'basic_text';
  });

  it('keeps the refresh token in memory only, writes no file, and says why', async () => {
    const v = vault();
    const status = await v.status();
    expect(status.mode).toBe('memory');
    expect(status.backend).toBe('basic_text');
    expect(status.reason).toMatch(/^Your desktop has no keyring .* so Stratus will ask you to sign in again after a restart\./);
    await v.set(SESSION);
    expect(await v.get()).toEqual(SESSION); // usable for this run
    expect(await exists(v.file)).toBe(false);
    expect(safeStorage.encrypted).toEqual([]);
    // After a restart nobody is signed in.
    expect(await vault().get()).toBeUndefined();
  });

  it('stores it (0600, safeStorage with the basic_text key) when the user opted in, and says it is not encrypted', async () => {
    allowPlaintext = true;
    const v = vault();
    const status = await v.status();
    expect(status.mode).toBe('plaintext');
    expect(status.reason).toContain('you chose to stay signed in anyway');
    expect(status.reason).toContain('not encrypted');
    await v.set(SESSION);
    expect((await stat(v.file)).mode & 0o777).toBe(0o600);
    expect(await fileJson(v.file)).toMatchObject({ protection: 'basic-text' });
    expect(await vault().get()).toEqual(SESSION);
  });

  it('removes the stored file once the opt-in is withdrawn, keeping the session for this run only', async () => {
    allowPlaintext = true;
    await vault().set(SESSION);
    allowPlaintext = false;
    const v = vault();
    expect(await v.get()).toEqual(SESSION);
    expect(await exists(v.file)).toBe(false);
    expect(await vault().get()).toBeUndefined();
  });

  it('removes an older encrypted file when a new session cannot be protected', async () => {
    safeStorage.backend = 'kwallet5';
    await vault().set(SESSION);
    safeStorage.backend = 'basic_text';
    const v = vault();
    await v.set({ ...SESSION, refreshToken: 'new-refresh-token' });
    expect(await exists(v.file)).toBe(false);
    expect((await v.get())?.refreshToken).toBe('new-refresh-token');
  });

  it('moves an opted-in session into the keyring once one is available', async () => {
    allowPlaintext = true;
    await vault().set(SESSION);
    safeStorage.backend = 'gnome_libsecret';
    expect(await vault().get()).toEqual(SESSION);
    expect(await fileJson(vault().file)).toMatchObject({ protection: 'os-keyring' });
  });
});

describe('SafeStorageTokenVault when encryption is not available at all', () => {
  beforeEach(() => {
    safeStorage.available = false;
  });

  it('keeps the session in memory only unless the user opted in', async () => {
    const v = vault({ platform: 'win32' });
    const status = await v.status();
    expect(status.mode).toBe('memory');
    expect(status.reason).toContain('secure storage is not available');
    await v.set(SESSION);
    expect(await exists(v.file)).toBe(false);
  });

  it('with the opt-in, writes the session record as JSON in a 0600 file (like the CLI)', async () => {
    allowPlaintext = true;
    const v = vault({ platform: 'win32' });
    expect((await v.status()).mode).toBe('plaintext');
    await v.set({ ...SESSION, idToken: 'eyJ.x.y' } as StoredSession);
    expect((await stat(v.file)).mode & 0o777).toBe(0o600);
    expect(await fileJson(v.file)).toEqual({ version: 1, issuer: ISSUER, clientId: 'client-a', protection: 'none', session: SESSION });
    expect(await vault({ platform: 'win32' }).get()).toEqual(SESSION);
  });
});
