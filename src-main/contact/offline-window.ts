import type { Database } from '../vault/index.ts';
import { readCentralContact, writeCentralContact } from '../audit/index.ts';

/**
 * Offline expiry (issue 15): how long this workstation has gone without reaching central, against
 * policy `cache.maxOfflineDays`. "Reached central" is a sync round that read from central under a
 * user's token, or a full sign-in at the identity provider: both prove central answered and
 * accepted a user of the clinic now.
 *
 * The clock cannot be trusted to only go forward (a user may turn it back to stretch the
 * window), so the time offline is not "now minus the last contact" but a sum kept in the cache:
 * each time the workstation looks, the time since it last looked is added when positive, and a
 * clock found behind its last reading adds nothing and is simply read from there on. Turning the
 * clock back therefore never gives time back; what it can still hide is time that passed while
 * the app was closed and the clock was turned back before it started again (up to the amount
 * turned back). A clock set forward shortens the window (fails closed); the next contact resets it.
 */
export interface OfflineWindow {
  expired: boolean;
  /** When central was last reached (by this workstation's clock then), or null before any. */
  lastContactAt: number | null;
  /** Time offline counted so far. */
  offlineMs: number;
}

const DAY_MS = 86_400_000;
/** Readings closer than this to the last one are not written (a chart read should not write). */
const OBSERVE_WRITE_MS = 60_000;

/** Central answered: the count starts again from now. */
export function recordCentralContact(db: Database, now: number): void {
  writeCentralContact(db, { lastContactAt: now, offlineMs: 0, observedAt: now });
}

/**
 * The window as of `now`, counted forward (and kept, at most once a minute). A cache that never
 * recorded a contact starts counting at its first look: an upgraded cache gets the full window.
 */
export function offlineWindow(db: Database, now: number, maxOfflineDays: number): OfflineWindow {
  const row = readCentralContact(db);
  if (!row) {
    writeCentralContact(db, { lastContactAt: now, offlineMs: 0, observedAt: now });
    return { expired: false, lastContactAt: null, offlineMs: 0 };
  }
  const step = now - row.observedAt;
  const offlineMs = Math.min(Number.MAX_SAFE_INTEGER, row.offlineMs + Math.max(0, step));
  if (step < 0 || step >= OBSERVE_WRITE_MS) writeCentralContact(db, { ...row, offlineMs, observedAt: now });
  return {
    expired: offlineMs >= maxOfflineDays * DAY_MS,
    lastContactAt: row.lastContactAt === 0 ? null : row.lastContactAt,
    offlineMs,
  };
}

/** What a person is told when the window has passed: what happened, and what to do. */
export function offlineExpiredMessage(maxOfflineDays: number): string {
  return `This workstation has not reached the clinic's central services for more than ${maxOfflineDays} days, so PIN sign-in and charts are off. Connect it to the clinic network and sign in fully with "Sign in"; then everything works again.`;
}
