import { z } from 'zod';
import { AllergyRow, MedicationRow, ProblemRow, VitalRow } from './chart.ts';

/**
 * A chart summary for printing (issue 16): what a paper copy needs and no more: the patient
 * banner, allergies, problems, medications and the latest reading of each vital sign. Composed
 * in the main process (src-main/chart/print-summary.ts) from the chart it would show; no notes,
 * no sync marks, no ids of records.
 */
export const PRINT_VITALS_MAX = 20;

export const PrintSummary = z
  .object({
    patient: z.object({
      name: z.string(),
      mrn: z.string().nullable(),
      birthDate: z.string().nullable(),
      gender: z.string().nullable(),
    }),
    /** What let this user see the chart: the care team, or emergency access (a break-glass grant). */
    accessBasis: z.enum(['careTeam', 'emergencyAccess']),
    allergies: z.array(AllergyRow.pick({ substance: true, criticality: true, status: true, reaction: true })),
    problems: z.array(ProblemRow.pick({ problem: true, status: true, onset: true })),
    medications: z.array(MedicationRow.pick({ medication: true, status: true, dosage: true })),
    vitals: z.array(VitalRow.pick({ name: true, value: true, effective: true })).max(PRINT_VITALS_MAX),
    /** Who printed it and when (epoch ms): printed on the page, as the audit entry records it. */
    printedBy: z.string(),
    printedAt: z.number(),
  })
  .strict();
export type PrintSummary = z.infer<typeof PrintSummary>;
