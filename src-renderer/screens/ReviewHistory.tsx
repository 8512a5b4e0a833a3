import { useEffect, useState, type FormEvent } from 'react';
import type { BreakGlassReviewHistory } from '../../src-shared/ipc/contract.ts';
import { useReviewHistoryStore, type HistoryFilter } from '../stores/review-history.ts';
import { useReviewQueueStore } from '../stores/review-queue.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { formatDateTime } from '../format.ts';

type Item = BreakGlassReviewHistory['items'][number];
type Status = NonNullable<HistoryFilter['status']>;

/** A date field's value (the local calendar day) as the first or last instant of that day. */
function dayBound(value: string, end: boolean): number | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]) - 1, Number(match[3])];
  return end ? new Date(year, month, day, 23, 59, 59, 999).getTime() : new Date(year, month, day).getTime();
}

function HistoryRow({ item }: { item: Item }) {
  return (
    <tr>
      <td>{item.userName ?? item.userId}</td>
      <td>{item.patientName ?? item.patientId}</td>
      <td>{item.reasonDisplay}</td>
      <td>{formatDateTime(item.startedAt)}</td>
      <td>
        {item.review
          ? `Reviewed by ${item.review.reviewerName ?? item.review.reviewerId} on ${formatDateTime(item.review.reviewedAt)}`
          : 'Awaiting review'}
      </td>
      <td>{item.review?.comment ?? ''}</td>
    </tr>
  );
}

/**
 * The privacy officer's history of emergency accesses (issue 16): reviewed and awaiting, with the
 * reviewer, the time (in the locale) and the comment; filters by status, user and start date;
 * and an export of the filtered list that the main process writes and audits.
 */
export function ReviewHistory() {
  const { history, error, exported, exportError, load, exportAs } = useReviewHistoryStore();
  const queue = useReviewQueueStore((state) => state.queue);
  const [status, setStatus] = useState<Status>('all');
  const [userId, setUserId] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const filter = (): HistoryFilter => {
    const start = dayBound(from, false);
    const end = dayBound(to, true);
    return {
      status,
      ...(userId ? { userId } : {}),
      ...(start !== undefined ? { from: start } : {}),
      ...(end !== undefined ? { to: end } : {}),
    };
  };
  // Loaded with the queue and again after each review there, so a review shows up here at once.
  useEffect(() => {
    void load();
  }, [load, queue]);
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    void load(filter());
  };
  return (
    <section className="panel" aria-labelledby="review-history-heading">
      <h2 id="review-history-heading">Review history</h2>
      <form className="history-filters" aria-label="Filter review history" onSubmit={apply}>
        <div className="field">
          <label htmlFor="history-status">Status</label>
          <select
            id="history-status"
            className="input"
            value={status}
            onChange={(e) => setStatus(e.target.value as Status)}
          >
            <option value="all">All</option>
            <option value="awaiting">Awaiting review</option>
            <option value="reviewed">Reviewed</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="history-user">User</label>
          <select id="history-user" className="input" value={userId} onChange={(e) => setUserId(e.target.value)}>
            <option value="">All users</option>
            {history?.users.map((u) => (
              <option key={u.userId} value={u.userId}>
                {u.userName ?? u.userId}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor="history-from">Started from</label>
          <input
            id="history-from"
            type="date"
            className="input"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="history-to">Started until</label>
          <input id="history-to" type="date" className="input" value={to} onChange={(e) => setTo(e.target.value)} />
        </div>
        <div className="actions">
          <button type="submit" className="button">
            Show
          </button>
        </div>
      </form>
      {error && <ErrorAlert label="Not loaded:" message={error.message} />}
      {history &&
        (history.items.length === 0 ? (
          <p role="status">No emergency access matches these filters.</p>
        ) : (
          <table className="chart-table">
            <caption className="visually-hidden">Emergency accesses matching the filters, newest first</caption>
            <thead>
              <tr>
                <th scope="col">User</th>
                <th scope="col">Patient</th>
                <th scope="col">Reason</th>
                <th scope="col">Started</th>
                <th scope="col">Review</th>
                <th scope="col">Comment</th>
              </tr>
            </thead>
            <tbody>
              {history.items.map((item) => (
                <HistoryRow key={item.grantId} item={item} />
              ))}
            </tbody>
          </table>
        ))}
      <div className="actions">
        <button type="button" className="button button--secondary" onClick={() => void exportAs('csv')}>
          Export CSV
        </button>
        <button type="button" className="button button--secondary" onClick={() => void exportAs('json')}>
          Export JSON
        </button>
      </div>
      {exported && (
        <p role="status">
          Exported {exported.count} emergency {exported.count === 1 ? 'access' : 'accesses'} to {exported.path}
        </p>
      )}
      {exportError && <ErrorAlert label="Not exported:" message={exportError.message} />}
    </section>
  );
}
