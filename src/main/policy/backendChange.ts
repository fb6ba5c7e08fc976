/**
 * When the backend itself changes under a running app (issue 9: "a policy
 * removed by the admin stops applying at the next read"): the enforced
 * backend policies (Cognito user pool, app client, hosted UI, identity pool,
 * region, bucket, endpoint) decide the connection the whole app is composed
 * around — the sign-in, the credentials, the engine. A re-read that changes
 * it cannot be applied to a running composition piece by piece, so the app
 * stops the engine cleanly (the journal is the truth; nothing is lost) and
 * restarts itself on the new connection, saying why. Everything else a
 * policy sets is applied in place (AppController.policiesChanged).
 */
import type { StratusConfig } from '../../shared/StratusConfig.js';

/** The parts of a connection that name the backend (not preferences such as the folder or the device name). */
export function backendIdentity(connection: StratusConfig | undefined): string {
  if (connection === undefined) return 'none';
  const { auth, region, bucket, endpoint, forcePathStyle, prefix, cognito } = connection;
  return JSON.stringify({ auth, region, bucket, endpoint, forcePathStyle, prefix, cognito });
}

export interface BackendWatchOptions {
  /** The connection the app was composed with. */
  readonly started: StratusConfig | undefined;
  /** The connection the policies give now (read again). */
  readonly current: () => StratusConfig | undefined;
  /** Stops the engine cleanly, then relaunches the app. */
  readonly restart: (reason: string) => void;
}

/**
 * Called after every policy read: true (and `restart` called once) when the
 * backend changed; false when the change, if any, can be applied in place.
 */
export function backendWatcher(o: BackendWatchOptions): () => boolean {
  const before = backendIdentity(o.started);
  let restarting = false;
  return () => {
    if (restarting) return true;
    if (backendIdentity(o.current()) === before) return false;
    restarting = true;
    o.restart('Your organization changed where Stratus syncs. Stratus restarts to apply it; nothing waiting to sync is lost.');
    return true;
  };
}
