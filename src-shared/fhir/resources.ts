import { z } from 'zod';
import {
  boolean,
  code,
  date as fhirDate,
  dateTime,
  decimal,
  fhirString,
  id,
  instant,
  integer,
  positiveInt,
  time,
  uri,
} from './primitives.ts';
import {
  AdministrativeGender,
  Address,
  Annotation,
  Attachment,
  CodeableConcept,
  Coding,
  ContactPoint,
  Dosage,
  Extension,
  HumanName,
  Identifier,
  Meta,
  Narrative,
  Period,
  Quantity,
  Range,
  Ratio,
  Reference,
  boundConcept,
  checkChoice,
  hasCoding,
  parseReference,
  referenceTo,
  requiredReferenceTo,
} from './datatypes.ts';
import {
  ALLERGY_CLINICAL_SYSTEM,
  ALLERGY_VERIFICATION_SYSTEM,
  CONDITION_CLINICAL_SYSTEM,
  CONDITION_VERIFICATION_SYSTEM,
  LOINC,
  OBSERVATION_CATEGORY_SYSTEM,
  UCUM,
  VITAL_SIGNS_CATEGORY,
  vitalSignByLoinc,
} from './codes.ts';
import { checkPlaceholders, repeated } from './repeating.ts';

/**
 * The FHIR R4 resources the workstation stores, as zod schemas; the TypeScript types are inferred
 * from them. Required elements, required code bindings, primitive formats and the invariants the
 * product depends on are checked; everything else the server sends is kept untouched (loose
 * objects), so a round trip through the workstation never loses data.
 */

/**
 * Resource + DomainResource elements. `contained` resources are kept as they come, unvalidated:
 * they can be of any type, and typing them loosely here would make our types incompatible with
 * @medplum/fhirtypes' `Resource` union.
 */
const domainResource = {
  id: id.optional(),
  meta: Meta.optional(),
  implicitRules: uri.optional(),
  language: code.optional(),
  text: Narrative.optional(),
  extension: z.array(Extension).optional(),
  modifierExtension: z.array(Extension).optional(),
};

/**
 * A stored resource's schema: its elements (loose, see above), and R4 JSON's rule for null
 * placeholders checked once over the whole resource, contained resources and unmodelled
 * elements included.
 */
function resource<Shape extends z.core.$ZodLooseShape>(shape: Shape) {
  return z.looseObject(shape).superRefine(checkPlaceholders);
}

// Reference targets used more than once.
const PATIENT_OR_GROUP = ['Patient', 'Group'] as const;
const PRACTITIONER_LIKE = ['Practitioner', 'PractitionerRole'] as const;
const CLINICAL_ACTOR = ['Practitioner', 'PractitionerRole', 'Patient', 'RelatedPerson'] as const;

// -----------------------------------------------------------------------------------------------
// Patient, Practitioner, PractitionerRole, CareTeam
// -----------------------------------------------------------------------------------------------

export const Patient = resource({
  resourceType: z.literal('Patient'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  active: boolean.optional(),
  name: z.array(HumanName).optional(),
  telecom: z.array(ContactPoint).optional(),
  gender: AdministrativeGender.optional(),
  birthDate: fhirDate.optional(),
  deceasedBoolean: boolean.optional(),
  deceasedDateTime: dateTime.optional(),
  address: z.array(Address).optional(),
  maritalStatus: CodeableConcept.optional(),
  multipleBirthBoolean: boolean.optional(),
  multipleBirthInteger: integer.optional(),
  photo: z.array(Attachment).optional(),
  contact: z
    .array(
      z.looseObject({
        relationship: z.array(CodeableConcept).optional(),
        name: HumanName.optional(),
        telecom: z.array(ContactPoint).optional(),
        address: Address.optional(),
        gender: AdministrativeGender.optional(),
        organization: referenceTo('Organization').optional(),
        period: Period.optional(),
      }),
    )
    .optional(),
  communication: z.array(z.looseObject({ language: CodeableConcept, preferred: boolean.optional() })).optional(),
  generalPractitioner: z.array(referenceTo('Organization', ...PRACTITIONER_LIKE)).optional(),
  managingOrganization: referenceTo('Organization').optional(),
  link: z
    .array(
      z.looseObject({
        other: requiredReferenceTo('Patient', 'RelatedPerson'),
        type: z.enum(['replaced-by', 'replaces', 'refer', 'seealso']),
      }),
    )
    .optional(),
}).superRefine((patient, ctx) => {
  checkChoice(patient, ctx, 'deceased', ['deceasedBoolean', 'deceasedDateTime']);
  checkChoice(patient, ctx, 'multipleBirth', ['multipleBirthBoolean', 'multipleBirthInteger']);
});
export type Patient = z.infer<typeof Patient>;

export const Practitioner = resource({
  resourceType: z.literal('Practitioner'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  active: boolean.optional(),
  name: z.array(HumanName).optional(),
  telecom: z.array(ContactPoint).optional(),
  address: z.array(Address).optional(),
  gender: AdministrativeGender.optional(),
  birthDate: fhirDate.optional(),
  photo: z.array(Attachment).optional(),
  qualification: z
    .array(
      z.looseObject({
        identifier: z.array(Identifier).optional(),
        code: CodeableConcept,
        period: Period.optional(),
        issuer: referenceTo('Organization').optional(),
      }),
    )
    .optional(),
  communication: z.array(CodeableConcept).optional(),
});
export type Practitioner = z.infer<typeof Practitioner>;

export const PractitionerRole = resource({
  resourceType: z.literal('PractitionerRole'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  active: boolean.optional(),
  period: Period.optional(),
  practitioner: referenceTo('Practitioner').optional(),
  organization: referenceTo('Organization').optional(),
  code: z.array(CodeableConcept).optional(),
  specialty: z.array(CodeableConcept).optional(),
  location: z.array(referenceTo('Location')).optional(),
  healthcareService: z.array(referenceTo('HealthcareService')).optional(),
  telecom: z.array(ContactPoint).optional(),
  availableTime: z
    .array(
      z.looseObject({
        daysOfWeek: repeated(z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])).optional(),
        allDay: boolean.optional(),
        availableStartTime: time.optional(),
        availableEndTime: time.optional(),
      }),
    )
    .optional(),
  notAvailable: z.array(z.looseObject({ description: fhirString, during: Period.optional() })).optional(),
  availabilityExceptions: fhirString.optional(),
  endpoint: z.array(referenceTo('Endpoint')).optional(),
});
export type PractitionerRole = z.infer<typeof PractitionerRole>;

export const CareTeamStatus = z.enum(['proposed', 'active', 'suspended', 'inactive', 'entered-in-error']);

export const CareTeam = resource({
  resourceType: z.literal('CareTeam'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  status: CareTeamStatus.optional(),
  category: z.array(CodeableConcept).optional(),
  name: fhirString.optional(),
  subject: referenceTo(...PATIENT_OR_GROUP).optional(),
  encounter: referenceTo('Encounter').optional(),
  period: Period.optional(),
  participant: z
    .array(
      z
        .looseObject({
          role: z.array(CodeableConcept).optional(),
          // Who is on the team: access control reads these references.
          member: requiredReferenceTo(
            ...PRACTITIONER_LIKE,
            'RelatedPerson',
            'Patient',
            'Organization',
            'CareTeam',
          ).optional(),
          onBehalfOf: referenceTo('Organization').optional(),
          period: Period.optional(),
        })
        .superRefine((participant, ctx) => {
          // ctm-1: onBehalfOf only when the member is a Practitioner.
          if (participant.onBehalfOf !== undefined) {
            const member = parseReference(participant.member?.reference);
            if (member && member.type !== 'Practitioner') {
              ctx.addIssue({
                code: 'custom',
                message: 'onBehalfOf is only allowed for a Practitioner member',
                path: ['onBehalfOf'],
              });
            }
          }
        }),
    )
    .optional(),
  reasonCode: z.array(CodeableConcept).optional(),
  reasonReference: z.array(referenceTo('Condition')).optional(),
  managingOrganization: z.array(referenceTo('Organization')).optional(),
  telecom: z.array(ContactPoint).optional(),
  note: z.array(Annotation).optional(),
});
export type CareTeam = z.infer<typeof CareTeam>;

// -----------------------------------------------------------------------------------------------
// Encounter
// -----------------------------------------------------------------------------------------------

export const EncounterStatus = z.enum([
  'planned',
  'arrived',
  'triaged',
  'in-progress',
  'onleave',
  'finished',
  'cancelled',
  'entered-in-error',
  'unknown',
]);

export const Encounter = resource({
  resourceType: z.literal('Encounter'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  status: EncounterStatus,
  statusHistory: z.array(z.looseObject({ status: EncounterStatus, period: Period })).optional(),
  class: Coding,
  classHistory: z.array(z.looseObject({ class: Coding, period: Period })).optional(),
  type: z.array(CodeableConcept).optional(),
  serviceType: CodeableConcept.optional(),
  priority: CodeableConcept.optional(),
  subject: referenceTo(...PATIENT_OR_GROUP).optional(),
  episodeOfCare: z.array(referenceTo('EpisodeOfCare')).optional(),
  basedOn: z.array(referenceTo('ServiceRequest')).optional(),
  participant: z
    .array(
      z.looseObject({
        type: z.array(CodeableConcept).optional(),
        period: Period.optional(),
        individual: referenceTo(...PRACTITIONER_LIKE, 'RelatedPerson').optional(),
      }),
    )
    .optional(),
  appointment: z.array(referenceTo('Appointment')).optional(),
  period: Period.optional(),
  length: Quantity.optional(),
  reasonCode: z.array(CodeableConcept).optional(),
  reasonReference: z
    .array(referenceTo('Condition', 'Procedure', 'Observation', 'ImmunizationRecommendation'))
    .optional(),
  diagnosis: z
    .array(
      z.looseObject({
        condition: requiredReferenceTo('Condition', 'Procedure'),
        use: CodeableConcept.optional(),
        rank: positiveInt.optional(),
      }),
    )
    .optional(),
  account: z.array(referenceTo('Account')).optional(),
  hospitalization: z.looseObject({}).optional(),
  location: z
    .array(
      z.looseObject({
        location: requiredReferenceTo('Location'),
        status: z.enum(['planned', 'active', 'reserved', 'completed']).optional(),
        physicalType: CodeableConcept.optional(),
        period: Period.optional(),
      }),
    )
    .optional(),
  serviceProvider: referenceTo('Organization').optional(),
  partOf: referenceTo('Encounter').optional(),
});
export type Encounter = z.infer<typeof Encounter>;

// -----------------------------------------------------------------------------------------------
// Condition, AllergyIntolerance
// -----------------------------------------------------------------------------------------------

const CONDITION_CLINICAL_CODES = ['active', 'recurrence', 'relapse', 'inactive', 'remission', 'resolved'] as const;
const CONDITION_VERIFICATION_CODES = [
  'unconfirmed',
  'provisional',
  'differential',
  'confirmed',
  'refuted',
  'entered-in-error',
] as const;

/** onset[x] and abatement[x] of Condition and AllergyIntolerance. */
const onsetNames = ['onsetDateTime', 'onsetAge', 'onsetPeriod', 'onsetRange', 'onsetString'] as const;
const abatementNames = [
  'abatementDateTime',
  'abatementAge',
  'abatementPeriod',
  'abatementRange',
  'abatementString',
] as const;

/** con-5 / ait-2: a record marked entered-in-error carries no clinical status. */
function noClinicalStatusWhenEnteredInError(
  resource: { verificationStatus?: CodeableConcept; clinicalStatus?: CodeableConcept },
  ctx: z.RefinementCtx,
  verificationSystem: string,
  rule: string,
): void {
  if (
    hasCoding(resource.verificationStatus, verificationSystem, 'entered-in-error') &&
    resource.clinicalStatus !== undefined
  ) {
    ctx.addIssue({
      code: 'custom',
      message: `clinicalStatus must be absent when verificationStatus is entered-in-error (${rule})`,
      path: ['clinicalStatus'],
    });
  }
}

export const Condition = resource({
  resourceType: z.literal('Condition'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  clinicalStatus: boundConcept(CONDITION_CLINICAL_SYSTEM, CONDITION_CLINICAL_CODES).optional(),
  verificationStatus: boundConcept(CONDITION_VERIFICATION_SYSTEM, CONDITION_VERIFICATION_CODES).optional(),
  category: z.array(CodeableConcept).optional(),
  severity: CodeableConcept.optional(),
  code: CodeableConcept.optional(),
  bodySite: z.array(CodeableConcept).optional(),
  subject: requiredReferenceTo(...PATIENT_OR_GROUP),
  encounter: referenceTo('Encounter').optional(),
  onsetDateTime: dateTime.optional(),
  onsetAge: Quantity.optional(),
  onsetPeriod: Period.optional(),
  onsetRange: Range.optional(),
  onsetString: fhirString.optional(),
  abatementDateTime: dateTime.optional(),
  abatementAge: Quantity.optional(),
  abatementPeriod: Period.optional(),
  abatementRange: Range.optional(),
  abatementString: fhirString.optional(),
  recordedDate: dateTime.optional(),
  recorder: referenceTo(...CLINICAL_ACTOR).optional(),
  asserter: referenceTo(...CLINICAL_ACTOR).optional(),
  stage: z.array(z.looseObject({})).optional(),
  evidence: z.array(z.looseObject({})).optional(),
  note: z.array(Annotation).optional(),
}).superRefine((condition, ctx) => {
  checkChoice(condition, ctx, 'onset', onsetNames);
  checkChoice(condition, ctx, 'abatement', abatementNames);
  // con-4: an abated condition is inactive, resolved or in remission.
  const abated = abatementNames.some((name) => condition[name] !== undefined);
  if (abated && condition.clinicalStatus !== undefined) {
    const stillActive = ['active', 'recurrence', 'relapse'].some((c) =>
      hasCoding(condition.clinicalStatus, CONDITION_CLINICAL_SYSTEM, c),
    );
    if (stillActive) {
      ctx.addIssue({
        code: 'custom',
        message: 'An abated condition must be inactive, resolved or in remission (con-4)',
        path: ['clinicalStatus'],
      });
    }
  }
  // con-5: an entered-in-error condition has no clinical status.
  noClinicalStatusWhenEnteredInError(condition, ctx, CONDITION_VERIFICATION_SYSTEM, 'con-5');
});
export type Condition = z.infer<typeof Condition>;

export const AllergyIntolerance = resource({
  resourceType: z.literal('AllergyIntolerance'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  clinicalStatus: boundConcept(ALLERGY_CLINICAL_SYSTEM, ['active', 'inactive', 'resolved']).optional(),
  verificationStatus: boundConcept(ALLERGY_VERIFICATION_SYSTEM, [
    'unconfirmed',
    'confirmed',
    'refuted',
    'entered-in-error',
  ]).optional(),
  type: z.enum(['allergy', 'intolerance']).optional(),
  category: repeated(z.enum(['food', 'medication', 'environment', 'biologic'])).optional(),
  criticality: z.enum(['low', 'high', 'unable-to-assess']).optional(),
  code: CodeableConcept.optional(),
  patient: requiredReferenceTo('Patient'),
  encounter: referenceTo('Encounter').optional(),
  onsetDateTime: dateTime.optional(),
  onsetAge: Quantity.optional(),
  onsetPeriod: Period.optional(),
  onsetRange: Range.optional(),
  onsetString: fhirString.optional(),
  recordedDate: dateTime.optional(),
  recorder: referenceTo(...CLINICAL_ACTOR).optional(),
  asserter: referenceTo('Patient', 'RelatedPerson', ...PRACTITIONER_LIKE).optional(),
  lastOccurrence: dateTime.optional(),
  note: z.array(Annotation).optional(),
  reaction: z
    .array(
      z.looseObject({
        substance: CodeableConcept.optional(),
        manifestation: z.array(CodeableConcept).min(1, 'A reaction needs at least one manifestation'),
        description: fhirString.optional(),
        onset: dateTime.optional(),
        severity: z.enum(['mild', 'moderate', 'severe']).optional(),
        exposureRoute: CodeableConcept.optional(),
        note: z.array(Annotation).optional(),
      }),
    )
    .optional(),
}).superRefine((allergy, ctx) => {
  checkChoice(allergy, ctx, 'onset', onsetNames);
  // ait-2: an entered-in-error allergy has no clinical status.
  noClinicalStatusWhenEnteredInError(allergy, ctx, ALLERGY_VERIFICATION_SYSTEM, 'ait-2');
});
export type AllergyIntolerance = z.infer<typeof AllergyIntolerance>;

// -----------------------------------------------------------------------------------------------
// MedicationRequest
// -----------------------------------------------------------------------------------------------

export const MedicationRequest = resource({
  resourceType: z.literal('MedicationRequest'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  status: z.enum(['active', 'on-hold', 'cancelled', 'completed', 'entered-in-error', 'stopped', 'draft', 'unknown']),
  statusReason: CodeableConcept.optional(),
  intent: z.enum([
    'proposal',
    'plan',
    'order',
    'original-order',
    'reflex-order',
    'filler-order',
    'instance-order',
    'option',
  ]),
  category: z.array(CodeableConcept).optional(),
  priority: z.enum(['routine', 'urgent', 'asap', 'stat']).optional(),
  doNotPerform: boolean.optional(),
  reportedBoolean: boolean.optional(),
  reportedReference: referenceTo(
    'Patient',
    'Practitioner',
    'PractitionerRole',
    'RelatedPerson',
    'Organization',
  ).optional(),
  medicationCodeableConcept: CodeableConcept.optional(),
  medicationReference: referenceTo('Medication').optional(),
  subject: requiredReferenceTo(...PATIENT_OR_GROUP),
  encounter: referenceTo('Encounter').optional(),
  // Reference(Any): HL7 writes it as a target profile of "Resource"; any resource type will do.
  supportingInformation: z.array(Reference).optional(),
  authoredOn: dateTime.optional(),
  requester: referenceTo(...CLINICAL_ACTOR, 'Organization', 'Device').optional(),
  performer: referenceTo(...CLINICAL_ACTOR, 'Organization', 'Device', 'CareTeam').optional(),
  performerType: CodeableConcept.optional(),
  recorder: referenceTo(...PRACTITIONER_LIKE).optional(),
  reasonCode: z.array(CodeableConcept).optional(),
  reasonReference: z.array(referenceTo('Condition', 'Observation')).optional(),
  instantiatesCanonical: repeated(uri).optional(),
  instantiatesUri: repeated(uri).optional(),
  groupIdentifier: Identifier.optional(),
  courseOfTherapyType: CodeableConcept.optional(),
  note: z.array(Annotation).optional(),
  dosageInstruction: z.array(Dosage).optional(),
  dispenseRequest: z.looseObject({}).optional(),
  substitution: z.looseObject({}).optional(),
  priorPrescription: referenceTo('MedicationRequest').optional(),
}).superRefine((request, ctx) => {
  checkChoice(request, ctx, 'reported', ['reportedBoolean', 'reportedReference']);
  checkChoice(request, ctx, 'medication', ['medicationCodeableConcept', 'medicationReference'], true);
});
export type MedicationRequest = z.infer<typeof MedicationRequest>;

// -----------------------------------------------------------------------------------------------
// Observation (vital signs are Observations; see VitalSignsObservation for the profile checks)
// -----------------------------------------------------------------------------------------------

export const ObservationStatus = z.enum([
  'registered',
  'preliminary',
  'final',
  'amended',
  'corrected',
  'cancelled',
  'entered-in-error',
  'unknown',
]);

const observationValue = {
  valueQuantity: Quantity.optional(),
  valueCodeableConcept: CodeableConcept.optional(),
  valueString: fhirString.optional(),
  valueBoolean: boolean.optional(),
  valueInteger: integer.optional(),
  valueRange: Range.optional(),
  valueRatio: Ratio.optional(),
  valueSampledData: z
    .looseObject({
      origin: Quantity,
      period: decimal,
      factor: decimal.optional(),
      lowerLimit: decimal.optional(),
      upperLimit: decimal.optional(),
      dimensions: positiveInt,
      data: fhirString.optional(),
    })
    .optional(),
  valueTime: time.optional(),
  valueDateTime: dateTime.optional(),
  valuePeriod: Period.optional(),
};
const valueNames = Object.keys(observationValue);

const ReferenceRange = z.looseObject({
  low: Quantity.optional(),
  high: Quantity.optional(),
  type: CodeableConcept.optional(),
  appliesTo: z.array(CodeableConcept).optional(),
  age: Range.optional(),
  text: fhirString.optional(),
});

const ObservationComponent = z
  .looseObject({
    code: CodeableConcept,
    ...observationValue,
    dataAbsentReason: CodeableConcept.optional(),
    interpretation: z.array(CodeableConcept).optional(),
    referenceRange: z.array(ReferenceRange).optional(),
  })
  .superRefine((component, ctx) => {
    checkChoice(component, ctx, 'value', valueNames);
    checkDataAbsent(component, ctx);
  });

/** obs-6: dataAbsentReason SHALL only be present if value[x] is not present. */
function checkDataAbsent<T extends Record<string, unknown>>(value: T, ctx: z.RefinementCtx<T>): void {
  if (value['dataAbsentReason'] !== undefined && valueNames.some((name) => value[name] !== undefined)) {
    ctx.addIssue({
      code: 'custom',
      message: 'dataAbsentReason is only allowed without a value (obs-6)',
      path: ['dataAbsentReason'],
    });
  }
}

export const Observation = resource({
  resourceType: z.literal('Observation'),
  ...domainResource,
  identifier: z.array(Identifier).optional(),
  basedOn: z
    .array(
      referenceTo(
        'CarePlan',
        'DeviceRequest',
        'ImmunizationRecommendation',
        'MedicationRequest',
        'NutritionOrder',
        'ServiceRequest',
      ),
    )
    .optional(),
  partOf: z
    .array(
      referenceTo(
        'MedicationAdministration',
        'MedicationDispense',
        'MedicationStatement',
        'Procedure',
        'Immunization',
        'ImagingStudy',
      ),
    )
    .optional(),
  status: ObservationStatus,
  category: z.array(CodeableConcept).optional(),
  code: CodeableConcept,
  subject: referenceTo(...PATIENT_OR_GROUP, 'Device', 'Location').optional(),
  focus: z.array(z.looseObject({})).optional(),
  encounter: referenceTo('Encounter').optional(),
  effectiveDateTime: dateTime.optional(),
  effectivePeriod: Period.optional(),
  effectiveTiming: z.looseObject({}).optional(),
  effectiveInstant: instant.optional(),
  issued: instant.optional(),
  performer: z.array(referenceTo(...CLINICAL_ACTOR, 'Organization', 'CareTeam')).optional(),
  ...observationValue,
  dataAbsentReason: CodeableConcept.optional(),
  interpretation: z.array(CodeableConcept).optional(),
  note: z.array(Annotation).optional(),
  bodySite: CodeableConcept.optional(),
  method: CodeableConcept.optional(),
  specimen: referenceTo('Specimen').optional(),
  device: referenceTo('Device', 'DeviceMetric').optional(),
  referenceRange: z.array(ReferenceRange).optional(),
  hasMember: z.array(referenceTo('Observation', 'QuestionnaireResponse', 'MolecularSequence')).optional(),
  derivedFrom: z
    .array(
      referenceTo(
        'DocumentReference',
        'ImagingStudy',
        'Media',
        'QuestionnaireResponse',
        'Observation',
        'MolecularSequence',
      ),
    )
    .optional(),
  component: z.array(ObservationComponent).optional(),
}).superRefine((observation, ctx) => {
  checkChoice(observation, ctx, 'effective', [
    'effectiveDateTime',
    'effectivePeriod',
    'effectiveTiming',
    'effectiveInstant',
  ]);
  checkChoice(observation, ctx, 'value', valueNames);
  checkDataAbsent(observation, ctx);
});
export type Observation = z.infer<typeof Observation>;

/**
 * A vital-signs Observation as the workstation records it (FHIR R4 vital-signs profiles): the
 * vital-signs category, a Patient subject, an effective time, one of the LOINC codes of
 * `VITAL_SIGNS` and values in the profile's UCUM unit. Use it to check what the clinician enters;
 * stored Observations from the server are checked with the general `Observation` schema.
 */
export const VitalSignsObservation = Observation.superRefine((observation, ctx) => {
  const isVitalSigns = observation.category?.some((c) =>
    hasCoding(c, OBSERVATION_CATEGORY_SYSTEM, VITAL_SIGNS_CATEGORY),
  );
  if (!isVitalSigns) {
    ctx.addIssue({ code: 'custom', message: 'A vital sign needs the vital-signs category', path: ['category'] });
  }
  if (parseReference(observation.subject?.reference)?.type !== 'Patient') {
    ctx.addIssue({ code: 'custom', message: 'A vital sign needs a Patient subject', path: ['subject'] });
  }
  if (observation.effectiveDateTime === undefined && observation.effectivePeriod === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: 'A vital sign needs effectiveDateTime or effectivePeriod',
      path: ['effectiveDateTime'],
    });
  }
  const loinc = observation.code.coding?.find(
    (c) => c.system === LOINC && c.code !== undefined && vitalSignByLoinc(c.code),
  );
  const vital = loinc?.code === undefined ? undefined : vitalSignByLoinc(loinc.code);
  if (!vital) {
    ctx.addIssue({ code: 'custom', message: 'Not a vital sign the workstation records (LOINC code)', path: ['code'] });
    return;
  }
  const checkQuantity = (
    holder: { valueQuantity?: Quantity; dataAbsentReason?: CodeableConcept },
    ucum: string,
    path: PropertyKey[],
  ) => {
    if (holder.dataAbsentReason !== undefined) return;
    const quantity = holder.valueQuantity;
    if (quantity?.value === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'A vital sign needs valueQuantity.value or a dataAbsentReason',
        path: [...path, 'valueQuantity'],
      });
      return;
    }
    if (quantity.system !== UCUM || quantity.code !== ucum) {
      ctx.addIssue({ code: 'custom', message: `Unit must be UCUM ${ucum}`, path: [...path, 'valueQuantity', 'code'] });
    }
    if (quantity.value < 0 || (ucum === '%' && quantity.value > 100)) {
      ctx.addIssue({ code: 'custom', message: 'Value out of range', path: [...path, 'valueQuantity', 'value'] });
    }
  };
  if (vital.components) {
    for (const part of vital.components) {
      const index = observation.component?.findIndex((c) => hasCoding(c.code, LOINC, part.loinc)) ?? -1;
      const component = index >= 0 ? observation.component?.[index] : undefined;
      if (!component) {
        ctx.addIssue({
          code: 'custom',
          message: `Missing component ${part.display} (${part.loinc})`,
          path: ['component'],
        });
      } else {
        checkQuantity(component, part.ucum, ['component', index]);
      }
    }
  } else {
    checkQuantity(observation, vital.ucum, []);
  }
});
export type VitalSignsObservation = z.infer<typeof VitalSignsObservation>;

// -----------------------------------------------------------------------------------------------
// DocumentReference (clinical notes)
// -----------------------------------------------------------------------------------------------

export const DocumentReference = resource({
  resourceType: z.literal('DocumentReference'),
  ...domainResource,
  masterIdentifier: Identifier.optional(),
  identifier: z.array(Identifier).optional(),
  status: z.enum(['current', 'superseded', 'entered-in-error']),
  docStatus: z.enum(['preliminary', 'final', 'amended', 'entered-in-error']).optional(),
  type: CodeableConcept.optional(),
  category: z.array(CodeableConcept).optional(),
  subject: referenceTo('Patient', 'Practitioner', 'Group', 'Device').optional(),
  date: instant.optional(),
  author: z.array(referenceTo(...CLINICAL_ACTOR, 'Organization', 'Device')).optional(),
  authenticator: referenceTo(...PRACTITIONER_LIKE, 'Organization').optional(),
  custodian: referenceTo('Organization').optional(),
  relatesTo: z
    .array(
      z.looseObject({
        code: z.enum(['replaces', 'transforms', 'signs', 'appends']),
        target: requiredReferenceTo('DocumentReference'),
      }),
    )
    .optional(),
  description: fhirString.optional(),
  securityLabel: z.array(CodeableConcept).optional(),
  content: z
    .array(z.looseObject({ attachment: Attachment, format: Coding.optional() }))
    .min(1, 'A DocumentReference needs at least one content.attachment'),
  context: z
    .looseObject({
      encounter: z.array(referenceTo('Encounter', 'EpisodeOfCare')).optional(),
      event: z.array(CodeableConcept).optional(),
      period: Period.optional(),
      facilityType: CodeableConcept.optional(),
      practiceSetting: CodeableConcept.optional(),
      sourcePatientInfo: referenceTo('Patient').optional(),
      related: z.array(Reference).optional(), // Reference(Any)
    })
    .optional(),
});
export type DocumentReference = z.infer<typeof DocumentReference>;

// -----------------------------------------------------------------------------------------------
// The union of stored resources
// -----------------------------------------------------------------------------------------------

/** The resource types the workstation keeps in its cache. */
export const StoredResourceType = z.enum([
  'Patient',
  'Practitioner',
  'PractitionerRole',
  'CareTeam',
  'Encounter',
  'Condition',
  'AllergyIntolerance',
  'MedicationRequest',
  'Observation',
  'DocumentReference',
]);
export type StoredResourceType = z.infer<typeof StoredResourceType>;

export const FhirResource = z.discriminatedUnion('resourceType', [
  Patient,
  Practitioner,
  PractitionerRole,
  CareTeam,
  Encounter,
  Condition,
  AllergyIntolerance,
  MedicationRequest,
  Observation,
  DocumentReference,
]);
export type FhirResource = z.infer<typeof FhirResource>;

/** The resource type's own TypeScript type, e.g. `ResourceOf<'Patient'>`. */
export type ResourceOf<T extends StoredResourceType> = Extract<FhirResource, { resourceType: T }>;

/** Validates one resource of a stored type. Unmodelled elements are kept in `data`. */
export function parseFhirResource(value: unknown): z.ZodSafeParseResult<FhirResource> {
  return FhirResource.safeParse(value);
}

/** The schema of one stored resource type. */
export const resourceSchemas = {
  Patient,
  Practitioner,
  PractitionerRole,
  CareTeam,
  Encounter,
  Condition,
  AllergyIntolerance,
  MedicationRequest,
  Observation,
  DocumentReference,
} as const satisfies Record<StoredResourceType, z.ZodType>;
