import { z } from 'zod';
import { SyncMark } from '../sync/status.ts';

/**
 * The chart as the window receives it: plain display rows built in the main process from the
 * validated FHIR resources in the cache, so the renderer never parses FHIR and receives only what
 * it shows. The sync issue adds editing; this is the read view.
 */

/** Who may see what of one patient (PRODUCT.md capability 4), decided in the main process. */
export const ChartAccess = z.enum([
  /** Care-team clinician (or an active break-glass grant): the whole chart. */
  'full',
  /** A clinician outside the care team: demographics only, "Restricted record". */
  'restricted',
  /** Front desk: demographics only, by role; no clinical sections at all. */
  'demographicsOnly',
]);
export type ChartAccess = z.infer<typeof ChartAccess>;

const text = z.string().max(100_000);
const optionalText = z.string().max(500).nullable();

/** Every row says whether central has it yet ("pending" until a push is accepted). */
const row = { id: z.string(), sync: SyncMark };

export const AllergyRow = z.object({
  ...row,
  substance: text,
  criticality: optionalText,
  status: optionalText,
  /** The clinical status code (active, inactive, resolved), for the edit form. */
  statusCode: optionalText,
  reaction: optionalText,
  /** Every comment (AllergyIntolerance.note), oldest first, each with who wrote it and when. */
  notes: z.array(z.object({ text, author: optionalText, time: optionalText })),
});
export const ProblemRow = z.object({ ...row, problem: text, status: optionalText, onset: optionalText });
export const MedicationRow = z.object({
  ...row,
  medication: text,
  status: optionalText,
  dosage: optionalText,
  authoredOn: optionalText,
});
export const VitalRow = z.object({
  ...row,
  /** LOINC code of the vital sign (or of its panel, for blood pressure). */
  code: z.string().nullable(),
  name: text,
  /** Formatted with its unit, e.g. "72 /min" or "128/84 mm[Hg]". */
  value: text,
  effective: optionalText,
  /**
   * The reading's numbers with their UCUM codes (blood pressure: systolic, then diastolic), for the
   * flowsheet's flags and the trends; empty when the value is not a number. The UCUM code is null
   * when the unit was not coded in UCUM: such a number is shown, never compared with a range.
   */
  amounts: z.array(z.object({ value: z.number(), ucum: z.string().max(50).nullable() })).max(2),
});
/**
 * The longest note text that crosses to the window (UTF-16 units): a note's text is kept in the
 * cache up to policy central.maxAttachmentKiB (at most 4 MiB) and read from central past it.
 */
export const NOTE_TEXT_MAX = 4 * 1024 * 1024;

export const NoteRow = z.object({
  ...row,
  title: text,
  date: optionalText,
  author: optionalText,
  /** The note's text; empty when it is stored on central only (onCentral). */
  text: z.string().max(NOTE_TEXT_MAX),
  /**
   * The note's text is larger than policy central.maxAttachmentKiB, so the cache keeps only what
   * it is (its title and size in bytes); chart.readNote fetches the text from central on demand.
   */
  onCentral: z.object({ title: optionalText, size: z.number().int().nonnegative().nullable() }).nullable(),
});

export const ChartSections = z.object({
  allergies: z.array(AllergyRow),
  problems: z.array(ProblemRow),
  medications: z.array(MedicationRow),
  vitals: z.array(VitalRow),
  notes: z.array(NoteRow),
});
export type ChartSections = z.infer<typeof ChartSections>;
