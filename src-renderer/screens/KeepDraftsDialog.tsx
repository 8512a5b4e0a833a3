import { useEffect, useRef } from 'react';

/**
 * Asked before "Switch user" while this user has unsaved drafts: kept, they stay encrypted on this
 * workstation for this user only and come back at their next sign-in here (until policy
 * drafts.expiryHours); discarded, they are gone (audited). Cancel keeps the session as it was.
 */
export function KeepDraftsDialog({
  count,
  onKeep,
  onDiscard,
  onCancel,
}: {
  count: number;
  onKeep(): void;
  onDiscard(): void;
  onCancel(): void;
}) {
  const keep = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    keep.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);
  const drafts = count === 1 ? 'an unsaved draft' : `${count} unsaved drafts`;
  return (
    <div className="dialog-backdrop">
      <div
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="keep-drafts-heading"
        aria-describedby="keep-drafts-text"
        className="dialog"
      >
        <h2 id="keep-drafts-heading">Keep your unsaved drafts?</h2>
        <p id="keep-drafts-text">
          You have {drafts}. Kept drafts stay encrypted on this workstation for you alone and come back when you next
          sign in here, until they expire. Nobody else can see them.
        </p>
        <div className="actions">
          <button ref={keep} type="button" className="button" onClick={onKeep}>
            Keep drafts
          </button>
          <button type="button" className="button button--danger" onClick={onDiscard}>
            Discard drafts
          </button>
          <button type="button" className="button button--secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
