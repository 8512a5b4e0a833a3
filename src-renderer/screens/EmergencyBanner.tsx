import { useEffect, useState } from 'react';
import { invoke } from '../api.ts';
import { formatClock } from '../format.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * "Emergency access active" on every screen of that patient: whose record, until when (in the
 * locale's time), the minutes left, and "End emergency access" for when the emergency is over
 * (the main process ends the grant and audits it; the chart then shows as restricted again).
 */
export function EmergencyBanner({
  until,
  patientId,
  patientName,
}: {
  until: number;
  patientId: string;
  patientName: string;
}) {
  const [now, setNow] = useState(() => Date.now());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 15_000);
    return () => clearInterval(timer);
  }, []);
  const minutes = Math.max(0, Math.ceil((until - now) / 60_000));
  const end = async () => {
    setBusy(true);
    const result = await invoke('breakGlass.end', { patientId });
    setBusy(false);
    setError(result.ok ? null : result.error.message);
  };
  return (
    <div role="banner" aria-label="Emergency access active" className="emergency-banner">
      <p className="emergency-banner__text">
        <strong>Emergency access active</strong> to the record of <strong>{patientName}</strong> until{' '}
        {formatClock(until)} · {minutes} {minutes === 1 ? 'minute' : 'minutes'} left. Everything you view is recorded
        and reviewed.
      </p>
      <button type="button" className="button button--on-danger" onClick={() => void end()} aria-disabled={busy}>
        End emergency access
      </button>
      {error && <ErrorAlert label="Not ended:" message={error} />}
    </div>
  );
}
