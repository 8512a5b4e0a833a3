import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionStatus } from '../../src-shared/session/status.ts';
import { invoke } from '../api.ts';
import { digitsOnly } from './session-actions.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

interface Props {
  patientId: string;
  patientName: string;
  rules: SessionStatus['emergencyAccess'];
  onGranted(): void;
  onCancel(): void;
}

/**
 * Break-glass: a coded reason, a written justification and the PIN again. Nothing of the chart is
 * shown until the main process has recorded the grant durably and said so.
 */
export function EmergencyAccessDialog({ patientId, patientName, rules, onGranted, onCancel }: Props) {
  const [reason, setReason] = useState(rules.reasons[0]?.code ?? '');
  const [justification, setJustification] = useState('');
  const [pin, setPin] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (justification.trim().length < rules.minJustificationLength) {
      return setError(`Write at least ${rules.minJustificationLength} characters of justification.`);
    }
    if (pin.length < 4) return setError('Type your PIN.');
    setBusy(true);
    const result = await invoke('breakGlass.request', { patientId, reason, justification, pin });
    setBusy(false);
    setPin('');
    if (result.ok) onGranted();
    else setError(result.error.message);
  };

  return (
    <div className="dialog-backdrop">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby="emergency-heading"
        className="dialog"
        onKeyDown={(e) => e.key === 'Escape' && onCancel()}
      >
        <h2 id="emergency-heading" ref={heading} tabIndex={-1}>
          Emergency access
        </h2>
        <p>
          You are asking for emergency access to the record of {patientName} for {rules.durationMinutes} minutes. Your
          reason and justification are recorded and reviewed by the privacy officer.
        </p>
        <form onSubmit={(event) => void submit(event)} noValidate>
          <div className="field">
            <label htmlFor="emergency-reason">Reason</label>
            <select id="emergency-reason" className="input" value={reason} onChange={(e) => setReason(e.target.value)}>
              {rules.reasons.map((r) => (
                <option key={r.code} value={r.code}>
                  {r.display}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="emergency-justification">Justification</label>
            <p id="emergency-justification-hint" className="hint">
              At least {rules.minJustificationLength} characters: what is happening and why you need this record now.
            </p>
            <textarea
              id="emergency-justification"
              className="input"
              rows={4}
              maxLength={2000}
              aria-describedby="emergency-justification-hint"
              value={justification}
              onChange={(e) => setJustification(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="emergency-pin">PIN</label>
            <input
              id="emergency-pin"
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
              Grant emergency access
            </button>
            <button type="button" className="button button--secondary" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
        {error && <ErrorAlert label="Not granted:" message={error} />}
      </div>
    </div>
  );
}
