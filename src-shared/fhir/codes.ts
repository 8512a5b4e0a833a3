/**
 * Code systems and coded values the product relies on. One place, so the generator, the schemas,
 * the record screens and access control agree on the exact strings.
 */

export const LOINC = 'http://loinc.org';
export const SNOMED_CT = 'http://snomed.info/sct';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const UCUM = 'http://unitsofmeasure.org';

/** Identifier.type codes (HL7 v2 table 0203); `MR` is the medical record number. */
export const IDENTIFIER_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v2-0203';
export const MRN_TYPE_CODE = 'MR';

export const OBSERVATION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/observation-category';
export const VITAL_SIGNS_CATEGORY = 'vital-signs';
export const VITAL_SIGNS_PROFILE = 'http://hl7.org/fhir/StructureDefinition/vitalsigns';

export const CONDITION_CLINICAL_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-clinical';
export const CONDITION_VERIFICATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-ver-status';
export const CONDITION_CATEGORY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/condition-category';
export const ALLERGY_CLINICAL_SYSTEM = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';
export const ALLERGY_VERIFICATION_SYSTEM = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification';

export const ACT_CODE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
export const PARTICIPATION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
export const PRACTITIONER_ROLE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/practitioner-role';

/** meta.tag / meta.security code marking test data (v3 ActReason HTEST). */
export const ACT_REASON_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
export const TEST_DATA_CODE = 'HTEST';

/**
 * The workstation's own role codes on PractitionerRole.code, one per product role (see
 * src-shared/access/roles.ts). HL7's practitioner-role code system has no front desk or privacy
 * officer, so the clinic's system carries the role; HL7 codes are added beside it where they exist.
 */
export const WORKSTATION_ROLE_SYSTEM = 'https://clinic.example/fhir/CodeSystem/workstation-role';

/** LOINC 11506-3 Progress note, the DocumentReference.type of clinical notes. */
export const PROGRESS_NOTE_LOINC = '11506-3';

/** One vital sign of the FHIR R4 vital-signs profiles, with its LOINC code and UCUM unit. */
export interface VitalSignDefinition {
  readonly key: VitalSignKey;
  readonly loinc: string;
  readonly display: string;
  /** The profile's canonical URL (besides the generic vital-signs profile). */
  readonly profile: string;
  /** UCUM code (Quantity.code) and the human-readable unit (Quantity.unit). */
  readonly ucum: string;
  readonly unit: string;
  /** Further LOINC codings the profile expects next to the main one. */
  readonly alsoCoded?: readonly { readonly code: string; readonly display: string }[];
  /** For panels (blood pressure): the component codes, each with its own unit. */
  readonly components?: readonly {
    readonly key: 'systolic' | 'diastolic';
    readonly loinc: string;
    readonly display: string;
    readonly ucum: string;
    readonly unit: string;
  }[];
}

export type VitalSignKey =
  'heartRate' | 'bloodPressure' | 'bodyTemperature' | 'respiratoryRate' | 'bodyWeight' | 'oxygenSaturation';

export const VITAL_SIGNS: Readonly<Record<VitalSignKey, VitalSignDefinition>> = Object.freeze({
  heartRate: {
    key: 'heartRate',
    loinc: '8867-4',
    display: 'Heart rate',
    profile: 'http://hl7.org/fhir/StructureDefinition/heartrate',
    ucum: '/min',
    unit: 'beats/minute',
  },
  bloodPressure: {
    key: 'bloodPressure',
    loinc: '85354-9',
    display: 'Blood pressure panel with all children optional',
    profile: 'http://hl7.org/fhir/StructureDefinition/bp',
    ucum: 'mm[Hg]',
    unit: 'mmHg',
    components: [
      { key: 'systolic', loinc: '8480-6', display: 'Systolic blood pressure', ucum: 'mm[Hg]', unit: 'mmHg' },
      { key: 'diastolic', loinc: '8462-4', display: 'Diastolic blood pressure', ucum: 'mm[Hg]', unit: 'mmHg' },
    ],
  },
  bodyTemperature: {
    key: 'bodyTemperature',
    loinc: '8310-5',
    display: 'Body temperature',
    profile: 'http://hl7.org/fhir/StructureDefinition/bodytemp',
    ucum: 'Cel',
    unit: 'C',
  },
  respiratoryRate: {
    key: 'respiratoryRate',
    loinc: '9279-1',
    display: 'Respiratory rate',
    profile: 'http://hl7.org/fhir/StructureDefinition/resprate',
    ucum: '/min',
    unit: 'breaths/minute',
  },
  bodyWeight: {
    key: 'bodyWeight',
    loinc: '29463-7',
    display: 'Body weight',
    profile: 'http://hl7.org/fhir/StructureDefinition/bodyweight',
    ucum: 'kg',
    unit: 'kg',
  },
  oxygenSaturation: {
    key: 'oxygenSaturation',
    loinc: '2708-6',
    display: 'Oxygen saturation in Arterial blood',
    profile: 'http://hl7.org/fhir/StructureDefinition/oxygensat',
    ucum: '%',
    unit: '%',
    alsoCoded: [{ code: '59408-5', display: 'Oxygen saturation in Arterial blood by Pulse oximetry' }],
  },
});

/** The vital sign a LOINC code identifies (its main code or an alternate coding), if any. */
export function vitalSignByLoinc(loincCode: string): VitalSignDefinition | undefined {
  for (const vital of Object.values(VITAL_SIGNS)) {
    if (vital.loinc === loincCode) return vital;
    if (vital.alsoCoded?.some((c) => c.code === loincCode)) return vital;
  }
  return undefined;
}
