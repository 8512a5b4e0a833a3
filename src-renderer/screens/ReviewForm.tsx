import { useState, type FormEvent } from 'react';
import type { IpcError } from '../../src-shared/ipc/errors.ts';
import { ErrorAlert } from './ErrorAlert.tsx';

/**
 * The privacy officer's review of one item (an emergency access, an unusual access alert): a
 * comment is required, and what the core refuses is shown beside it.
 */
export function ReviewForm({
  inputId,
  review,
}: {
  inputId: string;
  review(comment: string): Promise<IpcError | null>;
}) {
  const [comment, setComment] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (comment.trim() === '') return setError('Write a comment for the review.');
    const failure = await review(comment);
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
        <button type="submit" className="button">
          Mark reviewed
        </button>
      </form>
      {error && <ErrorAlert label="Not saved:" message={error} />}
    </>
  );
}
