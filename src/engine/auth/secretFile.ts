/**
 * Writing and reading a file that holds a secret (a refresh token, plain or
 * encrypted): created 0600 inside 0700 folders, replaced atomically (temp
 * file + rename) so a crash leaves the old file or the new one, never half a
 * file. Shared by the CLI's FileTokenVault and the app's SafeStorageTokenVault.
 */
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `text` to `file` (mode 0600). Its folder is created 0700; it and each
 * of `tighten` (e.g. the state folder above it) are set to 0700 even when they
 * already existed with looser permissions.
 */
export async function writeSecretFile(file: string, text: string, tighten: readonly string[] = []): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // `mode` applies only to folders mkdir creates; older, looser folders are tightened too.
  for (const folder of [...tighten, dir]) await chmod(folder, 0o700);
  const temp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  // 'wx' + 0600: the secret is never readable by others, not even for a moment, and never written through a planted link.
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** The file's text, or undefined when it does not exist; other errors are thrown as they are. */
export async function readSecretFile(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * A sign-in file of version 1 for this account: the parsed object, or
 * undefined when there is no file or it belongs to another user pool or app
 * client (a hash collision or a copied file must not hand one account's token
 * to another). `damaged` makes the error for an unreadable, unparsable or
 * foreign-format file.
 */
export async function readAccountFile(
  file: string, account: { readonly issuer: string; readonly clientId: string }, damaged: (what: string, cause?: unknown) => Error,
): Promise<Record<string, unknown> | undefined> {
  let text: string | undefined;
  try {
    text = await readSecretFile(file);
  } catch (err) {
    throw damaged(`cannot be read (${(err as NodeJS.ErrnoException).code ?? String(err)})`, err);
  }
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw damaged('is not valid JSON', err);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || (parsed as Record<string, unknown>)['version'] !== 1) {
    throw damaged('is not a Stratus sign-in file of version 1');
  }
  const record = parsed as Record<string, unknown>;
  if (record['issuer'] !== account.issuer || record['clientId'] !== account.clientId) return undefined;
  return record;
}
