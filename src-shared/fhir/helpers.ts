import { hasCoding, parseReference } from './datatypes.ts';
import type { HumanName, Reference } from './datatypes.ts';
import { IDENTIFIER_TYPE_SYSTEM, MRN_TYPE_CODE } from './codes.ts';
import type { FhirResource, Patient } from './resources.ts';

/**
 * The id of the resource a reference points to, if it is a literal reference to `type`
 * (`Patient/123`, or an absolute URL ending in `/Patient/123`); otherwise null.
 */
export function referenceId(reference: Reference | undefined, type: string): string | null {
  const literal = parseReference(reference?.reference);
  return literal !== null && literal.type === type ? literal.id : null;
}

/**
 * The id of the patient a resource belongs to: a Patient's own id; the Patient referenced by
 * `subject` (or AllergyIntolerance.patient); null for Practitioner and PractitionerRole, and when
 * the subject is not a Patient (a Group, a device).
 */
export function patientIdOf(resource: FhirResource): string | null {
  switch (resource.resourceType) {
    case 'Patient':
      return resource.id ?? null;
    case 'Practitioner':
    case 'PractitionerRole':
      return null;
    case 'AllergyIntolerance':
      return referenceId(resource.patient, 'Patient');
    case 'CareTeam':
    case 'Encounter':
    case 'Condition':
    case 'MedicationRequest':
    case 'Observation':
    case 'DocumentReference':
      return referenceId(resource.subject, 'Patient');
  }
}

/** The columns the local cache indexes for patient search. */
export interface PatientSearchFields {
  family: string | null;
  /** Given names, space separated. */
  given: string | null;
  /** "Family, Given" (or HumanName.text), never empty. */
  displayName: string;
  /** The identifier typed v2-0203 `MR`. */
  mrn: string | null;
  birthDate: string | null;
  gender: string | null;
}

const NAME_USE_PREFERENCE: readonly (HumanName['use'] | undefined)[] = [
  'official',
  'usual',
  undefined,
  'temp',
  'nickname',
  'anonymous',
  'maiden',
  'old',
];

function preferredName(names: readonly HumanName[] | undefined): HumanName | undefined {
  if (!names || names.length === 0) return undefined;
  let best: HumanName | undefined;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const name of names) {
    const rank = NAME_USE_PREFERENCE.indexOf(name.use);
    const effective = rank < 0 ? NAME_USE_PREFERENCE.length : rank;
    if (effective < bestRank) {
      best = name;
      bestRank = effective;
    }
  }
  return best;
}

export const UNNAMED_PATIENT = 'Unnamed patient';

export function patientSearchFields(patient: Patient): PatientSearchFields {
  const name = preferredName(patient.name);
  const family = name?.family?.trim() || null;
  // A null given name is R4 JSON's placeholder for one that has only an extension (no text).
  const given =
    name?.given
      ?.flatMap((g) => (g === null ? [] : [g.trim()]))
      .filter((g) => g.length > 0)
      .join(' ') || null;
  const composed = family && given ? `${family}, ${given}` : (family ?? given);
  const displayName = name?.text?.trim() || composed || UNNAMED_PATIENT;

  const mrns = (patient.identifier ?? []).filter(
    (identifier) => identifier.value !== undefined && hasCoding(identifier.type, IDENTIFIER_TYPE_SYSTEM, MRN_TYPE_CODE),
  );
  const mrn = (mrns.find((identifier) => identifier.use !== 'old') ?? mrns[0])?.value ?? null;

  return {
    family,
    given,
    displayName,
    mrn,
    birthDate: patient.birthDate ?? null,
    gender: patient.gender ?? null,
  };
}
