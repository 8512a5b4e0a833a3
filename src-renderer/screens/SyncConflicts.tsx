import { useEffect, useRef, useState } from 'react';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import type { RestrictedSyncConflict, ShownSyncConflict } from '../../src-shared/sync/status.ts';
import { useSyncConflictsStore, type ConflictChoice } from '../stores/sync-conflicts.ts';
import { AllergyEditForm } from './AllergyEditForm.tsx';
import { ErrorAlert } from './ErrorAlert.tsx';

const time = (ms: number) => new Date(ms).toLocaleString();

const CHOICE_DONE: Record<ConflictChoice['choice'], string> = {
  mine: 'Your version was kept; it is sent to central again.',
  theirs: "Central's version was kept; your change was set aside.",
  merged: 'Your merge was saved; it is sent to central.',
};

function ConflictItem({ conflict, onResolved }: { conflict: ShownSyncConflict; onResolved(message: string): void }) {
  const resolve = useSyncConflictsStore((state) => state.resolve);
  const [merging, setMerging] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const mergeButton = useRef<HTMLButtonElement>(null);
  const headingId = `conflict-${conflict.id}-heading`;

  const choose = async (choice: ConflictChoice): Promise<IpcError | null> => {
    setBusy(true);
    setError(null);
    const failure = await resolve(conflict.id, choice);
    setBusy(false);
    if (!failure) onResolved(CHOICE_DONE[choice.choice]);
    return failure;
  };

  const quick = async (choice: ConflictChoice) => {
    if (busy) return;
    const failure = await choose(choice);
    setError(failure ? failure.message : null);
  };

  const closeMerge = () => {
    setMerging(false);
    mergeButton.current?.focus();
  };

  return (
    <article className="conflict" aria-labelledby={headingId}>
      <h2 id={headingId}>
        {conflict.what} · {conflict.patientName ?? 'Patient not named'}
      </h2>
      <p className="hint">
        Central refused your change at {time(conflict.detectedAt)} because it holds a newer version.
      </p>
      <table className="chart-table conflict__fields">
        <caption className="visually-hidden">Your version and central&apos;s version, field by field</caption>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Your version</th>
            <th scope="col">Central version</th>
          </tr>
        </thead>
        <tbody>
          {conflict.fields.map((field) => (
            <tr key={field.label}>
              <th scope="row">{field.label}</th>
              <td>{field.mine ?? 'Not set'}</td>
              <td>{field.theirs ?? 'Not set'}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {/* Each button's description names the record, since the same three buttons repeat per conflict. */}
      <div className="actions">
        <button
          type="button"
          className="button"
          aria-describedby={headingId}
          aria-disabled={busy}
          onClick={() => void quick({ choice: 'mine' })}
        >
          Keep mine
        </button>
        <button
          type="button"
          className="button button--secondary"
          aria-describedby={headingId}
          aria-disabled={busy}
          onClick={() => void quick({ choice: 'theirs' })}
        >
          Keep theirs
        </button>
        {conflict.mergeable && conflict.mine && (
          <button
            type="button"
            ref={mergeButton}
            className="button button--secondary"
            aria-describedby={headingId}
            aria-expanded={merging}
            aria-controls={merging ? `merge-${conflict.id}-form` : undefined}
            onClick={() => (merging ? closeMerge() : setMerging(true))}
          >
            Merge by hand
          </button>
        )}
      </div>
      {merging && conflict.mine && (
        <AllergyEditForm
          idPrefix={`merge-${conflict.id}`}
          heading={`Merge by hand: ${conflict.what}`}
          initial={conflict.mine}
          submitLabel="Save merge"
          requestKey="merged"
          save={(merged) => choose({ choice: 'merged', merged })}
          onSaved={() => setMerging(false)}
          onCancel={closeMerge}
        />
      )}
      {error && <ErrorAlert label="Not resolved:" message={error} />}
    </article>
  );
}

/**
 * A conflict whose patient this clinician may no longer see: that it exists, when, and who can
 * resolve it; nothing of the record (the main process sends nothing more).
 */
function RestrictedConflictItem({ conflict }: { conflict: RestrictedSyncConflict }) {
  const headingId = `conflict-${conflict.id}-heading`;
  return (
    <article className="conflict" aria-labelledby={headingId}>
      <h2 id={headingId}>Restricted change</h2>
      <p className="hint">Central refused this change at {time(conflict.detectedAt)}.</p>
      <p>{conflict.message}</p>
    </article>
  );
}

/**
 * "Sync conflicts": the clinician's changes central refused as stale, each beside central's
 * version, to keep one or merge by hand. Nothing is overwritten until a person chooses.
 */
export function SyncConflicts({ onClose }: { onClose(): void }) {
  const items = useSyncConflictsStore((state) => state.items);
  const error = useSyncConflictsStore((state) => state.error);
  const load = useSyncConflictsStore((state) => state.load);
  const [done, setDone] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
    void load();
  }, [load]);

  // The resolved conflict (and the button that had focus) leaves the list: focus returns to the heading.
  const resolved = (message: string) => {
    setDone(message);
    heading.current?.focus();
  };

  return (
    <section className="panel" aria-labelledby="conflicts-heading">
      <div className="chart__header">
        <h1 id="conflicts-heading" ref={heading} tabIndex={-1}>
          Sync conflicts
        </h1>
        <button type="button" className="button button--secondary" onClick={onClose}>
          Close sync conflicts
        </button>
      </div>
      <p className="lead">
        Central holds a newer version of these records than the one you changed. Keep yours, keep central&apos;s, or
        merge by hand.
      </p>
      <div role="status" className="chart-notice">
        {done && <p>{done}</p>}
      </div>
      {error && <ErrorAlert label="Not loaded:" message={error.message} />}
      {items === null && !error && <p>Loading sync conflicts…</p>}
      {items?.length === 0 && <p>No sync conflicts wait for you.</p>}
      {items?.map((conflict) =>
        conflict.restricted ? (
          <RestrictedConflictItem key={conflict.id} conflict={conflict} />
        ) : (
          <ConflictItem key={conflict.id} conflict={conflict} onResolved={resolved} />
        ),
      )}
    </section>
  );
}
