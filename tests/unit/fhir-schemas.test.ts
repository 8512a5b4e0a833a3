import { describe, expect, expectTypeOf, it } from 'vitest';
import type * as Medplum from '@medplum/fhirtypes';
import {
  FhirResource,
  StoredResourceType,
  VitalSignsObservation,
  parseFhirResource,
  resourceSchemas,
} from '../../src-shared/fhir/resources.ts';
import type * as Fhir from '../../src-shared/fhir/resources.ts';
import { parseReference } from '../../src-shared/fhir/datatypes.ts';
import { patientIdOf, patientSearchFields, referenceId, UNNAMED_PATIENT } from '../../src-shared/fhir/helpers.ts';
import { fhirPrimitives } from '../../src-shared/fhir/index.ts';
import type { WithPlaceholders } from '../support/medplum-types.ts';

// ---------------------------------------------------------------------------------------------
// Valid examples, one per stored resource type (shaped after the R4 specification's examples)
// ---------------------------------------------------------------------------------------------

const MR = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] };

const patient = {
  resourceType: 'Patient',
  id: 'pat-1',
  meta: { versionId: '3', lastUpdated: '2024-05-03T09:15:00.123+02:00', tag: [{ system: 'urn:x', code: 'a' }] },
  identifier: [
    { use: 'official', system: 'urn:oid:1.2.36.146.595.217.0.1', value: 'SSN-123' },
    { use: 'usual', type: MR, system: 'urn:oid:2.16.840.1.113883.19.5', value: '00012345' },
  ],
  active: true,
  name: [
    { use: 'nickname', given: ['Zyxi'] },
    { use: 'official', family: 'Quorbelix', given: ['Zyxmira', 'Ova'] },
  ],
  telecom: [{ system: 'phone', value: '+1-555-0100', use: 'mobile', rank: 1 }],
  gender: 'female',
  birthDate: '1974-12-25',
  deceasedBoolean: false,
  address: [{ use: 'home', line: ['1 Vorhaven Way'], city: 'Brixport', postalCode: '01234', country: 'ZZ' }],
  generalPractitioner: [{ reference: 'Practitioner/prac-1' }],
  managingOrganization: { reference: 'Organization/1' },
};

const practitioner = {
  resourceType: 'Practitioner',
  id: 'prac-1',
  name: [{ family: 'Snekyx', given: ['Xanynne'], prefix: ['Dr.'] }],
  gender: 'male',
  qualification: [{ code: { text: 'MD' } }],
};

const practitionerRole = {
  resourceType: 'PractitionerRole',
  id: 'prole-1',
  active: true,
  practitioner: { reference: 'Practitioner/prac-1' },
  code: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/practitioner-role', code: 'doctor' }] }],
  availableTime: [{ daysOfWeek: ['mon', 'tue'], availableStartTime: '08:00:00', availableEndTime: '17:30:00' }],
};

const careTeam = {
  resourceType: 'CareTeam',
  id: 'ct-1',
  status: 'active',
  subject: { reference: 'Patient/pat-1' },
  participant: [
    {
      role: [{ text: 'GP' }],
      member: { reference: 'Practitioner/prac-1' },
      onBehalfOf: { reference: 'Organization/1' },
    },
    { member: { reference: 'PractitionerRole/prole-2' } },
  ],
};

const encounter = {
  resourceType: 'Encounter',
  id: 'enc-1',
  status: 'finished',
  class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
  subject: { reference: 'Patient/pat-1' },
  participant: [{ individual: { reference: 'Practitioner/prac-1' } }],
  period: { start: '2024-05-03T09:00:00Z', end: '2024-05-03T09:30:00Z' },
};

const condition = {
  resourceType: 'Condition',
  id: 'cond-1',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  verificationStatus: {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
  },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '38341003' }] },
  subject: { reference: 'Patient/pat-1' },
  onsetDateTime: '2019-03',
  recordedDate: '2024-05-03T09:10:00Z',
};

const allergy = {
  resourceType: 'AllergyIntolerance',
  id: 'alg-1',
  clinicalStatus: {
    coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }],
  },
  type: 'allergy',
  category: ['medication'],
  criticality: 'high',
  code: { coding: [{ system: 'http://snomed.info/sct', code: '91936005' }] },
  patient: { reference: 'Patient/pat-1' },
  reaction: [{ manifestation: [{ text: 'Hives' }], severity: 'moderate' }],
};

const medicationRequest = {
  resourceType: 'MedicationRequest',
  id: 'medrx-1',
  status: 'active',
  intent: 'order',
  medicationCodeableConcept: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '314076' }] },
  subject: { reference: 'Patient/pat-1' },
  authoredOn: '2024-05-03',
  dosageInstruction: [{ text: 'once daily', timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } } }],
};

const heartRate = {
  resourceType: 'Observation',
  id: 'obs-1',
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
  subject: { reference: 'Patient/pat-1' },
  effectiveDateTime: '2024-05-03T09:05:00Z',
  valueQuantity: { value: 72, unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
};

const bloodPressure = {
  resourceType: 'Observation',
  id: 'obs-2',
  status: 'final',
  category: [
    { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }] },
  ],
  code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] },
  subject: { reference: 'Patient/pat-1' },
  effectiveDateTime: '2024-05-03T09:06:00Z',
  component: [
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8480-6' }] },
      valueQuantity: { value: 128, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    },
    {
      code: { coding: [{ system: 'http://loinc.org', code: '8462-4' }] },
      valueQuantity: { value: 82, unit: 'mmHg', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' },
    },
  ],
};

const note = {
  resourceType: 'DocumentReference',
  id: 'doc-1',
  status: 'current',
  docStatus: 'final',
  type: { coding: [{ system: 'http://loinc.org', code: '11506-3' }] },
  subject: { reference: 'Patient/pat-1' },
  date: '2024-05-03T09:30:00Z',
  author: [{ reference: 'Practitioner/prac-1' }],
  content: [{ attachment: { contentType: 'text/plain', data: btoa('Synthetic note.\n'), title: 'Progress note' } }],
  context: { encounter: [{ reference: 'Encounter/enc-1' }] },
};

const examples = {
  Patient: patient,
  Practitioner: practitioner,
  PractitionerRole: practitionerRole,
  CareTeam: careTeam,
  Encounter: encounter,
  Condition: condition,
  AllergyIntolerance: allergy,
  MedicationRequest: medicationRequest,
  Observation: heartRate,
  DocumentReference: note,
} as const satisfies Record<StoredResourceType, { resourceType: string }>;

const clone = <T>(value: T): T => structuredClone(value);

/** A copy of `base` with one element changed (undefined removes it). Path: dot-separated, numbers index arrays. */
function variant(base: object, path: string, value: unknown): unknown {
  const copy = clone(base) as Record<string, unknown>;
  const keys = path.split('.');
  let target: Record<string, unknown> = copy;
  for (const key of keys.slice(0, -1)) target = target[key] as Record<string, unknown>;
  const last = keys[keys.length - 1] as string;
  if (value === undefined) delete target[last];
  else target[last] = value;
  return copy;
}

function issuePaths(value: unknown): string[] {
  const result = parseFhirResource(value);
  expect(result.success).toBe(false);
  return (result.error?.issues ?? []).map((issue) => issue.path.join('.'));
}

describe('FHIR R4 schemas: valid resources', () => {
  it.each(Object.entries(examples))('accepts a valid %s', (_type, example) => {
    const result = parseFhirResource(example);
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).toEqual(example);
  });

  it('accepts a blood pressure panel and both vital signs through the vital-signs profile', () => {
    expect(parseFhirResource(bloodPressure).success).toBe(true);
    expect(VitalSignsObservation.safeParse(heartRate).success).toBe(true);
    expect(VitalSignsObservation.safeParse(bloodPressure).success).toBe(true);
  });

  it('has one schema per stored resource type, and the union covers them all', () => {
    expect(Object.keys(resourceSchemas).sort()).toEqual([...StoredResourceType.options].sort());
    for (const type of StoredResourceType.options) {
      expect(FhirResource.safeParse(examples[type]).success).toBe(true);
    }
  });

  it('accepts the partial dates and full date-times FHIR allows', () => {
    for (const birthDate of ['1974', '1974-12', '1974-12-25', '2000-02-29']) {
      expect(parseFhirResource({ ...patient, birthDate }).success, birthDate).toBe(true);
    }
    for (const onsetDateTime of [
      '2019',
      '2019-03',
      '2019-03-04',
      '2019-03-04T10:00:00Z',
      '2019-03-04T10:00:00.5-05:00',
      '2019-03-04T23:59:60+14:00',
    ]) {
      expect(parseFhirResource({ ...condition, onsetDateTime }).success, onsetDateTime).toBe(true);
    }
  });

  it('accepts absolute, versioned, contained and urn:uuid references', () => {
    for (const reference of [
      'https://fhir.example/r4/Patient/pat-1',
      'Patient/pat-1/_history/2',
      '#p1',
      'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0',
    ]) {
      expect(parseFhirResource({ ...condition, subject: { reference } }).success, reference).toBe(true);
    }
    expect(parseFhirResource({ ...condition, subject: { identifier: { system: 'urn:x', value: '1' } } }).success).toBe(
      true,
    );
  });
});

describe('FHIR R4 schemas: required elements', () => {
  const required: [string, object, string, string?][] = [
    ['Observation.status', heartRate, 'status'],
    ['Observation.code', heartRate, 'code'],
    ['Observation.component.code', bloodPressure, 'component.0.code'],
    ['Condition.subject', condition, 'subject'],
    ['AllergyIntolerance.patient', allergy, 'patient'],
    ['AllergyIntolerance.reaction.manifestation', allergy, 'reaction.0.manifestation'],
    ['MedicationRequest.status', medicationRequest, 'status'],
    ['MedicationRequest.intent', medicationRequest, 'intent'],
    ['MedicationRequest.subject', medicationRequest, 'subject'],
    ['MedicationRequest.medication[x]', medicationRequest, 'medicationCodeableConcept', 'medication'],
    ['Encounter.status', encounter, 'status'],
    ['Encounter.class', encounter, 'class'],
    ['DocumentReference.status', note, 'status'],
    ['DocumentReference.content', note, 'content'],
    ['DocumentReference.content.attachment', note, 'content.0.attachment'],
    ['Practitioner.qualification.code', practitioner, 'qualification.0.code'],
    ['resourceType', patient, 'resourceType'],
  ];
  it.each(required)('rejects a missing %s', (_name, base, path, reportedAt = path) => {
    expect(issuePaths(variant(base, path, undefined))).toContain(reportedAt);
  });

  it('rejects an empty content list and an empty reaction manifestation list', () => {
    expect(parseFhirResource({ ...note, content: [] }).success).toBe(false);
    expect(parseFhirResource({ ...allergy, reaction: [{ manifestation: [] }] }).success).toBe(false);
  });

  it('rejects a required reference that says nothing', () => {
    expect(issuePaths({ ...condition, subject: {} })).toContain('subject');
  });

  it('accepts medicationReference instead of medicationCodeableConcept, but not both', () => {
    const byReference = {
      ...(variant(medicationRequest, 'medicationCodeableConcept', undefined) as object),
      medicationReference: { reference: 'Medication/m1' },
    };
    expect(parseFhirResource(byReference).success).toBe(true);
    expect(
      parseFhirResource({ ...medicationRequest, medicationReference: { reference: 'Medication/m1' } }).success,
    ).toBe(false);
  });
});

describe('FHIR R4 schemas: wrong types and codes', () => {
  const wrong: [string, object, string, unknown][] = [
    ['Patient.gender outside administrative-gender', patient, 'gender', 'F'],
    ['Patient.active as a string', patient, 'active', 'true'],
    ['Patient.name as a string', patient, 'name', 'Quorbelix'],
    ['HumanName.given as a string', patient, 'name.1.given', 'Zyxmira'],
    ['HumanName.use outside its value set', patient, 'name.1.use', 'formal'],
    ['ContactPoint.system outside its value set', patient, 'telecom.0.system', 'telephone'],
    ['ContactPoint.rank zero', patient, 'telecom.0.rank', 0],
    ['Identifier.value empty', patient, 'identifier.0.value', ''],
    ['Observation.status outside its value set', heartRate, 'status', 'done'],
    ['Quantity.value as a string', heartRate, 'valueQuantity.value', '72'],
    ['Quantity.comparator outside its value set', heartRate, 'valueQuantity.comparator', '=='],
    ['Quantity.code with whitespace padding', heartRate, 'valueQuantity.code', ' /min'],
    ['Encounter.status outside its value set', encounter, 'status', 'done'],
    ['Encounter.class as a CodeableConcept array', encounter, 'class', [{ text: 'AMB' }]],
    ['MedicationRequest.intent outside its value set', medicationRequest, 'intent', 'prescription'],
    ['MedicationRequest.status outside its value set', medicationRequest, 'status', 'finished'],
    ['AllergyIntolerance.category outside its value set', allergy, 'category', ['drug']],
    ['AllergyIntolerance.criticality outside its value set', allergy, 'criticality', 'severe'],
    ['Condition.clinicalStatus code outside condition-clinical', condition, 'clinicalStatus.coding.0.code', 'current'],
    ['DocumentReference.status outside its value set', note, 'status', 'final'],
    ['DocumentReference attachment data that is not base64', note, 'content.0.attachment.data', 'not base64!'],
    ['CareTeam.status outside its value set', careTeam, 'status', 'open'],
    ['meta.lastUpdated that is not an instant', patient, 'meta.lastUpdated', '2024-05-03'],
    ['meta.versionId that is not an id', patient, 'meta.versionId', 'v 1'],
  ];
  it.each(wrong)('rejects %s', (_name, base, path, value) => {
    const paths = issuePaths(variant(base, path, value));
    expect(
      paths.some((reported) => reported.startsWith(path)),
      paths.join(', '),
    ).toBe(true);
  });

  it('rejects references to the wrong resource type', () => {
    expect(issuePaths({ ...condition, subject: { reference: 'Practitioner/prac-1' } })).toContain('subject.reference');
    expect(issuePaths({ ...allergy, patient: { reference: 'Group/g1' } })).toContain('patient.reference');
    expect(issuePaths({ ...careTeam, participant: [{ member: { reference: 'Encounter/enc-1' } }] })).toContain(
      'participant.0.member.reference',
    );
    expect(issuePaths({ ...encounter, participant: [{ individual: { reference: 'Patient/pat-1' } }] })).toContain(
      'participant.0.individual.reference',
    );
    expect(issuePaths({ ...condition, subject: { reference: 'Patient/pat-1', type: 'Device' } })).toContain(
      'subject.type',
    );
    expect(
      issuePaths({ ...patient, generalPractitioner: [{ reference: 'https://fhir.example/Patient/9' }] }),
    ).toContain('generalPractitioner.0.reference');
  });

  it('rejects two choices of one [x] element', () => {
    expect(issuePaths({ ...patient, deceasedDateTime: '2020-01-01' })).toContain('deceasedDateTime');
    expect(issuePaths({ ...heartRate, valueString: '72' })).toContain('valueString');
    expect(issuePaths({ ...condition, onsetString: 'childhood' })).toContain('onsetString');
  });

  it('enforces the invariants the chart relies on', () => {
    // obs-6: no dataAbsentReason next to a value
    expect(issuePaths({ ...heartRate, dataAbsentReason: { text: 'asked' } })).toContain('dataAbsentReason');
    // con-4: an abated condition cannot be active
    expect(issuePaths({ ...condition, abatementDateTime: '2024-06-01' })).toContain('clinicalStatus');
    // con-5 / ait-2: entered-in-error has no clinical status
    const eie = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'entered-in-error' }],
    };
    expect(issuePaths({ ...condition, verificationStatus: eie })).toContain('clinicalStatus');
    // att-1: data needs a contentType
    expect(issuePaths(variant(note, 'content.0.attachment.contentType', undefined))).toContain(
      'content.0.attachment.contentType',
    );
    // per-1: start before end
    expect(issuePaths(variant(encounter, 'period.end', '2024-05-03T08:00:00Z'))).toContain('period.end');
    // cpt-2: a value needs a system
    expect(issuePaths(variant(patient, 'telecom.0.system', undefined))).toContain('telecom.0.system');
    // ctm-1: onBehalfOf only for a Practitioner member
    expect(issuePaths(variant(careTeam, 'participant.0.member.reference', 'Patient/pat-1'))).toContain(
      'participant.0.onBehalfOf',
    );
  });

  it('rejects resource types the workstation does not store', () => {
    expect(issuePaths({ resourceType: 'Organization', id: 'o1' })).toEqual(['resourceType']);
    expect(parseFhirResource(null).success).toBe(false);
    expect(parseFhirResource('Patient').success).toBe(false);
  });
});

describe('FHIR R4 schemas: dates and ids', () => {
  it.each([
    ['month 13', '1974-13-01'],
    ['day 32', '1974-12-32'],
    ['30 February', '1974-02-30'],
    ['29 February of a common year', '1900-02-29'],
    ['two-digit year', '74-12-25'],
    ['year 0000', '0000-01-01'],
    ['a time (date only)', '1974-12-25T00:00:00Z'],
    ['slashes', '1974/12/25'],
    ['empty', ''],
  ])('rejects a birthDate with %s', (_name, birthDate) => {
    expect(issuePaths({ ...patient, birthDate })).toContain('birthDate');
  });

  it.each([
    ['no time zone', '2024-05-03T09:00:00'],
    ['no seconds', '2024-05-03T09:00Z'],
    ['hour 24', '2024-05-03T24:00:00Z'],
    ['zone +15:00', '2024-05-03T09:00:00+15:00'],
    ['a space instead of T', '2024-05-03 09:00:00Z'],
  ])('rejects a dateTime with %s', (_name, effectiveDateTime) => {
    expect(issuePaths({ ...heartRate, effectiveDateTime })).toContain('effectiveDateTime');
  });

  it('requires a full instant where R4 says instant', () => {
    expect(issuePaths({ ...note, date: '2024-05-03' })).toContain('date');
    expect(issuePaths({ ...heartRate, issued: '2024-05-03T09:00:00' })).toContain('issued');
    expect(parseFhirResource({ ...heartRate, issued: '2024-05-03T09:00:00.000Z' }).success).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'a'.repeat(65)],
    ['an underscore', 'pat_1'],
    ['a space', 'pat 1'],
    ['a slash', 'Patient/1'],
    ['a non-ASCII letter', 'pät-1'],
    ['a number', 12],
  ])('rejects an id with %s', (_name, id) => {
    expect(issuePaths({ ...patient, id })).toContain('id');
  });

  it('accepts ids of 1 to 64 letters, digits, dashes and dots', () => {
    for (const id of ['a', 'a'.repeat(64), 'A-b.9', '0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0']) {
      expect(parseFhirResource({ ...patient, id }).success, id).toBe(true);
    }
  });

  it('exposes the primitive patterns of the specification', () => {
    expect(fhirPrimitives.FHIR_ID_PATTERN.test('abc.DEF-123')).toBe(true);
    expect(fhirPrimitives.date.safeParse('2024-02-29').success).toBe(true);
    expect(fhirPrimitives.date.safeParse('2023-02-29').success).toBe(false);
    expect(fhirPrimitives.instant.safeParse('2024-05-03T09:00:00Z').success).toBe(true);
    expect(fhirPrimitives.code.safeParse('two words').success).toBe(true);
    expect(fhirPrimitives.code.safeParse('two  spaces').success).toBe(false);
    expect(fhirPrimitives.base64Binary.safeParse('U3lu dGg=').success).toBe(true);
    expect(fhirPrimitives.base64Binary.safeParse('   ').success).toBe(false);
  });
});

describe('FHIR R4 schemas: unmodelled data is kept', () => {
  it('keeps unknown elements, extensions and primitive extensions at every level', () => {
    const rich = {
      ...patient,
      extension: [
        { url: 'http://hl7.org/fhir/StructureDefinition/patient-birthPlace', valueAddress: { city: 'Quelford' } },
      ],
      modifierExtension: [{ url: 'urn:clinic:vip', valueBoolean: true }],
      _birthDate: {
        extension: [
          {
            url: 'http://hl7.org/fhir/StructureDefinition/patient-birthTime',
            valueDateTime: '1974-12-25T14:35:45-05:00',
          },
        ],
      },
      name: [
        {
          use: 'official',
          family: 'Quorbelix',
          given: ['Zyxmira'],
          _family: { extension: [{ url: 'urn:x:own-prefix', valueString: 'van' }] },
        },
      ],
      identifier: [{ ...patient.identifier[1], assigner: { display: 'Clinic', futureElement: 1 } }],
      contained: [{ resourceType: 'Organization', id: 'o1', name: 'Quelford Clinic' }],
      text: { status: 'generated', div: '<div xmlns="http://www.w3.org/1999/xhtml">Zyxmira</div>' },
      r5OnlyElement: { anything: ['goes'] },
    };
    const result = parseFhirResource(rich);
    expect(result.error?.issues).toBeUndefined();
    expect(result.data).toEqual(rich);
  });

  it('keeps unknown elements inside observations and notes', () => {
    const withExtras = {
      ...bloodPressure,
      component: bloodPressure.component.map((c) => ({ ...c, _note: 'kept' })),
      focus: [{ reference: 'Patient/pat-1' }],
    };
    expect(parseFhirResource(withExtras).data).toEqual(withExtras);
    const noteWithExtras = {
      ...note,
      content: [{ attachment: { ...note.content[0]?.attachment, hash: 'AAAA', vendorElement: true } }],
    };
    expect(parseFhirResource(noteWithExtras).data).toEqual(noteWithExtras);
  });

  it('does not modify the input', () => {
    const input = clone(patient);
    parseFhirResource(input);
    expect(input).toEqual(patient);
  });
});

describe('VitalSignsObservation', () => {
  it('rejects a vital sign in the wrong unit', () => {
    const result = VitalSignsObservation.safeParse(variant(heartRate, 'valueQuantity.code', 'Hz'));
    expect(result.success).toBe(false);
  });

  it('rejects a vital sign without the vital-signs category, subject or time', () => {
    expect(VitalSignsObservation.safeParse(variant(heartRate, 'category', undefined)).success).toBe(false);
    expect(VitalSignsObservation.safeParse(variant(heartRate, 'subject', undefined)).success).toBe(false);
    expect(VitalSignsObservation.safeParse(variant(heartRate, 'effectiveDateTime', undefined)).success).toBe(false);
  });

  it('rejects a blood pressure panel without its diastolic component', () => {
    const systolicOnly = { ...bloodPressure, component: bloodPressure.component.slice(0, 1) };
    expect(parseFhirResource(systolicOnly).success).toBe(true);
    expect(VitalSignsObservation.safeParse(systolicOnly).success).toBe(false);
  });

  it('accepts a dataAbsentReason instead of a value, and rejects codes it does not record', () => {
    const absent = {
      ...(variant(heartRate, 'valueQuantity', undefined) as object),
      dataAbsentReason: { text: 'Patient refused' },
    };
    expect(VitalSignsObservation.safeParse(absent).success).toBe(true);
    expect(VitalSignsObservation.safeParse(variant(heartRate, 'code.coding.0.code', '2339-0')).success).toBe(false);
  });

  it('accepts SpO2 coded with 59408-5 and rejects more than 100 %', () => {
    const spo2 = {
      ...heartRate,
      code: { coding: [{ system: 'http://loinc.org', code: '59408-5' }] },
      valueQuantity: { value: 97, unit: '%', system: 'http://unitsofmeasure.org', code: '%' },
    };
    expect(VitalSignsObservation.safeParse(spo2).success).toBe(true);
    expect(VitalSignsObservation.safeParse(variant(spo2, 'valueQuantity.value', 101)).success).toBe(false);
  });
});

describe('patientSearchFields', () => {
  const parsePatient = (value: unknown): Fhir.Patient => {
    const result = parseFhirResource(value);
    if (!result.success || result.data.resourceType !== 'Patient') throw new Error('not a valid Patient');
    return result.data;
  };

  it('takes the official name, the MR identifier, birth date and gender', () => {
    expect(patientSearchFields(parsePatient(patient))).toEqual({
      family: 'Quorbelix',
      given: 'Zyxmira Ova',
      displayName: 'Quorbelix, Zyxmira Ova',
      mrn: '00012345',
      birthDate: '1974-12-25',
      gender: 'female',
    });
  });

  it('ignores identifiers typed MR in another code system, and prefers a current MRN over an old one', () => {
    const p = parsePatient({
      ...patient,
      identifier: [
        { type: { coding: [{ system: 'urn:other', code: 'MR' }] }, value: 'NOT-AN-MRN' },
        { use: 'old', type: MR, value: 'OLD-MRN' },
        { use: 'official', type: MR, value: 'CURRENT-MRN' },
      ],
    });
    expect(patientSearchFields(p).mrn).toBe('CURRENT-MRN');
    expect(
      patientSearchFields(parsePatient({ ...patient, identifier: [{ use: 'old', type: MR, value: 'OLD-MRN' }] })).mrn,
    ).toBe('OLD-MRN');
  });

  it('uses HumanName.text for display when present', () => {
    const p = parsePatient({ ...patient, name: [{ text: 'Zyxmira Q.', family: 'Quorbelix', given: ['Zyxmira'] }] });
    expect(patientSearchFields(p).displayName).toBe('Zyxmira Q.');
  });

  it('gives nulls and a placeholder name for a bare patient', () => {
    expect(patientSearchFields(parsePatient({ resourceType: 'Patient', id: 'p0' }))).toEqual({
      family: null,
      given: null,
      displayName: UNNAMED_PATIENT,
      mrn: null,
      birthDate: null,
      gender: null,
    });
    expect(patientSearchFields(parsePatient({ resourceType: 'Patient', name: [{ given: ['Zyx'] }] })).displayName).toBe(
      'Zyx',
    );
  });
});

describe('patientIdOf and references', () => {
  const parsed = (value: unknown): Fhir.FhirResource => {
    const result = parseFhirResource(value);
    if (!result.success) throw new Error(JSON.stringify(result.error.issues));
    return result.data;
  };

  it.each([
    ['Patient', patient, 'pat-1'],
    ['Practitioner', practitioner, null],
    ['PractitionerRole', practitionerRole, null],
    ['CareTeam', careTeam, 'pat-1'],
    ['Encounter', encounter, 'pat-1'],
    ['Condition', condition, 'pat-1'],
    ['AllergyIntolerance', allergy, 'pat-1'],
    ['MedicationRequest', medicationRequest, 'pat-1'],
    ['Observation', heartRate, 'pat-1'],
    ['DocumentReference', note, 'pat-1'],
  ])('%s belongs to %s', (_type, resource, expected) => {
    expect(patientIdOf(parsed(resource))).toBe(expected);
  });

  it('reads absolute and versioned references, and gives null for groups and missing subjects', () => {
    expect(
      patientIdOf(parsed({ ...condition, subject: { reference: 'https://fhir.example/r4/Patient/p-9/_history/4' } })),
    ).toBe('p-9');
    expect(patientIdOf(parsed({ ...condition, subject: { reference: 'Group/g1' } }))).toBeNull();
    expect(
      patientIdOf(parsed({ ...condition, subject: { reference: 'urn:uuid:0c3151bd-1cbf-4d64-b04d-cd9187a4c6e0' } })),
    ).toBeNull();
    expect(patientIdOf(parsed(variant(heartRate, 'subject', undefined)))).toBeNull();
    expect(patientIdOf(parsed(variant(patient, 'id', undefined)))).toBeNull();
  });

  it('parses references', () => {
    expect(parseReference('Patient/pat-1')).toEqual({ type: 'Patient', id: 'pat-1' });
    expect(parseReference('#contained')).toBeNull();
    expect(parseReference(undefined)).toBeNull();
    expect(referenceId({ reference: 'Practitioner/prac-1' }, 'Practitioner')).toBe('prac-1');
    expect(referenceId({ reference: 'Practitioner/prac-1' }, 'Patient')).toBeNull();
  });
});

describe('types', () => {
  it('infers types that are assignable to @medplum/fhirtypes (with R4 JSON null placeholders)', () => {
    expectTypeOf<Fhir.Patient>().toExtend<WithPlaceholders<Medplum.Patient>>();
    expectTypeOf<Fhir.Practitioner>().toExtend<WithPlaceholders<Medplum.Practitioner>>();
    expectTypeOf<Fhir.PractitionerRole>().toExtend<WithPlaceholders<Medplum.PractitionerRole>>();
    expectTypeOf<Fhir.CareTeam>().toExtend<WithPlaceholders<Medplum.CareTeam>>();
    expectTypeOf<Fhir.Encounter>().toExtend<WithPlaceholders<Medplum.Encounter>>();
    expectTypeOf<Fhir.Condition>().toExtend<WithPlaceholders<Medplum.Condition>>();
    expectTypeOf<Fhir.AllergyIntolerance>().toExtend<WithPlaceholders<Medplum.AllergyIntolerance>>();
    expectTypeOf<Fhir.MedicationRequest>().toExtend<WithPlaceholders<Medplum.MedicationRequest>>();
    expectTypeOf<Fhir.Observation>().toExtend<WithPlaceholders<Medplum.Observation>>();
    expectTypeOf<Fhir.DocumentReference>().toExtend<WithPlaceholders<Medplum.DocumentReference>>();
    expectTypeOf<Fhir.FhirResource>().toExtend<WithPlaceholders<Medplum.Resource>>();
  });
});
