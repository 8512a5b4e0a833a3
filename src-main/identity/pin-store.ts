import { IdentityPolicy, type Policy } from '../../src-shared/policy/schema.ts';
import type { Logger } from '../log/index.ts';
import type { Clock } from '../ports.ts';
import { durably, type Database } from '../vault/index.ts';
import { PinError, parsePinInput, parseTimestamp, parseUserId } from './errors.ts';
import { calibratedPinCost, checkPinRules, hashPin, verifyPin } from './pin.ts';

/**
 * PINs over the vault (table identity_pins, schema.ts): set after a full sign-in, checked to
 * unlock the user's own locked session or to sign in offline within the policy window, with a
 * lockout after policy pinMaxFailures wrong PINs in a row that only a full sign-in clears.
 *
 * Every check costs one scrypt (about 170 ms, calibrated: pin.ts), whatever the outcome, so the time taken does not
 * tell a locked-out, revoked or unknown user from a wrong PIN; and the answer while locked out
 * never says whether the PIN was right.
 */

export type PinCheckFailure = 'wrong' | 'lockedOut' | 'noPin' | 'offlineWindowExpired' | 'revoked';
export type PinCheckResult = { ok: true } | { ok: false; reason: PinCheckFailure; remaining?: number };

type IdentityPolicy = Policy['identity'];

interface PinRow {
  user_id: string;
  pin_hash: string | null;
  failures: number;
  locked_out_at: number | null;
  last_full_sign_in_at: number;
  offline_revoked_at: number | null;
}

const HOUR_MS = 3_600_000;

function parsePolicy(policy: unknown): IdentityPolicy {
  const result = IdentityPolicy.safeParse(policy);
  if (!result.success) throw new PinError('INVALID_INPUT', 'The identity policy is not valid.');
  return result.data;
}

function now(clock: Clock): number {
  return parseTimestamp(clock.now(), 'The clock time');
}

function readRow(db: Database, userId: string): PinRow | undefined {
  return db
    .prepare(
      'SELECT user_id, pin_hash, failures, locked_out_at, last_full_sign_in_at, offline_revoked_at FROM identity_pins WHERE user_id = ?',
    )
    .get(userId) as PinRow | undefined;
}

/** A hash of a PIN nobody knows: checks without a stored hash still cost one scrypt. */
let decoyHash: Promise<string> | undefined;
function decoy(): Promise<string> {
  decoyHash ??= calibratedPinCost().then((cost) => hashPin('000000000000', cost));
  return decoyHash;
}

/**
 * A full sign-in at the identity provider succeeded: clears wrong-PIN failures, lockout and an
 * offline revocation (the provider has just accepted the user), and restarts the offline window.
 */
export function recordFullSignIn(db: Database, userId: string, clock: Clock, logger?: Logger): void {
  const id = parseUserId(userId);
  const at = now(clock);
  db.prepare(
    `INSERT INTO identity_pins (user_id, pin_hash, failures, locked_out_at, last_full_sign_in_at, offline_revoked_at, updated_at)
     VALUES (?, NULL, 0, NULL, ?, NULL, ?)
     ON CONFLICT (user_id) DO UPDATE SET failures = 0, locked_out_at = NULL, offline_revoked_at = NULL,
       last_full_sign_in_at = max(last_full_sign_in_at, excluded.last_full_sign_in_at), updated_at = excluded.updated_at`,
  ).run(id, at, at);
  logger?.log('info', 'identity.fullSignIn.recorded');
}

/**
 * Sets (or replaces) the user's PIN. Allowed only after a full sign-in at `fullSignInAt`, which
 * must lie within the policy session length before now and not before a lockout or revocation;
 * it is stored as the user's last full sign-in. Throws PinError: INVALID_INPUT, PIN_RULES (with
 * the reasons) or FULL_SIGN_IN_REQUIRED.
 */
export async function setPin(
  db: Database,
  userId: string,
  pin: string,
  policy: IdentityPolicy,
  clock: Clock,
  fullSignInAt: number,
  logger?: Logger,
): Promise<void> {
  const id = parseUserId(userId);
  const rules = parsePolicy(policy);
  const signedInAt = parseTimestamp(fullSignInAt, 'The full sign-in time');
  if (typeof pin !== 'string') throw new PinError('INVALID_INPUT', 'The PIN is missing or not in the expected format.');
  const verdict = checkPinRules(pin, rules);
  if (!verdict.ok) {
    logger?.log('info', 'identity.pin.rejected', { reason: verdict.reasons.join(','), count: verdict.reasons.length });
    throw new PinError('PIN_RULES', `The PIN was refused: ${verdict.reasons.join(', ')}.`, verdict.reasons);
  }
  const at = now(clock);
  const fullSignInRequired = (why: string) => {
    logger?.log('warn', 'identity.pin.setRefused', { reason: why });
    return new PinError('FULL_SIGN_IN_REQUIRED', 'Setting a PIN needs a recent full sign-in.');
  };
  if (signedInAt > at || at - signedInAt > rules.maxSessionHours * HOUR_MS) throw fullSignInRequired('signInNotRecent');

  // At this machine's calibrated cost, stored in the hash string (issue 17).
  const hash = await hashPin(pin, await calibratedPinCost());

  // Decide against the row as it is after the hash (other checks may have run meanwhile).
  const at2 = now(clock);
  durably(db, () => {
    const row = readRow(db, id);
    if (
      row &&
      ((row.locked_out_at !== null && row.locked_out_at >= signedInAt) ||
        (row.offline_revoked_at !== null && row.offline_revoked_at >= signedInAt))
    ) {
      throw fullSignInRequired(row.locked_out_at !== null ? 'lockedOut' : 'revoked');
    }
    db.prepare(
      `INSERT INTO identity_pins (user_id, pin_hash, failures, locked_out_at, last_full_sign_in_at, offline_revoked_at, updated_at)
       VALUES (?, ?, 0, NULL, ?, NULL, ?)
       ON CONFLICT (user_id) DO UPDATE SET pin_hash = excluded.pin_hash, failures = 0, locked_out_at = NULL, offline_revoked_at = NULL,
         last_full_sign_in_at = max(last_full_sign_in_at, excluded.last_full_sign_in_at), updated_at = excluded.updated_at`,
    ).run(id, hash, signedInAt, at2);
  });
  logger?.log('info', 'identity.pin.set');
}

async function check(
  db: Database,
  userId: string,
  pin: string,
  policy: IdentityPolicy,
  clock: Clock,
  offline: boolean,
  logger?: Logger,
): Promise<PinCheckResult> {
  const id = parseUserId(userId);
  const checked = parsePinInput(pin);
  const rules = parsePolicy(policy);
  now(clock);

  const before = readRow(db, id);
  const stored = before?.pin_hash ?? null;
  // Always pay for one scrypt (see the module comment).
  const cost = await calibratedPinCost();
  const verification = await verifyPin(checked, stored ?? (await decoy()), cost);

  const at = now(clock);
  // Durable: a failure count lost to a power cut would give a guesser extra attempts.
  const outcome = durably(db, (): PinCheckResult => {
    const row = readRow(db, id);
    if (!row || row.pin_hash === null) return { ok: false, reason: 'noPin' };
    // The user's own session: a revoked account ends it at any PIN.
    if (!offline && row.offline_revoked_at !== null) return { ok: false, reason: 'revoked' };
    if (row.locked_out_at !== null || row.failures >= rules.pinMaxFailures)
      return { ok: false, reason: 'lockedOut', remaining: 0 };
    // A PIN set or changed while this check ran was not the one verified: it counts as wrong.
    const right = verification.ok && row.pin_hash === stored;
    if (right && offline) {
      // Offline, why a sign-in is refused is told only to whoever typed the right PIN (issue 17):
      // before that, a revoked or expired account reads like an unknown one, and a wrong PIN for
      // it counts toward the lockout below, so the reason is no oracle for guessing.
      if (row.offline_revoked_at !== null) return { ok: false, reason: 'revoked' };
      const windowMs = rules.offlineSignInHours * HOUR_MS;
      // A clock earlier than the last full sign-in is not trusted to extend the window.
      if (windowMs === 0 || at < row.last_full_sign_in_at || at - row.last_full_sign_in_at > windowMs)
        return { ok: false, reason: 'offlineWindowExpired' };
    }
    if (right) {
      db.prepare('UPDATE identity_pins SET failures = 0, updated_at = ? WHERE user_id = ?').run(at, id);
      return { ok: true };
    }
    const failures = row.failures + 1;
    const lockedOut = failures >= rules.pinMaxFailures;
    db.prepare('UPDATE identity_pins SET failures = ?, locked_out_at = ?, updated_at = ? WHERE user_id = ?').run(
      failures,
      lockedOut ? at : null,
      at,
      id,
    );
    return lockedOut
      ? { ok: false, reason: 'lockedOut', remaining: 0 }
      : { ok: false, reason: 'wrong', remaining: rules.pinMaxFailures - failures };
  });

  if (outcome.ok) {
    logger?.log('info', 'identity.pin.accepted', { phase: offline ? 'offline' : 'unlock' });
    if (verification.needsRehash && stored !== null) {
      const rehashed = await hashPin(checked, cost);
      // Only if nobody changed the PIN meanwhile.
      db.prepare('UPDATE identity_pins SET pin_hash = ?, updated_at = ? WHERE user_id = ? AND pin_hash = ?').run(
        rehashed,
        now(clock),
        id,
        stored,
      );
      logger?.log('info', 'identity.pin.rehashed');
    }
  } else {
    logger?.log(outcome.reason === 'wrong' ? 'info' : 'warn', 'identity.pin.refused', {
      reason: outcome.reason,
      phase: offline ? 'offline' : 'unlock',
      ...(outcome.remaining === undefined ? {} : { count: outcome.remaining }),
    });
  }
  return outcome;
}

/**
 * Unlocks the user's own locked session with their PIN. Consecutive wrong PINs are counted; at
 * policy pinMaxFailures the user is locked out until a full sign-in (recordFullSignIn), and while
 * locked out every PIN, right or wrong, gets 'lockedOut'. `remaining` is the number of attempts
 * left before the lockout. Throws PinError('INVALID_INPUT') for a malformed user id or PIN
 * (not counted: such a PIN can never be right).
 */
export function checkPin(
  db: Database,
  userId: string,
  pin: string,
  policy: IdentityPolicy,
  clock: Clock,
  logger?: Logger,
): Promise<PinCheckResult> {
  return check(db, userId, pin, policy, clock, false, logger);
}

/**
 * Offline sign-in with user name (resolved to the id by the caller) and PIN: as checkPin, and
 * only within policy offlineSignInHours since the user's last full sign-in (0 = never).
 */
export function checkOfflineSignIn(
  db: Database,
  userId: string,
  pin: string,
  policy: IdentityPolicy,
  clock: Clock,
  logger?: Logger,
): Promise<PinCheckResult> {
  return check(db, userId, pin, policy, clock, true, logger);
}

/**
 * Access termination (a refresh refused by the provider): the user's PIN no longer unlocks or
 * signs in until their next full sign-in. Returns whether the user had a row to revoke.
 */
export function revokeOffline(db: Database, userId: string, clock: Clock, logger?: Logger): boolean {
  const id = parseUserId(userId);
  const at = now(clock);
  const changed =
    db.prepare('UPDATE identity_pins SET offline_revoked_at = ?, updated_at = ? WHERE user_id = ?').run(at, at, id)
      .changes > 0;
  logger?.log('warn', 'identity.pin.revoked', { count: changed ? 1 : 0 });
  return changed;
}

/** What the lock and sign-in screens need to know, without checking anything. */
export function pinStatus(
  db: Database,
  userId: string,
  policy: IdentityPolicy,
  clock: Clock,
): { hasPin: boolean; lockedOut: boolean; revoked: boolean; offlineUntil: number | null } {
  const id = parseUserId(userId);
  const rules = parsePolicy(policy);
  const at = now(clock);
  const row = readRow(db, id);
  if (!row) return { hasPin: false, lockedOut: false, revoked: false, offlineUntil: null };
  const until = row.last_full_sign_in_at + rules.offlineSignInHours * HOUR_MS;
  return {
    hasPin: row.pin_hash !== null,
    lockedOut: row.locked_out_at !== null || row.failures >= rules.pinMaxFailures,
    revoked: row.offline_revoked_at !== null,
    offlineUntil:
      rules.offlineSignInHours > 0 &&
      row.pin_hash !== null &&
      row.offline_revoked_at === null &&
      at >= row.last_full_sign_in_at &&
      at <= until
        ? until
        : null,
  };
}
