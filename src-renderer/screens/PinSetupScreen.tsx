import { useState, type FormEvent } from 'react';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { digitsOnly, sessionAction } from './session-actions.ts';
import { useHeadingFocus } from './focus.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/** After the first full sign-in on this workstation: the PIN that unlocks this person's own session. */
export function PinSetupScreen({ session }: { session: SessionStatus }) {
  const heading = useHeadingFocus<HTMLHeadingElement>(true);
  const [pin, setPin] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const min = session.pinRules.minLength;

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pin.length < min) return setError(`The PIN needs at least ${min} digits.`);
    if (pin !== confirm) return setError('The two PINs are not the same.');
    setError(null);
    setBusy(true);
    const failure = await sessionAction('session.setPin', { pin });
    setBusy(false);
    if (failure) {
      setError(failure.message);
      setPin('');
      setConfirm('');
    }
  };

  return (
    <div className="layout">
      <main className="screen screen--centered">
        <section className="panel" aria-labelledby="pin-setup-heading">
          <h1 id="pin-setup-heading" ref={heading} tabIndex={-1}>
            Set your PIN
          </h1>
          <p>
            Welcome, {session.user?.displayName}. Choose a PIN of {min} to 12 digits: it unlocks your session on this
            workstation when the screen locks. Avoid easy PINs such as 123456 or 000000.
          </p>
          <form onSubmit={(event) => void submit(event)} noValidate>
            <div className="field">
              <label htmlFor="new-pin">New PIN</label>
              <input
                id="new-pin"
                className="input"
                type="password"
                inputMode="numeric"
                autoComplete="new-password"
                value={pin}
                onChange={(e) => setPin(digitsOnly(e.target.value))}
              />
            </div>
            <div className="field">
              <label htmlFor="confirm-pin">Confirm PIN</label>
              <input
                id="confirm-pin"
                className="input"
                type="password"
                inputMode="numeric"
                autoComplete="new-password"
                value={confirm}
                onChange={(e) => setConfirm(digitsOnly(e.target.value))}
              />
            </div>
            <div className="actions">
              <button type="submit" className="button" disabled={busy}>
                Set PIN
              </button>
              <button
                type="button"
                className="button button--secondary"
                onClick={() => void sessionAction('session.end', { reason: 'signOut' })}
              >
                Sign out
              </button>
            </div>
          </form>
          {error && <ErrorAlert label="PIN not set:" message={error} />}
        </section>
      </main>
    </div>
  );
}
