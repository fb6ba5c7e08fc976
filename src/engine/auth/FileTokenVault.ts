/**
 * FileTokenVault: the CLI's TokenVault, a plain JSON file protected only by
 * file permissions (0600 in a 0700 folder) — the CLI says so when it stores
 * one. One file per account (issuer + app client), so two configs pointing at
 * different user pools never share a session:
 *
 *   <stateDir>/sessions/<sha256(issuer + "\n" + clientId), 16 hex>.json   (0600)
 *   {
 *     "version": 1,
 *     "issuer": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC",
 *     "clientId": "…",
 *     "session": {
 *       "refreshToken": "…",                 // the only secret
 *       "sub": "…", "username": "ada", "email": "ada@example.com",
 *       "identity": { "identityPoolId": "us-east-1:…", "identityId": "us-east-1:…" },
 *       "signedInAt": "2025-01-01T00:00:00.000Z"
 *     }
 *   }
 *
 * Writes go to a temp file first and are renamed over the old one, so a crash
 * leaves the old session or the new one, never half a file (secretFile.ts).
 */
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { authError } from './authErrors.js';
import { readAccountFile, writeSecretFile } from './secretFile.js';
import { isStoredSession, storedSessionRecord, type StoredSession, type TokenVault } from './TokenVault.js';

export interface FileTokenVaultOptions {
  /** The CLI's state folder (see cliStateDir); created 0700 when missing. */
  readonly stateDir: string;
  readonly issuer: string;
  readonly clientId: string;
}

interface VaultFile {
  readonly version: 1;
  readonly issuer: string;
  readonly clientId: string;
  readonly session: StoredSession;
}

/** Stable per-account file name: short, filesystem-safe, and reveals nothing about the account. */
export function accountKey(issuer: string, clientId: string): string {
  return createHash('sha256').update(`${issuer}\n${clientId}`).digest('hex').slice(0, 16);
}

export class FileTokenVault implements TokenVault {
  /** The file that holds (or will hold) the session. */
  readonly file: string;
  private readonly stateDir: string;
  private readonly issuer: string;
  private readonly clientId: string;

  constructor(options: FileTokenVaultOptions) {
    this.stateDir = options.stateDir;
    this.issuer = options.issuer;
    this.clientId = options.clientId;
    this.file = join(options.stateDir, 'sessions', `${accountKey(options.issuer, options.clientId)}.json`);
  }

  async get(): Promise<StoredSession | undefined> {
    const parsed = await readAccountFile(this.file, { issuer: this.issuer, clientId: this.clientId }, (what, cause) => this.damaged(what, cause));
    if (parsed === undefined) return undefined;
    const session = parsed['session'];
    if (!isStoredSession(session)) throw this.damaged('is not a Stratus sign-in file of version 1');
    return session;
  }

  async set(session: StoredSession): Promise<void> {
    const body: VaultFile = { version: 1, issuer: this.issuer, clientId: this.clientId, session: storedSessionRecord(session) };
    await writeSecretFile(this.file, `${JSON.stringify(body, null, 2)}\n`, [this.stateDir]);
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }

  private damaged(what: string, cause?: unknown): Error {
    return authError('token-vault-damaged', `The sign-in file ${this.file} ${what}; sign out (or delete the file) and sign in again.`, cause);
  }
}
