import { useEffect, useState, type FormEvent } from 'react';
import type { AccessAlertQueue } from '../../src-shared/ipc/contract.ts';
import { useAccessAlertsStore } from '../stores/access-alerts.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

type Alert = AccessAlertQueue['alerts'][number];

const time = (ms: number) => new Date(ms).toLocaleString();

/** What happened, in words: counts and windows only; the patient is named only for a family-name alert. */
function whatHappened(alert: Alert): string {
  switch (alert.kind) {
    case 'chartOpens':
      return `${alert.count} charts opened in ${alert.windowMinutes} minutes`;
    case 'failedAuth':
      return `${alert.count} failed sign-ins or PINs in ${alert.windowMinutes} minutes`;
    case 'familyName':
      return `Opened the chart of ${alert.patientName ?? alert.patientId ?? 'a patient'}, who shares the user's family name`;
  }
}

function AlertItem({ alert }: { alert: Alert }) {
  const markReviewed = useAccessAlertsStore((state) => state.markReviewed);
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (comment.trim() === '') return setError('Write a comment for the review.');
    const failure = await markReviewed(alert.alertId, comment);
    setError(failure ? failure.message : null);
  };
  const headingId = `alert-${alert.alertId}`;
  return (
    <article className="panel review-item" aria-labelledby={headingId}>
      <h3 id={headingId}>{alert.userName ?? alert.userId ?? 'Unknown username'}</h3>
      <dl className="facts">
        <div className="facts__row">
          <dt>What</dt>
          <dd>{whatHappened(alert)}</dd>
        </div>
        <div className="facts__row">
          <dt>Raised</dt>
          <dd>{time(alert.raisedAt)}</dd>
        </div>
      </dl>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <div className="field">
          <label htmlFor={`alert-comment-${alert.alertId}`}>Review comment</label>
          <textarea
            id={`alert-comment-${alert.alertId}`}
            className="input"
            rows={2}
            maxLength={2000}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
        </div>
        <button type="submit" className="button">
          Mark reviewed
        </button>
      </form>
      {error && <ErrorAlert label="Not saved:" message={error} />}
    </article>
  );
}

/** The privacy officer's unusual access alerts (policy `alerts`), oldest first, until reviewed. */
export function AccessAlerts() {
  const queue = useAccessAlertsStore((state) => state.queue);
  const error = useAccessAlertsStore((state) => state.error);
  const load = useAccessAlertsStore((state) => state.load);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="panel" aria-labelledby="access-alerts-heading">
      <h2 id="access-alerts-heading">Unusual access alerts</h2>
      {error && <ErrorAlert label="Not loaded:" message={error.message} />}
      {queue &&
        (queue.alerts.length === 0 ? (
          <p role="status">No unusual access alert waits for review.</p>
        ) : (
          queue.alerts.map((alert) => <AlertItem key={alert.alertId} alert={alert} />)
        ))}
    </section>
  );
}
