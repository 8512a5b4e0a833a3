import { useState, type FormEvent } from 'react';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/** A button of the form: what it decides (`value`, handed to `review`) and its words. */
export interface ReviewAction {
  value: string;
  label: string;
}

const MARK_REVIEWED: readonly ReviewAction[] = [{ value: 'reviewed', label: 'Mark reviewed' }];

/**
 * The privacy officer's review of one item (an emergency access, an unusual access alert, a
 * restricted sync conflict): a comment is required, and what the core refuses is shown beside
 * it. One button by default ("Mark reviewed"); a decision with several outcomes names each.
 */
export function ReviewForm({
  inputId,
  review,
  actions = MARK_REVIEWED,
  describedBy,
}: {
  inputId: string;
  review(comment: string, action: string): Promise<IpcError | null>;
  actions?: readonly ReviewAction[];
  /** The item's heading: the buttons repeat per item, so each names what it decides on. */
  describedBy?: string;
}) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter;
    const action = submitter instanceof HTMLButtonElement ? submitter.value : actions[0]!.value;
    if (comment.trim() === '') return setError('Write a comment for the review.');
    const failure = await review(comment, action);
    setError(failure ? failure.message : null);
  };
  return (
    <>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <div className="field">
          <label htmlFor={inputId}>Review comment</label>
          <textarea
            id={inputId}
            className="input"
            rows={2}
            maxLength={2000}
            value={comment}
            onChange={(e) => setComment(e.target.value)}
          />
        </div>
        <div className="actions">
          {actions.map((action, index) => (
            <button
              key={action.value}
              type="submit"
              value={action.value}
              aria-describedby={describedBy}
              className={index === 0 ? 'button' : 'button button--secondary'}
            >
              {action.label}
            </button>
          ))}
        </div>
      </form>
      {error && <ErrorAlert label="Not saved:" message={error} />}
    </>
  );
}
