import { useState, type FormEvent } from 'react';
import type { WorkstationStatus } from '../../src-shared/ipc/contract.ts';
import type { SessionEndReason, SessionStatus } from '../../src-shared/session/status.ts';
import { digitsOnly, sessionAction } from './session-actions.ts';
import { useHeadingFocus } from './focus.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

const endedMessages: Record<SessionEndReason, string> = {
  signOut: 'You signed out.',
  switchUser: 'The previous session has ended. The next person can sign in.',
  maxSession: 'The session reached its maximum length. Sign in again.',
  accessRevoked:
    'The identity provider no longer accepts this account, so the session was ended. Contact IT if this is unexpected.',
  pinLockedOut: 'Too many wrong PINs. Sign in again with your password.',
  lockedBeforePin: 'The workstation locked before a PIN was set. Sign in again.',
  remoteWipe: 'This workstation was wiped by IT.',
};

interface Props {
  workstation: WorkstationStatus;
  session: SessionStatus;
}

/**
 * Sign-in: the clinic's identity provider in its own window (the normal way), or username and
 * PIN within the offline window policy allows since the person's last full sign-in here.
 */
export function SignInScreen({ workstation, session }: Props) {
  const heading = useHeadingFocus<HTMLHeadingElement>(true);
  const [username, setUsername] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const waiting = session.signIn.phase === 'waiting';

  const startSignIn = async () => {
    setError(null);
    const failure = await sessionAction('session.signIn', {});
    if (failure) setError(failure.message);
  };

  const signInWithPin = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setError(null);
    if (username.trim() === '' || pin.length < 4) {
      setError('Type your username and your PIN.');
      return;
    }
    setBusy(true);
    const failure = await sessionAction('session.signInOffline', { username: username.trim(), pin });
    setBusy(false);
    setPin('');
    if (failure) setError(failure.message);
  };

  return (
    <div className="layout">
      <header className="app-header">
        <p className="app-title">{workstation.appName}</p>
        <p className="app-version">Version {workstation.appVersion}</p>
      </header>
      <main className="screen screen--centered">
        <section className="panel sign-in" aria-labelledby="sign-in-heading">
          <h1 id="sign-in-heading" ref={heading} tabIndex={-1}>
            Sign in
          </h1>
          {session.endedReason && <p className="message">{endedMessages[session.endedReason]}</p>}
          <p>
            You sign in with your own clinic account, through your clinic&apos;s identity provider (the same sign-in,
            and the same multi-factor check, as your other clinic systems).
          </p>
          {!session.signInConfigured ? (
            <p className="message message--error">
              <span className="message__label">Not set up:</span> this workstation has no identity provider configured.
              Contact IT.
            </p>
          ) : waiting ? (
            <div role="status" className="sign-in__waiting">
              <p>Complete the sign-in in the identity provider&apos;s window.</p>
              <button
                type="button"
                className="button button--secondary"
                onClick={() => void sessionAction('session.cancelSignIn', {})}
              >
                Cancel sign-in
              </button>
            </div>
          ) : (
            <button type="button" className="button" onClick={() => void startSignIn()}>
              Sign in
            </button>
          )}
          {session.signIn.phase === 'failed' && (
            <ErrorAlert label="Sign-in not completed:" message={session.signIn.message} />
          )}

          {session.centralContact.expired ? (
            <section className="pin-form" aria-labelledby="pin-sign-in-heading">
              <h2 id="pin-sign-in-heading">Sign in with your PIN</h2>
              <p className="message message--error">
                <span className="message__label">Not available:</span> {session.centralContact.message}
              </p>
            </section>
          ) : (
            <form
              className="pin-form"
              onSubmit={(event) => void signInWithPin(event)}
              noValidate
              aria-labelledby="pin-sign-in-heading"
            >
              <h2 id="pin-sign-in-heading">Sign in with your PIN</h2>
              <p className="hint">
                Only on a workstation where you signed in fully recently, for example while the network is down.
              </p>
              <div className="field">
                <label htmlFor="offline-username">Username</label>
                <input
                  id="offline-username"
                  className="input"
                  autoComplete="username"
                  spellCheck={false}
                  value={username}
                  onChange={(e) => setUsername(e.target.value)}
                  maxLength={128}
                />
              </div>
              <div className="field">
                <label htmlFor="offline-pin">PIN</label>
                <input
                  id="offline-pin"
                  className="input"
                  type="password"
                  inputMode="numeric"
                  autoComplete="off"
                  value={pin}
                  onChange={(e) => setPin(digitsOnly(e.target.value))}
                />
              </div>
              <button type="submit" className="button button--secondary" disabled={busy}>
                Sign in with PIN
              </button>
            </form>
          )}
          {error && <ErrorAlert label="Not signed in:" message={error} />}
        </section>
      </main>
    </div>
  );
}
