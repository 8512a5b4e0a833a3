/**
 * Field errors for the chart's forms, from two sources that say the same thing: the shared zod
 * schema checked here before sending (src-shared/chart/vitals.ts), and the router's INVALID answer
 * when the main process refuses what was sent ("Invalid request: vitals.heartRate: <message>; ...",
 * see src-main/ipc/router.ts). Either way each message lands next to its field; what names no
 * field is shown for the whole form. Messages name rules, never the values typed.
 */
import type { IpcError } from '../../src-shared/ipc/errors.ts';

/** One message per field, and `form` for what belongs to no single field. */
export type FieldErrors<F extends string> = Partial<Record<F | 'form', string>>;

interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

function add<F extends string>(errors: FieldErrors<F>, fields: readonly F[], field: unknown, message: string): void {
  const key = fields.find((candidate) => candidate === field) ?? 'form';
  // The first message per field is the one to fix first (a range before a pairing rule).
  errors[key] ??= message;
}

/** The issues of a failed safeParse of the shared schema. */
export function schemaErrors<F extends string>(issues: readonly Issue[], fields: readonly F[]): FieldErrors<F> {
  const errors: FieldErrors<F> = {};
  for (const issue of issues) add(errors, fields, issue.path[0], issue.message);
  return errors;
}

/**
 * An error answer as field errors: INVALID issues under `prefix` (the request's key for the form,
 * e.g. "vitals") go to their field; anything else is one message for the form.
 */
export function answerErrors<F extends string>(error: IpcError, prefix: string, fields: readonly F[]): FieldErrors<F> {
  if (error.code !== 'INVALID') return { form: error.message } as FieldErrors<F>;
  const errors: FieldErrors<F> = {};
  const parts = error.message.replace(/^Invalid request:\s*/, '').split('; ');
  for (const part of parts) {
    const match = /^([A-Za-z0-9_.]+): (.+)$/.exec(part);
    const path = match?.[1]?.split('.') ?? [];
    if (match && path[0] === prefix && path.length > 1) add(errors, fields, path[1], match[2] ?? part);
    else add(errors, fields, undefined, match?.[2] ?? part);
  }
  return errors;
}

export function hasErrors<F extends string>(errors: FieldErrors<F>): boolean {
  return Object.values(errors).some((message) => message !== undefined);
}

/** The id of a field's error message, for aria-describedby. */
export const errorId = (fieldId: string) => `${fieldId}-error`;

/** Moves focus to the first field (in form order) that has an error; returns whether one did. */
export function focusFirstInvalid<F extends string>(
  errors: FieldErrors<F>,
  order: readonly F[],
  idOf: (field: F) => string,
): boolean {
  const field = order.find((candidate) => errors[candidate] !== undefined);
  if (field === undefined) return false;
  document.getElementById(idOf(field))?.focus();
  return true;
}

/** aria-describedby for a field: its hint (when it has one) and its error (when shown). */
export function describedBy(fieldId: string, hasHint: boolean, hasError: boolean): string | undefined {
  const ids = [hasHint ? `${fieldId}-hint` : null, hasError ? errorId(fieldId) : null].filter(
    (id): id is string => id !== null,
  );
  return ids.length > 0 ? ids.join(' ') : undefined;
}
