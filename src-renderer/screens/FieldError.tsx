import { errorId } from './form-errors.ts';

/**
 * A field's error, right under the field and tied to it by aria-describedby. Not by color alone:
 * the text starts with "Error:".
 */
export function FieldError({ fieldId, message }: { fieldId: string; message: string | undefined }) {
  if (message === undefined) return null;
  return (
    <p id={errorId(fieldId)} className="field-error">
      <span className="message__label">Error:</span> {message}
    </p>
  );
}
