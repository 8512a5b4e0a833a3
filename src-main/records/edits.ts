import { randomUUID } from 'node:crypto';
import type { NoteEntry, VitalsEntry } from '../../src-shared/chart/vitals.ts';
import {
  LOINC,
  OBSERVATION_CATEGORY_SYSTEM,
  PROGRESS_NOTE_LOINC,
  UCUM,
  VITAL_SIGNS,
  VITAL_SIGNS_CATEGORY,
  VITAL_SIGNS_PROFILE,
  VitalSignsObservation,
  type DocumentReference,
  type VitalSignDefinition,
} from '../../src-shared/fhir/index.ts';

/**
 * The FHIR resources a clinician writes at the workstation, built from what the form sent (already
 * validated by the contract): vital signs as Observations of the R4 vital-signs profiles (LOINC
 * codes, UCUM units), notes as DocumentReferences (LOINC 11506-3, plain text). Both are always new resources
 * (client-assigned UUIDs; the push is a PUT): nothing existing is edited here. Allergy edits, the
 * one change to an existing resource, are in allergy-edit.ts.
 */

/** Who wrote it: the user's Practitioner when there is one, with their name for display. */
export interface Author {
  practitionerId: string | null;
  displayName: string;
}

function authorReference(author: Author) {
  return author.practitionerId
    ? { reference: `Practitioner/${author.practitionerId}`, display: author.displayName }
    : { display: author.displayName };
}

function vitalObservation(vital: VitalSignDefinition, patientId: string, author: Author, effective: string) {
  return {
    resourceType: 'Observation' as const,
    id: randomUUID(),
    meta: { profile: [VITAL_SIGNS_PROFILE, vital.profile] },
    status: 'final' as const,
    category: [
      {
        coding: [{ system: OBSERVATION_CATEGORY_SYSTEM, code: VITAL_SIGNS_CATEGORY, display: 'Vital Signs' }],
        text: 'Vital Signs',
      },
    ],
    code: {
      coding: [
        { system: LOINC, code: vital.loinc, display: vital.display },
        ...(vital.alsoCoded ?? []).map((c) => ({ system: LOINC, code: c.code, display: c.display })),
      ],
      text: vital.display,
    },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: effective,
    issued: effective,
    performer: [authorReference(author)],
  };
}

const quantity = (value: number, definition: { ucum: string; unit: string }) => ({
  value,
  unit: definition.unit,
  system: UCUM,
  code: definition.ucum,
});

/** One Observation per vital sign entered (blood pressure: one panel with two components). */
export function vitalSignObservations(
  patientId: string,
  entry: VitalsEntry,
  author: Author,
  now: Date,
): VitalSignsObservation[] {
  const effective = now.toISOString();
  const single: [keyof VitalsEntry, VitalSignDefinition][] = [
    ['heartRate', VITAL_SIGNS.heartRate],
    ['respiratoryRate', VITAL_SIGNS.respiratoryRate],
    ['bodyTemperature', VITAL_SIGNS.bodyTemperature],
    ['oxygenSaturation', VITAL_SIGNS.oxygenSaturation],
    ['bodyWeight', VITAL_SIGNS.bodyWeight],
  ];
  const built: unknown[] = [];
  if (entry.systolic !== undefined && entry.diastolic !== undefined) {
    const bp = VITAL_SIGNS.bloodPressure;
    const values = { systolic: entry.systolic, diastolic: entry.diastolic };
    built.push({
      ...vitalObservation(bp, patientId, author, effective),
      component: (bp.components ?? []).map((part) => ({
        code: { coding: [{ system: LOINC, code: part.loinc, display: part.display }], text: part.display },
        valueQuantity: quantity(values[part.key], part),
      })),
    });
  }
  for (const [field, vital] of single) {
    const value = entry[field];
    if (value !== undefined)
      built.push({ ...vitalObservation(vital, patientId, author, effective), valueQuantity: quantity(value, vital) });
  }
  // The profile check is the contract's own: what is built here must pass it.
  return built.map((candidate) => VitalSignsObservation.parse(candidate));
}

export function clinicalNote(patientId: string, entry: NoteEntry, author: Author, now: Date): DocumentReference {
  return {
    resourceType: 'DocumentReference',
    id: randomUUID(),
    status: 'current',
    docStatus: 'final',
    type: { coding: [{ system: LOINC, code: PROGRESS_NOTE_LOINC, display: 'Progress note' }], text: entry.title },
    category: [{ coding: [{ system: LOINC, code: PROGRESS_NOTE_LOINC, display: 'Progress note' }] }],
    subject: { reference: `Patient/${patientId}` },
    date: now.toISOString(),
    author: [authorReference(author)],
    content: [
      {
        attachment: {
          contentType: 'text/plain; charset=utf-8',
          data: Buffer.from(entry.text, 'utf8').toString('base64'),
          title: entry.title,
        },
      },
    ],
  } as DocumentReference;
}
