import type { Policy } from '../../src-shared/policy/schema.ts';
import { refreshStoredSession } from '../identity/index.ts';
import { centralFetchFor } from '../net/index.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import type { Database } from '../vault/index.ts';
import { HELD_SIGNED_OUT } from './outbox.ts';
import type { TokenAnswer } from './push.ts';

/**
 * Whose token sends a change: the user who made it. The signed-in user's comes from the session;
 * a user who signed out has their refresh token in the vault, used while the provider still
 * accepts it (the rotated one replaces it, as in a session). When it is refused or gone, that
 * user's changes are held and flagged for IT until they sign in again here.
 */
export interface TokenSourceOptions {
  db(): Database;
  central: NonNullable<Policy['central']>;
  /** The signed-in user, and their access token (null when signed in offline with a PIN). */
  current(): { userId: string; accessToken: string | null } | null;
  clock: Clock;
  logger: Logger;
}

const EARLY_MS = 30_000;

export interface TokenSource {
  tokenFor(userId: string): Promise<TokenAnswer>;
  /** The user signed in here again: their own session's tokens take over from any kept here. */
  forget(userId: string): void;
}

export function createTokenSource(options: TokenSourceOptions): TokenSource {
  const others = new Map<string, { token: string; expiresAt: number }>();
  const tokenFor = async (userId: string): Promise<TokenAnswer> => {
    const current = options.current();
    if (current?.userId === userId) return current.accessToken ? { token: current.accessToken } : { wait: true };
    const cached = others.get(userId);
    if (cached && cached.expiresAt - EARLY_MS > options.clock.now()) return { token: cached.token };
    const outcome = await refreshStoredSession(options.db(), userId, {
      issuer: options.central.issuer,
      fetch: centralFetchFor(options.central),
      clientId: options.central.clientId,
      allowLoopbackHttp: options.central.allowLoopbackHttp,
      resource: options.central.fhirBaseUrl,
      clock: options.clock,
      logger: options.logger,
    }).catch(() => ({ ok: false as const, terminated: false as const, reason: 'network' as const }));
    if (outcome.ok) {
      others.set(userId, { token: outcome.tokens.accessToken, expiresAt: outcome.tokens.accessTokenExpiresAt });
      return { token: outcome.tokens.accessToken };
    }
    if (outcome.terminated || outcome.reason === 'noRefreshToken') return { hold: HELD_SIGNED_OUT };
    return { wait: true };
  };
  return { tokenFor, forget: (userId) => void others.delete(userId) };
}
