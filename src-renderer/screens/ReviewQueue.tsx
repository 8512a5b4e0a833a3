import { useEffect } from 'react';
import type { BreakGlassReviewQueue } from '../../src-shared/ipc/contract.ts';
import { useReviewQueueStore } from '../stores/review-queue.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ReviewForm } from './ReviewForm.tsx';
import { formatDateTime } from '../format.ts';

type Item = BreakGlassReviewQueue['items'][number];

const time = (ms: number) => formatDateTime(ms);

/** Why a grant ended, in words (the main process records a code: switchUser, expired, ...). */
const END_REASONS: Readonly<Record<string, string>> = {
  endedByUser: 'ended by the user',
  expired: 'expired',
  signOut: 'signed out',
  switchUser: 'switched user',
  maxSession: 'session reached its maximum length',
  accessRevoked: 'account disabled at the identity provider',
  pinLockedOut: 'too many wrong PINs',
  lockedBeforePin: 'locked before a PIN was set',
  remoteWipe: 'the workstation was wiped by IT',
  locked: 'locked longer than policy allows',
  appClosed: 'the app closed',
};
const endReason = (code: string | null) =>
  code ? (END_REASONS[code] ?? 'ended for another reason') : 'reason not recorded';
const minutesBetween = (a: number, b: number) => Math.max(0, Math.round((b - a) / 60_000));

function ReviewItem({ item }: { item: Item }) {
  const markReviewed = useReviewQueueStore((state) => state.markReviewed);
  const ended = item.endedAt ?? null;
  const headingId = `review-${item.grantId}`;
  return (
    <article className="panel review-item" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {item.userName ?? item.userId} ({item.role}) · {item.patientName ?? item.patientId}
      </h3>
      <dl className="facts">
        <div className="facts__row">
          <dt>Reason</dt>
          <dd>
            {item.reasonDisplay} ({item.reasonCode})
          </dd>
        </div>
        <div className="facts__row">
          <dt>Justification</dt>
          <dd>{item.justification}</dd>
        </div>
        <div className="facts__row">
          <dt>Started</dt>
          <dd>{time(item.startedAt)}</dd>
        </div>
        <div className="facts__row">
          <dt>Duration</dt>
          <dd>
            {ended !== null
              ? `${minutesBetween(item.startedAt, ended)} min, ${endReason(item.endReason)}`
              : `active until ${time(item.expiresAt)}`}
          </dd>
        </div>
        <div className="facts__row">
          <dt>Viewed</dt>
          <dd>
            {item.viewed.length === 0 ? 'Nothing' : item.viewed.map((v) => `${v.what} at ${time(v.at)}`).join('; ')}
          </dd>
        </div>
      </dl>
      <ReviewForm inputId={`comment-${item.grantId}`} review={(comment) => markReviewed(item.grantId, comment)} />
    </article>
  );
}

/** The privacy officer's screen: every emergency access not yet reviewed, and users over the threshold. */
export function ReviewQueue() {
  const queue = useReviewQueueStore((state) => state.queue);
  const error = useReviewQueueStore((state) => state.error);
  const load = useReviewQueueStore((state) => state.load);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="panel" aria-labelledby="review-heading">
      <h1 id="review-heading">Break-glass review</h1>
      {error && <ErrorAlert label="Not loaded:" message={error.message} />}
      {queue && queue.alerts.length > 0 && (
        <section aria-labelledby="alerts-heading" className="panel--problem restricted">
          <h2 id="alerts-heading">Alerts</h2>
          <ul>
            {queue.alerts.map((a) => (
              <li key={a.userId}>
                {a.userName ?? a.userId}: {a.count} emergency accesses in {a.shiftHours} hours
              </li>
            ))}
          </ul>
        </section>
      )}
      {queue &&
        (queue.items.length === 0 ? (
          <p role="status">No emergency access waits for review.</p>
        ) : (
          queue.items.map((item) => <ReviewItem key={item.grantId} item={item} />)
        ))}
    </section>
  );
}
