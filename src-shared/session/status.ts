import { z } from 'zod';
import { Role } from '../access/roles.ts';

/**
 * What the window may know about who is at the keyboard. No token, no PIN, no patient: the
 * signed-in person's name and role are staff information the lock screen shows.
 *
 * - signedOut: nobody; the sign-in screen.
 * - pinSetup: signed in fully for the first time on this workstation (or after a lockout): a PIN
 *   must be set before anything else. No PHI.
 * - active: working. warning: working, "Locking soon" is shown (lockDeadline).
 * - locked: the lock screen; only the same user's PIN (or "Switch user") leaves it. No PHI.
 */
export const SessionState = z.enum(['signedOut', 'pinSetup', 'active', 'warning', 'locked']);
export type SessionState = z.infer<typeof SessionState>;

/** Why the last session ended, for the sign-in screen's message. */
export const SessionEndReason = z.enum([
  'signOut',
  'switchUser',
  'maxSession',
  'accessRevoked',
  'pinLockedOut',
  'lockedBeforePin',
  /** IT ordered this workstation wiped (issue 15): the session ended before the erase. */
  'remoteWipe',
]);
export type SessionEndReason = z.infer<typeof SessionEndReason>;

export const LockReason = z.enum(['idle', 'os-lock', 'suspend', 'session-switch', 'manual']);

export const SessionUser = z.object({
  userId: z.string(),
  username: z.string().nullable(),
  displayName: z.string(),
  role: Role,
});
export type SessionUser = z.infer<typeof SessionUser>;

export const SignInProgress = z.discriminatedUnion('phase', [
  z.object({ phase: z.literal('idle') }),
  /** The provider's page is open; the user completes the sign-in there. */
  z.object({ phase: z.literal('waiting') }),
  /** The last attempt failed; the message is for people and carries no secret. */
  z.object({ phase: z.literal('failed'), message: z.string().max(500) }),
]);
export type SignInProgress = z.infer<typeof SignInProgress>;

export const SessionStatus = z.object({
  state: SessionState,
  user: SessionUser.nullable(),
  /** Signed in with username + PIN while the provider could not be reached. */
  offline: z.boolean(),
  signIn: SignInProgress,
  /** Epoch ms of the idle lock while "Locking soon" is shown; else null. */
  lockDeadline: z.number().nullable(),
  lockReason: LockReason.nullable(),
  endedReason: SessionEndReason.nullable(),
  /** Rules the PIN screens show (from policy). */
  pinRules: z.object({ minLength: z.number().int(), maxFailures: z.number().int() }),
  /** Whether IT has configured the clinic's identity provider (policy `central`). */
  signInConfigured: z.boolean(),
  /**
   * Offline expiry (policy cache.maxOfflineDays): when `expired`, PIN sign-in and charts are off
   * until central is reached (a full sign-in, or a sync round). `message` says what to do.
   */
  centralContact: z.object({
    expired: z.boolean(),
    maxOfflineDays: z.number().int(),
    lastContactAt: z.number().nullable(),
    message: z.string().max(500).nullable(),
  }),
  /** Break-glass for this user: whether policy allows it, its reasons and rules, and the grants held. */
  emergencyAccess: z.object({
    allowed: z.boolean(),
    reasons: z.array(z.object({ code: z.string(), display: z.string() })),
    minJustificationLength: z.number().int(),
    durationMinutes: z.number().int(),
    grants: z.array(z.object({ patientId: z.string(), expiresAt: z.number() })),
  }),
});
export type SessionStatus = z.infer<typeof SessionStatus>;
