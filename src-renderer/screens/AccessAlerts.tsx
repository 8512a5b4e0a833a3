import { useEffect } from 'react';
import type { AccessAlertQueue } from '../../src-shared/ipc/contract.ts';
import { useAccessAlertsStore } from '../stores/access-alerts.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ReviewForm } from './ReviewForm.tsx';
import { formatDateTime } from '../format.ts';

type Alert = AccessAlertQueue['alerts'][number];

const time = (ms: number) => formatDateTime(ms);

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
      <ReviewForm
        inputId={`alert-comment-${alert.alertId}`}
        review={(comment) => markReviewed(alert.alertId, comment)}
      />
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
