import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { digitsOnly, sessionAction } from './session-actions.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

function PinField({
  id,
  label,
  value,
  onChange,
}: {
  id: string;
  label: string;
  value: string;
  onChange(v: string): void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        type="password"
        inputMode="numeric"
        autoComplete={id === 'current-pin' ? 'current-password' : 'new-password'}
        value={value}
        onChange={(e) => onChange(digitsOnly(e.target.value))}
      />
    </div>
  );
}

/**
 * "Change PIN" from the header (issue 17): the main process asks for the current PIN (a wrong one
 * counts toward the lockout, as at the lock screen) or, within a few minutes of a full sign-in
 * with the password, none. The PINs typed are cleared after every try.
 */
export function ChangePinPanel({ session, onClose }: { session: SessionStatus; onClose(): void }) {
  const heading = useRef<HTMLHeadingElement>(null);
  const [current, setCurrent] = useState('');
  const [pin, setPin] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const min = session.pinRules.minLength;
  useEffect(() => heading.current?.focus(), []);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setDone(false);
    if (pin.length < min) return setError(`The new PIN needs at least ${min} digits.`);
    if (pin !== confirm) return setError('The two new PINs are not the same.');
    setError(null);
    setBusy(true);
    const failure = await sessionAction('session.setPin', current ? { pin, currentPin: current } : { pin });
    setBusy(false);
    setCurrent('');
    setPin('');
    setConfirm('');
    if (failure) setError(failure.message);
    else setDone(true);
  };

  return (
    <section className="panel" aria-labelledby="change-pin-heading">
      <div className="chart__header">
        <h1 id="change-pin-heading" ref={heading} tabIndex={-1}>
          Change PIN
        </h1>
        <button type="button" className="button button--secondary" onClick={onClose}>
          Close change PIN
        </button>
      </div>
      <p className="hint">
        Enter your current PIN. Forgotten it? Sign in again with your password, then change it within 5 minutes without
        the current one.
      </p>
      <form onSubmit={(event) => void submit(event)} noValidate aria-label="Change PIN">
        <PinField id="current-pin" label="Current PIN" value={current} onChange={setCurrent} />
        <PinField id="changed-pin" label="New PIN" value={pin} onChange={setPin} />
        <PinField id="changed-pin-confirm" label="Confirm new PIN" value={confirm} onChange={setConfirm} />
        <div className="actions">
          <button type="submit" className="button" aria-disabled={busy}>
            Change PIN
          </button>
        </div>
      </form>
      {error && <ErrorAlert label="PIN not changed:" message={error} />}
      {done && <p role="status">Your PIN was changed. Use the new one from now on.</p>}
    </section>
  );
}
