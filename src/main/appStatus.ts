/**
 * The status the app shows, as one pure function of what main knows: the
 * engine's snapshot when one runs (with who is signed in and
 * `canOpenFiles: true`, since main opens files), else why none runs (no
 * connection, the account not known yet, signed out, offline, no folder).
 */
import type { StatusSnapshot } from '../shared/StratusApi.js';
import type { AccountState } from './appPorts.js';

/** The status the app shows: the engine's, or why there is none. Pure. */
export function appStatus(facts: {
  readonly engine: StatusSnapshot | undefined;
  readonly connection: boolean;
  readonly noConnectionMessage: string;
  readonly cognito: boolean;
  readonly account: AccountState;
  readonly folder: string | undefined;
}): StatusSnapshot {
  const { account } = facts;
  const who = account.state === 'signed-in' ? { account: account.account.user } : {};
  const folder = facts.folder === undefined ? {} : { folder: facts.folder };
  if (!facts.connection) {
    return { version: 1, auth: 'signed-out', sync: 'needs-attention', message: facts.noConnectionMessage, canOpenFiles: true };
  }
  if (facts.cognito && account.state !== 'signed-in') {
    // Not known yet (the stored session is being read): neither signed in nor "sign in required".
    if (account.state === 'none') return { version: 1, auth: 'signed-out', sync: 'checking', ...folder, canOpenFiles: true };
    if (account.state === 'unreachable') return { version: 1, auth: 'signed-out', sync: 'offline', message: account.message, ...folder, canOpenFiles: true };
    const message = account.state === 'signed-out' && account.message !== undefined ? { message: account.message } : {};
    return { version: 1, auth: account.state === 'signing-in' ? 'signing-in' : 'signed-out', sync: 'sign-in-required', ...message, ...folder, canOpenFiles: true };
  }
  if (facts.engine === undefined) {
    return {
      version: 1, auth: 'signed-in', ...who, sync: facts.folder === undefined ? 'needs-attention' : 'checking', ...folder,
      ...(facts.folder === undefined ? { message: 'Choose the folder to keep in sync (Open Stratus from the tray).' } : {}),
      canOpenFiles: true,
    };
  }
  const engine = facts.engine;
  const location = engine.location === undefined || account.state !== 'signed-in'
    ? engine.location
    : { ...engine.location, user: account.account.user, identityId: account.account.identityId };
  return { ...engine, auth: 'signed-in', ...who, ...(location === undefined ? {} : { location }), canOpenFiles: true };
}
