import { useEffect } from 'react';
import type { RestrictedConflictReview } from '../../src-shared/sync/status.ts';
import { useRestrictedConflictsStore } from '../stores/restricted-conflicts.ts';
import { ErrorAlert } from './ErrorAlert.tsx';
import { ReviewForm, type ReviewAction } from './ReviewForm.tsx';
import { formatDateTime } from '../format.ts';

/** Release: the clinician's change goes to central in their name. Discard: central's version stays. */
const DECISIONS: readonly ReviewAction[] = [
  { value: 'release', label: 'Release change' },
  { value: 'discard', label: 'Discard change' },
];

function ConflictItem({ conflict }: { conflict: RestrictedConflictReview }) {
  const decide = useRestrictedConflictsStore((state) => state.markReviewed);
  const headingId = `restricted-conflict-${conflict.id}`;
  const who = conflict.userName ?? conflict.userId;
  return (
    <article className="panel review-item" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {who} · {conflict.patientName ?? conflict.patientId ?? 'Patient not named'} · {conflict.record}
      </h3>
      <p className="hint">
        Central refused this change at {formatDateTime(conflict.detectedAt)}; {who} no longer has access to the patient,
        so it is yours to release or discard.
      </p>
      <p>
        {conflict.central === 'deleted'
          ? 'Central has deleted this record since.'
          : 'Central holds a newer version of this record.'}{' '}
        What either version says is clinical and is not shown here: decide on the access, and the clinician or their
        care team reviews the record itself.
      </p>
      <ReviewForm
        inputId={`restricted-conflict-comment-${conflict.id}`}
        actions={DECISIONS}
        describedBy={headingId}
        review={(comment, action) => decide(String(conflict.id), comment, action)}
      />
    </article>
  );
}

/**
 * The privacy officer's restricted sync conflicts (issue 17): changes central refused whose
 * clinician can no longer see the patient (an emergency access ended, off the care team).
 */
export function RestrictedConflicts() {
  const queue = useRestrictedConflictsStore((state) => state.queue);
  const error = useRestrictedConflictsStore((state) => state.error);
  const load = useRestrictedConflictsStore((state) => state.load);
  useEffect(() => {
    void load();
  }, [load]);
  return (
    <section className="panel" aria-labelledby="restricted-conflicts-heading">
      <h2 id="restricted-conflicts-heading">Restricted sync conflicts</h2>
      {error && <ErrorAlert label="Not loaded:" message={error.message} />}
      {queue &&
        (queue.items.length === 0 ? (
          <p role="status">No restricted sync conflict waits for a decision.</p>
        ) : (
          queue.items.map((conflict) => <ConflictItem key={conflict.id} conflict={conflict} />)
        ))}
    </section>
  );
}
