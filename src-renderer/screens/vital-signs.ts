import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { vitalFlag, type VitalField, type VitalFlag } from '../../src-shared/chart/vitals.ts';
import { VITAL_SIGNS, vitalSignByLoinc, type VitalSignKey } from '../../src-shared/fhir/codes.ts';

export type VitalRow = ChartSections['vitals'][number];

/**
 * The vital signs as the flowsheet and the trends name them: plain words, not LOINC's long names
 * ("Blood pressure", not "Blood pressure panel with all children optional"), in the order a
 * clinician reads them, each with the UCUM unit its numbers are compared in and the fields of
 * VITAL_REFERENCE its flags come from (blood pressure: systolic and diastolic).
 */
export interface VitalSign {
  key: VitalSignKey;
  code: string;
  name: string;
  unit: string;
  ucum: string;
  fields: readonly VitalField[];
}

const sign = (key: VitalSignKey, name: string, unit: string, fields: readonly VitalField[]): VitalSign => ({
  key,
  code: VITAL_SIGNS[key].loinc,
  name,
  unit,
  ucum: VITAL_SIGNS[key].ucum,
  fields,
});

export const VITAL_SIGN_ROWS: readonly VitalSign[] = [
  sign('bloodPressure', 'Blood pressure', 'mmHg', ['systolic', 'diastolic']),
  sign('heartRate', 'Heart rate', '/min', ['heartRate']),
  sign('respiratoryRate', 'Respiratory rate', '/min', ['respiratoryRate']),
  sign('bodyTemperature', 'Temperature', '°C', ['bodyTemperature']),
  sign('oxygenSaturation', 'Oxygen saturation', '%', ['oxygenSaturation']),
  sign('bodyWeight', 'Weight', 'kg', ['bodyWeight']),
];

/** The vital sign a row is (by its LOINC code, alternates included), if it is one of ours. */
export function signOf(row: VitalRow): VitalSign | undefined {
  const known = row.code ? vitalSignByLoinc(row.code) : undefined;
  return known ? VITAL_SIGN_ROWS.find((s) => s.key === known.key) : undefined;
}

/**
 * A reading's numbers in the sign's unit, or null when it has none or another unit (a value sent
 * in a unit the workstation does not convert is shown as sent, never compared or drawn).
 */
export function numbersOf(row: VitalRow, vital: VitalSign): number[] | null {
  if (row.amounts.length !== vital.fields.length) return null;
  return row.amounts.every((a) => a.ucum === vital.ucum) ? row.amounts.map((a) => a.value) : null;
}

/** High wins over low (a blood pressure of 150/55 is flagged high: the more urgent to look at). */
export function flagOf(vital: VitalSign, numbers: readonly number[]): VitalFlag | null {
  const flags = vital.fields.map((field, i) => vitalFlag(field, numbers[i] ?? NaN));
  return flags.includes('high') ? 'high' : flags.includes('low') ? 'low' : null;
}

/** A number as the record keeps it (one decimal at most), in the locale's digits. */
export const formatNumber = (value: number) =>
  new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 }).format(value);
