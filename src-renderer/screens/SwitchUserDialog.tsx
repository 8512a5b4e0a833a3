import { useEffect, useRef } from 'react';

/**
 * Asked before "Switch user" while emergency access is active: switching ends it (audited as
 * "switched user"), which someone mid-emergency may not expect. Cancel keeps everything as it was.
 */
export function SwitchUserDialog({
  patientNames,
  onConfirm,
  onCancel,
}: {
  patientNames: readonly string[];
  onConfirm(): void;
  onCancel(): void;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    cancel.current?.focus();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape') onCancel();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onCancel]);
  return (
    <div className="dialog-backdrop">
      <div
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="switch-user-heading"
        aria-describedby="switch-user-text"
        className="dialog"
      >
        <h2 id="switch-user-heading">End emergency access and switch user?</h2>
        <p id="switch-user-text">
          Your emergency access to the record of {patientNames.join(', ')} ends when you switch user. The end is
          recorded for review.
        </p>
        <div className="actions">
          <button type="button" className="button button--danger" onClick={onConfirm}>
            End access and switch user
          </button>
          <button ref={cancel} type="button" className="button button--secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </div>
    </div>
  );
}
