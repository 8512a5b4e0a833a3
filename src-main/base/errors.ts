/**
 * The core's transport-neutral failure: a capability throws it to refuse a request for a reason a
 * person can act on. The router alone maps its kind to an IPC error code; the message goes to the
 * person at the screen, so it is written without PHI.
 */
export type CoreErrorKind =
  /** Nobody is signed in, or the person's proof (PIN, token) was not accepted. */
  | 'unauthenticated'
  /** The workstation is locked: nothing is shown until the PIN unlocks it. */
  | 'locked'
  /** Signed in, but this role or relationship may not do this. */
  | 'forbidden'
  /** The request itself is not acceptable (a rule of the domain, beyond the contract's schema). */
  | 'invalid'
  /** What the request names does not exist here. */
  | 'notFound'
  /** The request clashes with the current state (someone is signed in, a conflict is open). */
  | 'conflict'
  /** The workstation cannot do this now (not set up, cache unavailable). */
  | 'unavailable'
  /** This needs central, which cannot be reached now (or the session has no token for it). */
  | 'offline';

export class CoreError extends Error {
  override readonly name = 'CoreError';
  // A plain field, not a parameter property: worker threads load base/ as Node strips types.
  readonly kind: CoreErrorKind;
  constructor(kind: CoreErrorKind, message: string) {
    super(message);
    this.kind = kind;
  }
}

/** The one thing about a caught error that may be logged: its class name, never its message. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'unknown';
}
