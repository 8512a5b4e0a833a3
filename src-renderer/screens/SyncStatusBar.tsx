import { useState, type Ref } from 'react';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { useSyncStore } from '../stores/sync.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { formatClock } from '../format.ts';

const clock = (ms: number) => formatClock(ms);

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** The status in words, e.g. "Online · last synced 14:02 · 2 pending · 1 conflict". Counts only, no PHI. */
export function describeSync(status: SyncStatus | null): string {
  if (!status) return 'Sync status not known yet';
  const parts: string[] = [];
  if (status.syncing) parts.push('Syncing…');
  else if (status.connection === 'online')
    parts.push(
      status.lastSyncedAt === null ? 'Online · not synced yet' : `Online · last synced ${clock(status.lastSyncedAt)}`,
    );
  else if (status.connection === 'offline') {
    parts.push('Offline — changes are kept on this workstation');
    if (status.lastSyncedAt !== null) parts.push(`last synced ${clock(status.lastSyncedAt)}`);
  } else parts.push('Not connected to central yet');
  // A PIN-only session has no token for central: its own changes wait for a full sign-in.
  if (status.waitingForSignIn > 0)
    parts.push(`Sign in fully to send ${plural(status.waitingForSignIn, 'change', 'changes')}`);
  const others = status.pending - status.waitingForSignIn;
  if (others > 0) parts.push(`${others} pending`);
  if (status.conflicts > 0) parts.push(plural(status.conflicts, 'conflict', 'conflicts'));
  if (status.held > 0) parts.push(`${status.held} held for IT`);
  return parts.join(' · ');
}

/**
 * "Sync status" (a contract name): a polite live region in the header, so a change (offline, a
 * conflict) is heard without moving focus, and "Sync now" beside it for the roles that may start
 * a round. The state is in the words; the colored mark beside them only repeats it.
 */
export function SyncStatusBar({
  canSyncNow,
  syncNowRef,
}: {
  canSyncNow: boolean;
  syncNowRef?: Ref<HTMLButtonElement>;
}) {
  const status = useSyncStore((state) => state.status);
  const requested = useSyncStore((state) => state.requested);
  const syncNow = useSyncStore((state) => state.syncNow);
  const [error, setError] = useState<string | null>(null);
  const tone = !status
    ? 'unknown'
    : status.syncing
      ? 'syncing'
      : status.conflicts > 0 || status.held > 0
        ? 'attention'
        : status.connection;

  const run = async () => {
    // aria-disabled, not disabled: the button keeps focus while its round runs.
    if (requested) return;
    setError(null);
    const failure = await syncNow();
    setError(failure ? failure.message : null);
  };

  return (
    <div className="sync-bar">
      <div role="status" aria-label="Sync status" className={`sync-status sync-status--${tone}`}>
        <span className="sync-status__mark" aria-hidden="true" />
        <span>{describeSync(status)}</span>
        {status?.problem && <span className="sync-status__problem"> · {status.problem}</span>}
      </div>
      {canSyncNow && (
        <button
          type="button"
          ref={syncNowRef}
          className="button button--secondary"
          aria-disabled={requested}
          onClick={() => void run()}
        >
          Sync now
        </button>
      )}
      {error && <ErrorAlert label="Sync not done:" message={error} />}
    </div>
  );
}
