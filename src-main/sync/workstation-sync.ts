import type { Policy } from '../../src-shared/policy/schema.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { errorName } from '../base/index.ts';
import type { Logger } from '../log/index.ts';
import { centralFetchFor } from '../net/index.ts';
import type { Clock, Timers } from '../ports.ts';
import type { SessionManager } from '../session/index.ts';
import type { Database } from '../vault/index.ts';
import { createSyncEngine, unenrolledSyncEngine, type SyncEngine } from './engine.ts';
import { releaseHeldOf } from './outbox.ts';
import { pageLimitsOf } from './pull.ts';
import { createTokenSource } from './tokens.ts';

export interface WorkstationSyncDeps {
  db(): Database;
  /** Policy's central services; undefined until IT enrolls the workstation (or without a cache). */
  central: Policy['central'];
  /** Policy cache.scope: which patients the pull keeps. */
  scope?: Policy['cache']['scope'];
  sessions: Pick<SessionManager, 'events' | 'current' | 'accessToken' | 'status'>;
  clock: Clock;
  timers: Timers;
  logger: Logger;
  onChange(status: SyncStatus): void;
}

/**
 * The workstation's sync: the engine, whose changes go under whose token (tokens.ts), and its
 * reaction to the session: someone signing in here may send what was held for them, at once.
 */
export function createWorkstationSync(deps: WorkstationSyncDeps): SyncEngine {
  const { central, sessions, logger } = deps;
  if (!central) return unenrolledSyncEngine(deps.db);
  const tokens = createTokenSource({
    db: deps.db,
    central,
    current: () => {
      const user = sessions.current();
      return user ? { userId: user.userId, accessToken: sessions.accessToken() } : null;
    },
    clock: deps.clock,
    logger,
  });
  const engine = createSyncEngine({
    db: deps.db,
    fhirBaseUrl: central.fhirBaseUrl,
    allowLoopbackHttp: central.allowLoopbackHttp,
    fetch: centralFetchFor(central),
    tlsPins: central.tlsPins,
    limits: pageLimitsOf(central),
    ...(deps.scope ? { scope: deps.scope } : {}),
    accessToken: () => sessions.accessToken(),
    // Signed in with a PIN and the provider not yet reached: no token, so their changes wait here.
    pinOnlyUser: () => {
      const status = sessions.status();
      return status.offline && status.user && sessions.accessToken() === null ? status.user.userId : null;
    },
    tokenFor: tokens.tokenFor,
    clock: deps.clock,
    timers: deps.timers,
    logger,
    onChange: deps.onChange,
  });
  sessions.events.on('signedIn', ({ userId }) => {
    try {
      // A full sign-in brings a new refresh token: the kept access token is the old session's.
      tokens.forget(userId);
      if (releaseHeldOf(deps.db(), userId) > 0) logger.log('info', 'sync.released-held', {});
      engine.kick();
    } catch (error) {
      logger.log('error', 'sync.sign-in-failed', { errorName: errorName(error) });
    }
  });
  // A PIN-only sign-in, a full one or a sign-out changes whose changes wait for a full sign-in.
  sessions.events.on('changed', () => engine.announce());
  return engine;
}
