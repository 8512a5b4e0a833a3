/**
 * Session channels: who is at the keyboard. Signing in (through the provider, or offline with
 * username and PIN), setting the PIN, locking and unlocking, ending the session, and the activity
 * that keeps the idle clock from locking. No PHI.
 */
import { z } from 'zod';
import { defineChannel } from '../define.ts';
import { SessionStatus } from '../../session/status.ts';
import { Empty, Pin } from './common.ts';

const Username = z.string().trim().min(1, 'Type your username').max(128, 'The username is too long');

export const sessionChannels = {
  'session.status': defineChannel({ request: Empty, response: SessionStatus, access: { kind: 'public' }, phi: false }),
  /** Opens the provider's sign-in page; the outcome arrives as `session.changed`. */
  'session.signIn': defineChannel({ request: Empty, response: SessionStatus, access: { kind: 'public' }, phi: false }),
  'session.cancelSignIn': defineChannel({
    request: Empty,
    response: SessionStatus,
    access: { kind: 'public' },
    phi: false,
  }),
  /** Username + PIN while the provider cannot be reached, within policy's offline window. */
  'session.signInOffline': defineChannel({
    request: z.object({ username: Username, pin: Pin }).strict(),
    response: SessionStatus,
    access: { kind: 'public' },
    phi: false,
  }),
  /**
   * A first PIN after a full sign-in. Replacing an existing one needs `currentPin` (counted toward
   * the lockout) or a full sign-in in the last few minutes; otherwise FORBIDDEN.
   */
  'session.setPin': defineChannel({
    request: z.object({ pin: Pin, currentPin: Pin.optional() }).strict(),
    response: SessionStatus,
    access: { kind: 'signedIn' },
    phi: false,
  }),
  'session.unlock': defineChannel({
    request: z.object({ pin: Pin }).strict(),
    response: SessionStatus,
    access: { kind: 'signedIn' },
    phi: false,
  }),
  'session.lock': defineChannel({ request: Empty, response: SessionStatus, access: { kind: 'signedIn' }, phi: false }),
  /** Ends the session completely ("Switch user", "Sign out"). */
  'session.end': defineChannel({
    request: z.object({ reason: z.enum(['signOut', 'switchUser']) }).strict(),
    response: SessionStatus,
    access: { kind: 'signedIn' },
    phi: false,
  }),
  /** Input in the window (throttled by the renderer): restarts the idle clock. */
  'session.activity': defineChannel({
    request: Empty,
    response: z.object({}).strict(),
    access: { kind: 'signedIn' },
    phi: false,
  }),
} as const;
