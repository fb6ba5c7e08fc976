/**
 * SafeStorageTokenVault: the desktop app's TokenVault. The stored session
 * (refresh token + who + identity, see TokenVault.ts) is encrypted with
 * Electron's `safeStorage` — Keychain on macOS, DPAPI on Windows, the secret
 * service (GNOME Keyring, KWallet) on Linux — and written to a 0600 file in
 * the app's userData folder. ID/access tokens and AWS credentials are never
 * written: only `storedSessionRecord()`'s fields are.
 *
 * On Linux without a keyring, safeStorage falls back to the `basic_text`
 * backend: a key built into Chromium, i.e. no protection at all. Then (and
 * when encryption is not available) the refresh token is kept in memory only,
 * unless the user opted in (`allowPlaintextTokenStorage`); `status()` gives
 * the UI a sentence saying which case applies and why.
 *
 * `safeStorage` is injected through SafeStoragePort, so this file never
 * imports electron and is tested in plain Node with a fake.
 *
 *   <userData>/sessions/<accountKey(issuer, clientId)>.json      (0600, folder 0700)
 *   {
 *     "version": 1,
 *     "issuer": "https://cognito-idp.…/…", "clientId": "…",
 *     "protection": "os-keyring" | "basic-text" | "none",
 *     "session": "<base64 of safeStorage.encryptStringAsync(JSON of the session)>"  // os-keyring, basic-text
 *              | { "refreshToken": "…", "sub": "…", … }                              // none (opted in, no encryption)
 *   }
 *
 * "basic-text" and "none" files are written only with the opt-in; when the
 * opt-in is withdrawn, the next read moves such a session to memory and
 * deletes the file.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { authError } from '../../engine/auth/authErrors.js';
import { accountKey } from '../../engine/auth/FileTokenVault.js';
import { readAccountFile, writeSecretFile } from '../../engine/auth/secretFile.js';
import { isStoredSession, storedSessionRecord, type StoredSession, type TokenVault } from '../../engine/auth/TokenVault.js';

/** The part of Electron's `safeStorage` the vault uses (the async pair: the sync one is deprecated). */
export interface SafeStoragePort {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plainText: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ readonly shouldReEncrypt: boolean; readonly result: string }>;
  /** Linux only: which password store backs the encryption ('basic_text' = none). */
  getSelectedStorageBackend(): string;
}

export interface SafeStorageTokenVaultOptions {
  readonly safeStorage: SafeStoragePort;
  /** The app's userData folder (`app.getPath('userData')`); sessions go to `<userData>/sessions/`. */
  readonly userDataDir: string;
  readonly issuer: string;
  readonly clientId: string;
  /** The user's setting "keep my sign-in even without a keyring", read at every write. @default () => false */
  readonly allowPlaintextTokenStorage?: () => boolean;
  /** @default process.platform */
  readonly platform?: NodeJS.Platform;
}

/** How the refresh token is kept: encrypted on disk, on disk without real protection (opted in), or in memory only. */
export type TokenStorageMode = 'encrypted' | 'plaintext' | 'memory';

export interface TokenStorageStatus {
  readonly mode: TokenStorageMode;
  /** Linux's safeStorage backend ('gnome_libsecret', 'kwallet5', 'basic_text', …); undefined elsewhere. */
  readonly backend: string | undefined;
  /** For the UI: why the sign-in is not kept encrypted, and what the user can do; undefined when it is. */
  readonly reason: string | undefined;
}

type FileProtection = 'os-keyring' | 'basic-text' | 'none';

interface VaultFile {
  readonly version: 1;
  readonly issuer: string;
  readonly clientId: string;
  readonly protection: FileProtection;
  /** base64 ciphertext, or (protection 'none') the session itself. */
  readonly session: string | StoredSession;
}

/** The setting's name as the UI shows it; the reason sentences refer to it. */
export const PLAINTEXT_SETTING_LABEL = 'Keep me signed in without a keyring';

const REASONS = {
  noKeyring:
    'Your desktop has no keyring (such as GNOME Keyring or KWallet) that Stratus could encrypt your sign-in with, '
    + 'so Stratus will ask you to sign in again after a restart. '
    + `To stay signed in anyway, turn on "${PLAINTEXT_SETTING_LABEL}": your sign-in is then kept in a file only your user account can read, but not encrypted.`,
  noKeyringOptedIn:
    'Your desktop has no keyring (such as GNOME Keyring or KWallet), and you chose to stay signed in anyway: '
    + `your sign-in is kept in a file only your user account can read, but not encrypted. Turn off "${PLAINTEXT_SETTING_LABEL}" to keep it in memory only.`,
  unavailable:
    'This computer\'s secure storage is not available to Stratus, so Stratus will ask you to sign in again after a restart. '
    + `To stay signed in anyway, turn on "${PLAINTEXT_SETTING_LABEL}": your sign-in is then kept in a file only your user account can read, but not encrypted.`,
  unavailableOptedIn:
    'This computer\'s secure storage is not available to Stratus, and you chose to stay signed in anyway: '
    + `your sign-in is kept in a file only your user account can read, but not encrypted. Turn off "${PLAINTEXT_SETTING_LABEL}" to keep it in memory only.`,
} as const;

export class SafeStorageTokenVault implements TokenVault {
  /** The file that holds (or would hold) the session. */
  readonly file: string;
  private readonly options: SafeStorageTokenVaultOptions;
  private readonly platform: NodeJS.Platform;
  /** The session as last read or written; the only copy when the mode is 'memory'. */
  private cached: { readonly session: StoredSession | undefined } | undefined;

  constructor(options: SafeStorageTokenVaultOptions) {
    this.options = options;
    this.platform = options.platform ?? process.platform;
    this.file = join(options.userDataDir, 'sessions', `${accountKey(options.issuer, options.clientId)}.json`);
  }

  /** How a session would be kept right now (the keyring and the setting can change while the app runs). */
  async status(): Promise<TokenStorageStatus> {
    const backend = this.platform === 'linux' ? this.options.safeStorage.getSelectedStorageBackend() : undefined;
    const available = await this.options.safeStorage.isAsyncEncryptionAvailable();
    if (available && backend !== 'basic_text') return { mode: 'encrypted', backend, reason: undefined };
    const optedIn = this.optedIn();
    const noKeyring = available; // available, but only through basic_text
    return {
      mode: optedIn ? 'plaintext' : 'memory',
      backend,
      reason: noKeyring ? (optedIn ? REASONS.noKeyringOptedIn : REASONS.noKeyring) : (optedIn ? REASONS.unavailableOptedIn : REASONS.unavailable),
    };
  }

  async get(): Promise<StoredSession | undefined> {
    if (this.cached !== undefined) return this.cached.session;
    const session = await this.read();
    this.cached = { session };
    return session;
  }

  async set(session: StoredSession): Promise<void> {
    const record = storedSessionRecord(session);
    const { mode } = await this.status();
    if (mode === 'memory') {
      // An older file (written under an earlier opt-in, or with a keyring since gone) must not outlive this choice.
      await rm(this.file, { force: true });
    } else {
      await this.write(record, mode);
    }
    this.cached = { session: record };
  }

  async clear(): Promise<void> {
    this.cached = { session: undefined };
    await rm(this.file, { force: true });
  }

  private optedIn(): boolean {
    return this.options.allowPlaintextTokenStorage?.() === true;
  }

  private async write(record: StoredSession, mode: 'encrypted' | 'plaintext'): Promise<void> {
    const { safeStorage } = this.options;
    let protection: FileProtection;
    let body: string | StoredSession;
    if (await safeStorage.isAsyncEncryptionAvailable()) {
      // 'plaintext' with encryption available means the basic_text backend: encrypted, but with a key anyone has.
      protection = mode === 'encrypted' ? 'os-keyring' : 'basic-text';
      body = (await safeStorage.encryptStringAsync(JSON.stringify(record))).toString('base64');
    } else {
      protection = 'none';
      body = record;
    }
    const file: VaultFile = { version: 1, issuer: this.options.issuer, clientId: this.options.clientId, protection, session: body };
    await writeSecretFile(this.file, `${JSON.stringify(file, null, 2)}\n`, [this.options.userDataDir]);
  }

  private async read(): Promise<StoredSession | undefined> {
    const parsed = await readAccountFile(this.file, this.options, (what, cause) => this.damaged(what, cause));
    if (parsed === undefined) return undefined;
    const protection = parsed['protection'];
    const body = parsed['session'];
    let session: unknown;
    let reEncrypt = false;
    if (protection === 'none') {
      session = body;
    } else if ((protection === 'os-keyring' || protection === 'basic-text') && typeof body === 'string') {
      let decrypted: { readonly shouldReEncrypt: boolean; readonly result: string };
      try {
        decrypted = await this.options.safeStorage.decryptStringAsync(Buffer.from(body, 'base64'));
        session = JSON.parse(decrypted.result);
      } catch (err) {
        throw authError(
          'token-vault-damaged',
          'Your stored sign-in cannot be decrypted (the system keyring was reset, locked, or belongs to another computer or user); sign in again.',
          err,
        );
      }
      reEncrypt = decrypted.shouldReEncrypt;
    } else {
      throw this.damaged(`has an unknown protection "${String(protection)}"`);
    }
    if (!isStoredSession(session)) throw this.damaged('does not hold a sign-in');
    const record = storedSessionRecord(session);
    const { mode } = await this.status();
    if (mode === 'memory' || (protection !== 'os-keyring' && mode === 'encrypted')) {
      // The opt-in was withdrawn (or a keyring appeared): the weakly protected file goes, or is replaced by an encrypted one.
      await this.set(record);
    } else if (reEncrypt) {
      // safeStorage rotated its key: store the session again under the new one.
      await this.write(record, mode);
    }
    return record;
  }

  private damaged(what: string, cause?: unknown): Error {
    return authError('token-vault-damaged', `The sign-in file ${this.file} ${what}; sign out and sign in again.`, cause);
  }
}
