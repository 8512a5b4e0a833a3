/**
 * The full sign-in at the clinic's identity provider: OIDC through the AuthBrowser port, one page
 * at a time, cancelled by the user, replaced by a PIN sign-in or stopped at shutdown. Its state
 * (idle, waiting, failed) is part of the session's status; the outcome arrives as a `changed`.
 */
import { recordCentralContact } from '../contact/index.ts';
import type { Policy } from '../../src-shared/policy/schema.ts';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { CoreError } from '../base/index.ts';
import {
  OidcError,
  pinStatus,
  recordFullSignIn,
  rememberUser,
  signIn,
  storeRefreshToken,
  type KnownUser,
} from '../identity/index.ts';
import type { Logger } from '../log/index.ts';
import { centralFetchFor } from '../net/index.ts';
import type { AuthBrowser, Clock } from '../ports.ts';
import { durably, type Database } from '../vault/index.ts';
import type { SessionMachine } from './active-session.ts';
import { failureMessage } from './messages.ts';

/** How long the provider's page may stay open before the sign-in gives up. */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

export type SignInState = SessionStatus['signIn'];

export interface ProviderSignInDeps {
  db(): Database;
  policy: Pick<Policy, 'central' | 'identity'>;
  /** Opens the provider's page; absent where nobody can sign in (the IT command line). */
  authBrowser: AuthBrowser | null;
  clock: Clock;
  logger: Logger;
  machine: SessionMachine;
  /** A sign-in began: the status no longer says why the last session ended. */
  forgetEndedReason(): void;
}

export interface ProviderSignIn {
  /** The sign-in's part of the status. */
  state(): SignInState;
  /** Opens the provider's page (or keeps the open one); the outcome arrives as a `changed`. */
  start(): SessionStatus;
  cancel(): SessionStatus;
  /** A PIN sign-in took the keyboard: the page is dropped and the state is idle (not announced). */
  supersede(): void;
  /** Shutdown: the page is dropped, and a sign-in that still comes back is ignored. */
  close(): void;
}

export function createProviderSignIn(deps: ProviderSignInDeps): ProviderSignIn {
  const { clock, logger, machine } = deps;
  const { central, identity: identityPolicy } = deps.policy;
  let signInState: SignInState = { phase: 'idle' };
  let signInAbort: AbortController | null = null;
  let closed = false;

  async function runSignIn(abort: AbortController): Promise<void> {
    if (!central || !deps.authBrowser) return;
    try {
      const identity = await signIn({
        issuer: central.issuer,
        fetch: centralFetchFor(central),
        clientId: central.clientId,
        allowLoopbackHttp: central.allowLoopbackHttp,
        resource: central.fhirBaseUrl,
        scope: central.scope,
        roleClaim: central.roleClaim,
        roleMap: central.roleMap,
        authBrowser: deps.authBrowser,
        clock,
        logger,
        timeoutMs: SIGN_IN_TIMEOUT_MS,
        signal: abort.signal,
      });
      if (signInAbort !== abort || closed) return;
      signInAbort = null;
      if (machine.session()) {
        // Someone signed in with a PIN meanwhile: this sign-in is dropped, not merged.
        signInState = { phase: 'idle' };
        return machine.changed();
      }
      const db = deps.db();
      const at = clock.now();
      const user: KnownUser = {
        userId: identity.userId,
        username: identity.username,
        displayName: identity.displayName,
        role: identity.role,
        practitionerId: identity.practitionerId,
      };
      durably(db, () => {
        recordFullSignIn(db, user.userId, clock, logger);
        recordCentralContact(db, at); // the identity provider answered: offline expiry starts again
        storeRefreshToken(db, user.userId, identity.refreshToken, clock);
        rememberUser(db, user, at);
      });
      const pin = pinStatus(db, user.userId, identityPolicy, clock);
      signInState = { phase: 'idle' };
      machine.record({
        action: 'signIn',
        outcome: 'success',
        userId: user.userId,
        role: user.role,
        detail: 'provider',
      });
      machine.start(user, at, pin.hasPin, identity);
      machine.changed();
    } catch (error) {
      if (signInAbort !== abort || closed) return;
      signInAbort = null;
      const cancelled = error instanceof OidcError && error.code === 'CANCELLED';
      signInState = cancelled ? { phase: 'idle' } : { phase: 'failed', message: failureMessage(error) };
      machine.record({
        action: 'signInFailed',
        outcome: 'failure',
        userId: null,
        role: null,
        detail: error instanceof OidcError ? error.code : 'error',
      });
      machine.changed();
    }
  }

  return {
    state: () => signInState,
    start() {
      if (!central || !deps.authBrowser)
        throw new CoreError('unavailable', 'This workstation is not set up for sign-in yet. Contact IT.');
      if (machine.session()) throw new CoreError('conflict', 'Someone is signed in. Use "Switch user" first.');
      deps.db(); // fail now, not after the provider's page, when the cache is unavailable
      if (signInAbort) return machine.status(); // already waiting: the same page stays open
      const abort = new AbortController();
      signInAbort = abort;
      signInState = { phase: 'waiting' };
      deps.forgetEndedReason();
      void runSignIn(abort);
      machine.changed();
      return machine.status();
    },
    cancel() {
      if (signInAbort) {
        signInAbort.abort();
        signInAbort = null;
        signInState = { phase: 'idle' };
        machine.changed();
      }
      return machine.status();
    },
    supersede() {
      signInAbort?.abort();
      signInAbort = null;
      signInState = { phase: 'idle' };
    },
    close() {
      signInAbort?.abort();
      signInAbort = null;
      closed = true;
    },
  };
}
