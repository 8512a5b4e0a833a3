import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { digitsOnly, sessionAction } from './session-actions.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { SyncStatusBar } from './SyncStatusBar.tsx';

/**
 * The only thing on screen while locked: who is signed in, their PIN, or "Switch user". The PHI
 * stores were cleared before this rendered (stores/session.ts). Focus is in the PIN field from
 * the first frame, so a clinician who types their PIN the moment the screen locks loses no digit
 * (the field's label and the region's name tell a screen reader where it is).
 */
export function LockScreen({ session }: { session: SessionStatus }) {
  const pinInput = useRef<HTMLInputElement>(null);
  useEffect(() => {
    pinInput.current?.focus();
  }, []);
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const unlock = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pin.length < 4) return setError('Type your PIN.');
    setBusy(true);
    const failure = await sessionAction('session.unlock', { pin });
    setBusy(false);
    setPin('');
    setError(failure ? failure.message : null);
  };

  return (
    <div className="layout">
      <main className="screen screen--centered">
        <section className="panel lock" role="region" aria-labelledby="lock-heading">
          <h1 id="lock-heading">Workstation locked</h1>
          <p>
            Signed in: <strong>{session.user?.displayName}</strong>
          </p>
          <form onSubmit={(event) => void unlock(event)} noValidate>
            <div className="field">
              <label htmlFor="unlock-pin">PIN</label>
              <input
                id="unlock-pin"
                ref={pinInput}
                className="input"
                type="password"
                inputMode="numeric"
                autoComplete="off"
                value={pin}
                onChange={(e) => setPin(digitsOnly(e.target.value))}
              />
            </div>
            <div className="actions">
              <button type="submit" className="button" disabled={busy}>
                Unlock
              </button>
              <button
                type="button"
                className="button button--secondary"
                onClick={() => void sessionAction('session.end', { reason: 'switchUser' })}
              >
                Switch user
              </button>
            </div>
          </form>
          {error && <ErrorAlert label="Not unlocked:" message={error} />}
        </section>
        {/* Counts only, no PHI: whoever comes to the keyboard sees whether changes still wait for central. */}
        <SyncStatusBar canSyncNow={false} />
      </main>
    </div>
  );
}
