import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { PRINT_VITALS_MAX, type PrintSummary } from '../../src-shared/chart/print.ts';
import type { PatientSummary } from '../../src-shared/ipc/contract.ts';

/**
 * The print-friendly summary of a chart (issue 16): composed here, in memory, from the sections
 * the chart shows, and handed to the window in the answer; nothing is written anywhere (no
 * temporary file, no PDF): the window prints it with the browser's own print.
 * Vitals: the latest reading of each vital sign, newest first.
 */
export function printSummaryOf(
  patient: PatientSummary,
  sections: ChartSections,
  basis: PrintSummary['accessBasis'],
  printedBy: string,
  printedAt: number,
): PrintSummary {
  const latest = new Map<string, ChartSections['vitals'][number]>();
  const newestFirst = [...sections.vitals].sort((a, b) => (b.effective ?? '').localeCompare(a.effective ?? ''));
  for (const vital of newestFirst) {
    const kind = vital.code ?? vital.name;
    if (!latest.has(kind)) latest.set(kind, vital);
  }
  return {
    patient: { name: patient.name, mrn: patient.mrn, birthDate: patient.birthDate, gender: patient.gender },
    accessBasis: basis,
    allergies: sections.allergies.map(({ substance, criticality, status, reaction }) => ({
      substance,
      criticality,
      status,
      reaction,
    })),
    problems: sections.problems.map(({ problem, status, onset }) => ({ problem, status, onset })),
    medications: sections.medications.map(({ medication, status, dosage }) => ({ medication, status, dosage })),
    vitals: [...latest.values()]
      .slice(0, PRINT_VITALS_MAX)
      .map(({ name, value, effective }) => ({ name, value, effective })),
    printedBy,
    printedAt,
  };
}
