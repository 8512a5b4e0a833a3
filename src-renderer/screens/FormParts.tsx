import type { Ref } from 'react';
import { ErrorAlert } from './ErrorAlert.tsx';
import { FieldError } from './FieldError.tsx';
import { describedBy } from './form-errors.ts';

/**
 * The pieces the chart's forms share: a labelled text field (one line or several) with its error
 * tied to it, and the footer with the form's own error, the submit button and Cancel.
 */
export function TextField({
  id,
  label,
  value,
  onChange,
  error,
  maxLength,
  rows,
  fieldRef,
}: {
  id: string;
  label: string;
  value: string;
  onChange(value: string): void;
  error: string | undefined;
  maxLength: number;
  /** Several lines (a textarea) when given. */
  rows?: number;
  fieldRef?: Ref<HTMLTextAreaElement>;
}) {
  const common = {
    id,
    className: 'input',
    maxLength,
    'aria-invalid': error !== undefined,
    'aria-describedby': describedBy(id, false, error !== undefined),
    value,
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {rows === undefined ? (
        <input {...common} autoComplete="off" onChange={(event) => onChange(event.target.value)} />
      ) : (
        <textarea {...common} ref={fieldRef} rows={rows} onChange={(event) => onChange(event.target.value)} />
      )}
      <FieldError fieldId={id} message={error} />
    </div>
  );
}

/** aria-disabled, not disabled, while busy: the button keeps focus while its request runs. */
export function FormFooter({
  error,
  busy,
  submitLabel,
  onCancel,
}: {
  error: string | undefined;
  busy: boolean;
  submitLabel: string;
  onCancel(): void;
}) {
  return (
    <>
      {error && <ErrorAlert label="Not saved:" message={error} />}
      <div className="actions">
        <button type="submit" className="button" aria-disabled={busy}>
          {submitLabel}
        </button>
        <button type="button" className="button button--secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </>
  );
}
