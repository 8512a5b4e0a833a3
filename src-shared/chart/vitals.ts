import { z } from 'zod';

/**
 * Vital signs as a clinician enters them, with the plausible ranges the form and the main process
 * both check (a typo such as a heart rate of 720 is refused, not stored). Units are fixed: the
 * profile's UCUM unit of each vital sign (src-shared/fhir/codes.ts VITAL_SIGNS).
 */
export interface VitalRange {
  readonly label: string;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  /** Decimal places accepted (0 = whole numbers). */
  readonly decimals: number;
}

export const VITAL_RANGES = {
  heartRate: { label: 'Heart rate', unit: '/min', min: 20, max: 300, decimals: 0 },
  systolic: { label: 'Systolic blood pressure', unit: 'mmHg', min: 40, max: 300, decimals: 0 },
  diastolic: { label: 'Diastolic blood pressure', unit: 'mmHg', min: 20, max: 200, decimals: 0 },
  bodyTemperature: { label: 'Body temperature', unit: '°C', min: 30, max: 45, decimals: 1 },
  respiratoryRate: { label: 'Respiratory rate', unit: '/min', min: 4, max: 80, decimals: 0 },
  bodyWeight: { label: 'Body weight', unit: 'kg', min: 0.3, max: 500, decimals: 1 },
  oxygenSaturation: { label: 'Oxygen saturation', unit: '%', min: 50, max: 100, decimals: 0 },
} as const satisfies Record<string, VitalRange>;
export type VitalField = keyof typeof VITAL_RANGES;
export const VITAL_FIELDS = Object.keys(VITAL_RANGES) as VitalField[];

function vitalValue(range: VitalRange) {
  const step = 10 ** -range.decimals;
  return z
    .number({ error: `${range.label} must be a number` })
    .min(range.min, `${range.label} must be at least ${range.min} ${range.unit}`)
    .max(range.max, `${range.label} must be at most ${range.max} ${range.unit}`)
    .refine((value) => Math.abs(Math.round(value / step) * step - value) < step / 1000, {
      message:
        range.decimals === 0
          ? `${range.label} must be a whole number`
          : `${range.label} takes at most ${range.decimals} decimal place`,
    });
}

export const VitalsEntry = z
  .object({
    heartRate: vitalValue(VITAL_RANGES.heartRate).optional(),
    systolic: vitalValue(VITAL_RANGES.systolic).optional(),
    diastolic: vitalValue(VITAL_RANGES.diastolic).optional(),
    bodyTemperature: vitalValue(VITAL_RANGES.bodyTemperature).optional(),
    respiratoryRate: vitalValue(VITAL_RANGES.respiratoryRate).optional(),
    bodyWeight: vitalValue(VITAL_RANGES.bodyWeight).optional(),
    oxygenSaturation: vitalValue(VITAL_RANGES.oxygenSaturation).optional(),
  })
  .strict()
  .superRefine((entry, ctx) => {
    if (VITAL_FIELDS.every((field) => entry[field] === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'Enter at least one vital sign', path: [] });
    }
    if ((entry.systolic === undefined) !== (entry.diastolic === undefined)) {
      ctx.addIssue({
        code: 'custom',
        message: 'Blood pressure needs both systolic and diastolic values',
        path: [entry.systolic === undefined ? 'systolic' : 'diastolic'],
      });
    }
    if (entry.systolic !== undefined && entry.diastolic !== undefined && entry.diastolic >= entry.systolic) {
      ctx.addIssue({
        code: 'custom',
        message: 'Diastolic blood pressure must be lower than systolic',
        path: ['diastolic'],
      });
    }
  });
export type VitalsEntry = z.infer<typeof VitalsEntry>;

/** A clinical note as written at the workstation (stored as a DocumentReference, LOINC 11506-3). */
export const NoteEntry = z
  .object({
    title: z.string().trim().min(1, 'Give the note a title').max(200, 'The title is too long'),
    text: z.string().trim().min(1, 'Write the note').max(20_000, 'The note is too long (20,000 characters at most)'),
  })
  .strict();
export type NoteEntry = z.infer<typeof NoteEntry>;

/** What a clinician may change on an allergy from the chart (and in a hand merge of a conflict). */
export const AllergyEdit = z
  .object({
    criticality: z.enum(['low', 'high', 'unable-to-assess']),
    clinicalStatus: z.enum(['active', 'inactive', 'resolved']),
    note: z.string().trim().max(2000, 'The comment is too long').default(''),
  })
  .strict();
export type AllergyEdit = z.infer<typeof AllergyEdit>;

/**
 * The usual adult range of each vital sign, for the flowsheet's "High" and "Low" flags: a prompt
 * to look, not a diagnosis (a runner's heart rate of 52 is flagged low too). Body weight has none.
 * Blood pressure: below 90/60 is low, 140/90 or more is high (the usual thresholds of hypotension
 * and stage 2 hypertension); temperature: 38.0 °C or more is a fever.
 */
export const VITAL_REFERENCE: Readonly<Partial<Record<VitalField, { low: number; high: number }>>> = {
  heartRate: { low: 60, high: 100 },
  systolic: { low: 90, high: 139 },
  diastolic: { low: 60, high: 89 },
  bodyTemperature: { low: 36.0, high: 37.9 },
  respiratoryRate: { low: 12, high: 20 },
  oxygenSaturation: { low: 95, high: 100 },
};

export type VitalFlag = 'low' | 'high';

/** 'low' or 'high' when the value is outside the usual range (VITAL_REFERENCE), else null. */
export function vitalFlag(field: VitalField, value: number): VitalFlag | null {
  const range = VITAL_REFERENCE[field];
  if (!range) return null;
  if (value < range.low) return 'low';
  if (value > range.high) return 'high';
  return null;
}

/**
 * The units a clinician may type temperature and weight in, and how each becomes the profile's
 * UCUM unit (Cel, kg) before anything is checked or stored: one unit in the record, whatever was
 * typed. Rounded to the one decimal the record keeps (0.1 °C is finer than any thermometer's 0.2 °F).
 */
export const ENTRY_UNITS = {
  bodyTemperature: [
    { code: 'Cel', label: '°C', toUcum: (value: number) => value },
    { code: '[degF]', label: '°F', toUcum: (value: number) => ((value - 32) * 5) / 9 },
  ],
  bodyWeight: [
    { code: 'kg', label: 'kg', toUcum: (value: number) => value },
    { code: '[lb_av]', label: 'lb', toUcum: (value: number) => value * 0.45359237 },
  ],
} as const;
export type ConvertibleVital = keyof typeof ENTRY_UNITS;
export type EntryUnit<F extends ConvertibleVital> = (typeof ENTRY_UNITS)[F][number]['code'];

/** A typed temperature or weight in the profile's unit, to the record's one decimal. */
export function toRecordUnit(field: ConvertibleVital, unit: string, value: number): number {
  const entry = ENTRY_UNITS[field].find((u) => u.code === unit) ?? ENTRY_UNITS[field][0];
  return Math.round(entry.toUcum(value) * 10) / 10;
}

/**
 * How far from now a reading's time may be: a reading is entered while or soon after it is taken,
 * so a day back covers a shift's paper notes, and five minutes ahead covers a clock a little off.
 * Anything else is a typing mistake (a wrong year), refused rather than charted at the wrong time.
 */
export const TAKEN_AT_MAX_PAST_MS = 24 * 3_600_000;
export const TAKEN_AT_MAX_FUTURE_MS = 5 * 60_000;

/** A reading's time as the window sends it: an instant with its offset (ISO 8601). */
export const TakenAt = z.iso.datetime({ offset: true, message: 'Enter the time the vital signs were taken' });
