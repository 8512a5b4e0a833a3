/**
 * The token refresh schedule of one session: it holds the session's access token (memory only)
 * and refreshes it with the refresh token in the vault a minute before it expires, one refresh at
 * a time, retrying when the provider cannot be reached. A refused refresh is access termination:
 * the session ends.
 */
import type { Policy } from '../../src-shared/policy/schema.ts';
import { errorName } from '../base/index.ts';
import { refreshStoredSession, type SignedInIdentity } from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import { centralFetchFor } from '../net/index.ts';
import type { Clock, TimerHandle } from '../ports.ts';
import type { Database } from '../vault/index.ts';

/** Retry delay for a refresh that could not reach the provider. */
const REFRESH_RETRY_MS = 30_000;

/** The tokens a full sign-in starts a session with. */
export type SessionTokens = Pick<SignedInIdentity, 'accessToken' | 'accessTokenExpiresAt' | 'configuration'>;

export interface TokenRefreshDeps {
  db(): Database;
  central: Policy['central'];
  clock: Clock;
  logger: Logger;
  userId: string;
  /** A full sign-in's tokens; null for a PIN sign-in, which has no access token yet. */
  tokens: SessionTokens | null;
  /** One of the session's timers: it runs only while the session is still current (and open). */
  after(delayMs: number, run: () => void): TimerHandle;
  cancel(handle: TimerHandle): void;
  /** Whether the session is still the current one. */
  isCurrent(): boolean;
  /** The provider no longer accepts this user: end the session. */
  terminate(): void;
}

export interface TokenRefresh {
  /** The access token for the central API, or null. */
  accessToken(): string | null;
  /** Plans the first refresh: before the access token expires, or at once for a PIN sign-in. */
  start(): void;
  /** Refreshes now, or joins the refresh already running. */
  now(): Promise<void>;
  /** Drops the access token (the session stopped). */
  forget(): void;
}

export function createTokenRefresh(deps: TokenRefreshDeps): TokenRefresh {
  const { central, clock, logger } = deps;
  let accessToken = deps.tokens?.accessToken ?? null;
  let accessTokenExpiresAt = deps.tokens?.accessTokenExpiresAt ?? null;
  const configuration = deps.tokens?.configuration;
  let refreshTimer: TimerHandle | null = null;
  let inFlight: Promise<void> | null = null;

  /** The next refresh (or retry): one pending at a time, replacing any earlier one. */
  function scheduleIn(delayMs: number): void {
    if (refreshTimer !== null) deps.cancel(refreshTimer);
    refreshTimer = deps.after(delayMs, () => {
      refreshTimer = null;
      void refreshNow();
    });
  }

  /** Refresh a minute before the access token expires (halfway through for short-lived tokens). */
  function scheduleBeforeExpiry(): void {
    if (accessTokenExpiresAt === null) return;
    const lifetime = accessTokenExpiresAt - clock.now();
    scheduleIn(lifetime > 120_000 ? lifetime - 60_000 : Math.max(1_000, lifetime / 2));
  }

  /**
   * One refresh at a time: the provider rotates refresh tokens and treats a second use of the old
   * one as theft (revoking the whole grant), so an unlock during a scheduled refresh joins it
   * instead of starting another.
   */
  function refreshNow(): Promise<void> {
    if (inFlight) return inFlight;
    const started = refreshOnce().finally(() => {
      inFlight = null;
    });
    inFlight = started;
    return started;
  }

  async function refreshOnce(): Promise<void> {
    if (!central || !deps.isCurrent()) return;
    let outcome;
    try {
      outcome = await refreshStoredSession(deps.db(), deps.userId, {
        issuer: central.issuer,
        fetch: centralFetchFor(central),
        clientId: central.clientId,
        allowLoopbackHttp: central.allowLoopbackHttp,
        resource: central.fhirBaseUrl,
        clock,
        logger,
        ...(configuration ? { configuration } : {}),
      });
    } catch (error) {
      logger.log('warn', 'session.refresh-failed', { errorName: errorName(error) });
      if (deps.isCurrent()) scheduleIn(REFRESH_RETRY_MS);
      return;
    }
    if (!deps.isCurrent()) return;
    if (outcome.ok) {
      accessToken = outcome.tokens.accessToken;
      accessTokenExpiresAt = outcome.tokens.accessTokenExpiresAt;
      scheduleBeforeExpiry();
    } else if (outcome.terminated) {
      // Access termination (164.312(a)(1)): the provider no longer accepts this user.
      deps.terminate();
    } else if (outcome.reason !== 'noRefreshToken') {
      scheduleIn(REFRESH_RETRY_MS);
    }
  }

  return {
    accessToken: () => accessToken,
    start() {
      if (deps.tokens) scheduleBeforeExpiry();
      // A PIN sign-in has no access token yet: ask the provider now; a refusal ends the session.
      else scheduleIn(0);
    },
    now: refreshNow,
    forget() {
      accessToken = null;
    },
  };
}
