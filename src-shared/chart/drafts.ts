import { z } from 'zod';
import { FhirId } from '../ipc/channels/common.ts';
import { VITAL_FIELDS, type VitalField } from './vitals.ts';

/**
 * A draft: what a clinician has typed into a chart form and not saved yet, kept by the main
 * process (encrypted in the cache, for that user) so that a lock, an idle lock included, does not
 * throw it away. The fields are kept as typed, unfinished: a draft is not checked against the
 * form's clinical rules (a half-typed "3" is a fine draft of a temperature), only bounded so the
 * main process stores nothing larger or stranger than the forms can hold.
 */
export const DraftForm = z.enum(['note', 'vitals', 'allergyEdit']);
export type DraftForm = z.infer<typeof DraftForm>;

/** As the note form holds it: the same lengths as NoteEntry, empty allowed. */
export const NoteDraft = z.object({ title: z.string().max(200), text: z.string().max(20_000) }).strict();

/** Each vital sign as typed (a number input's text), at most a few characters. */
const typedVital = z
  .string()
  .max(12)
  .regex(/^[0-9., -]*$/, 'Vital signs are numbers');
export const VitalsDraft = z
  .object({
    ...(Object.fromEntries(VITAL_FIELDS.map((field) => [field, typedVital.default('')])) as Record<
      VitalField,
      z.ZodDefault<typeof typedVital>
    >),
    /** The time taken as the form's local date-and-time field holds it ("2026-12-03T14:05"). */
    takenAt: z
      .string()
      .max(16)
      .regex(/^[0-9T:-]*$/)
      .default(''),
    /** The units typed in (converted to Cel and kg only when saved). */
    temperatureUnit: z.enum(['Cel', '[degF]']).default('Cel'),
    weightUnit: z.enum(['kg', '[lb_av]']).default('kg'),
  })
  .strict();

/** An allergy edit in progress: which allergy, the two selects ('' = not chosen yet), the comment. */
export const AllergyEditDraft = z
  .object({
    allergyId: FhirId,
    criticality: z.enum(['', 'low', 'high', 'unable-to-assess']),
    clinicalStatus: z.enum(['', 'active', 'inactive', 'resolved']),
    note: z.string().max(2000),
  })
  .strict();

/** One draft's form and fields, the form naming the schema of the fields. */
export const DraftContent = z.discriminatedUnion('form', [
  z.object({ form: z.literal('note'), fields: NoteDraft }).strict(),
  z.object({ form: z.literal('vitals'), fields: VitalsDraft }).strict(),
  z.object({ form: z.literal('allergyEdit'), fields: AllergyEditDraft }).strict(),
]);
export type DraftContent = z.infer<typeof DraftContent>;
type FieldsByForm = { [D in DraftContent as D['form']]: D['fields'] };
export type DraftFieldsOf<F extends DraftForm> = FieldsByForm[F];
