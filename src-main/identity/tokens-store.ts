import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import { durably, type Database } from '../vault/index.ts';
import { parseTimestamp, parseUserId } from './errors.ts';
import { refresh } from './oidc.ts';
import type { RefreshOptions, RefreshOutcome } from './oidc.ts';
import { OidcError } from './oidc-errors.ts';
import { revokeOffline } from './pin-store.ts';

/**
 * Refresh tokens over the vault (table identity_refresh_tokens, token-schema.ts): the only place
 * a refresh token is kept between runs. Never a file, never the keychain; access tokens are never
 * stored at all. Nothing here logs a token or a user id.
 */

function checkToken(token: unknown): string {
  if (typeof token !== 'string' || token.length === 0 || token.length > 8192)
    throw new OidcError('INVALID_INPUT', 'The refresh token is missing or not in the expected format.');
  return token;
}

/** Stores (or replaces, after rotation) the user's refresh token. */
export function storeRefreshToken(db: Database, userId: string, refreshToken: string, clock: Clock): void {
  const id = parseUserId(userId);
  const token = checkToken(refreshToken);
  const at = parseTimestamp(clock.now(), 'The clock time');
  db.prepare(
    `INSERT INTO identity_refresh_tokens (user_id, refresh_token, updated_at) VALUES (?, ?, ?)
     ON CONFLICT (user_id) DO UPDATE SET refresh_token = excluded.refresh_token, updated_at = excluded.updated_at`,
  ).run(id, token, at);
}

export function loadRefreshToken(db: Database, userId: string): string | null {
  const id = parseUserId(userId);
  const row = db.prepare('SELECT refresh_token FROM identity_refresh_tokens WHERE user_id = ?').get(id) as
    { refresh_token: string } | undefined;
  return row?.refresh_token ?? null;
}

/** Forgets the user's refresh token (sign-out, switch user, termination). True if there was one. */
export function deleteRefreshToken(db: Database, userId: string): boolean {
  const id = parseUserId(userId);
  return db.prepare('DELETE FROM identity_refresh_tokens WHERE user_id = ?').run(id).changes > 0;
}

export type StoredRefreshOutcome = RefreshOutcome | { ok: false; terminated: false; reason: 'noRefreshToken' };

/**
 * Refreshes the user's session with the refresh token kept in the vault, and applies the outcome:
 * - new tokens: the rotated refresh token replaces the old one in the vault (the access token is
 *   returned, to be kept in memory only);
 * - refused by the provider (invalid_grant: user disabled, token revoked): access termination.
 *   The stored refresh token is deleted and the user's offline PIN sign-in is revoked, in one
 *   transaction; the caller ends the session at once;
 * - network or other provider failure: nothing changes; retry later.
 */
export async function refreshStoredSession(
  db: Database,
  userId: string,
  options: Omit<RefreshOptions, 'refreshToken'> & { clock: Clock; logger: Logger },
): Promise<StoredRefreshOutcome> {
  const id = parseUserId(userId);
  const refreshToken = loadRefreshToken(db, id);
  if (refreshToken === null) return { ok: false, terminated: false, reason: 'noRefreshToken' };
  const outcome = await refresh({ ...options, refreshToken });
  if (outcome.ok) {
    // Only replace the token we used: a concurrent sign-in may have stored a newer one meanwhile.
    // Durable: the provider has already retired the old token, so losing the new one would end the session.
    durably(db, () =>
      db
        .prepare(
          'UPDATE identity_refresh_tokens SET refresh_token = ?, updated_at = ? WHERE user_id = ? AND refresh_token = ?',
        )
        .run(
          checkToken(outcome.tokens.refreshToken),
          parseTimestamp(options.clock.now(), 'The clock time'),
          id,
          refreshToken,
        ),
    );
  } else if (outcome.terminated) {
    durably(db, () => {
      db.prepare('DELETE FROM identity_refresh_tokens WHERE user_id = ? AND refresh_token = ?').run(id, refreshToken);
      revokeOffline(db, id, options.clock, options.logger);
    });
    options.logger.log('warn', 'identity.session.terminated', { reason: outcome.reason });
  }
  return outcome;
}
