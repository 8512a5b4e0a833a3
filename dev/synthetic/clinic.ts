import { Buffer } from 'node:buffer';
import { z } from 'zod';
import type { Role } from '../../src-shared/access/roles.ts';
import {
  ACT_CODE_SYSTEM,
  ACT_REASON_SYSTEM,
  ALLERGY_CLINICAL_SYSTEM,
  ALLERGY_VERIFICATION_SYSTEM,
  CONDITION_CATEGORY_SYSTEM,
  CONDITION_CLINICAL_SYSTEM,
  CONDITION_VERIFICATION_SYSTEM,
  IDENTIFIER_TYPE_SYSTEM,
  LOINC,
  MRN_TYPE_CODE,
  OBSERVATION_CATEGORY_SYSTEM,
  PARTICIPATION_TYPE_SYSTEM,
  PRACTITIONER_ROLE_SYSTEM,
  PROGRESS_NOTE_LOINC,
  RXNORM,
  SNOMED_CT,
  TEST_DATA_CODE,
  UCUM,
  VITAL_SIGNS,
  VITAL_SIGNS_CATEGORY,
  VITAL_SIGNS_PROFILE,
  WORKSTATION_ROLE_SYSTEM,
} from '../../src-shared/fhir/codes.ts';
import type { VitalSignKey } from '../../src-shared/fhir/codes.ts';
import type { Coding, Meta, Reference } from '../../src-shared/fhir/datatypes.ts';
import { instant } from '../../src-shared/fhir/primitives.ts';
import type {
  AllergyIntolerance,
  CareTeam,
  Condition,
  DocumentReference,
  Encounter,
  FhirResource,
  MedicationRequest,
  Observation,
  Patient,
  Practitioner,
  PractitionerRole,
} from '../../src-shared/fhir/resources.ts';
import { Random, hashSeed } from './random.ts';
import {
  ALLERGIES,
  COMPLAINTS,
  CONDITIONS,
  ENCOUNTER_TYPES,
  EXAM_FINDINGS,
  FAMILY_ENDS,
  FAMILY_STARTS,
  GIVEN_ENDS_FEMININE,
  GIVEN_ENDS_MASCULINE,
  GIVEN_STARTS,
  MEDICINES,
  PLACE_ENDS,
  PLACE_STARTS,
  PLANS,
  REACTIONS,
  STREET_TYPES,
} from './vocabulary.ts';
import type { ConditionCode, MedicineCode } from './vocabulary.ts';

/**
 * A seeded, deterministic synthetic clinic: staff (Practitioner + PractitionerRole), patients and
 * their care teams, encounters, conditions, allergies, medication requests, vital signs and
 * progress notes, as FHIR R4 resources.
 *
 * - Same options, byte-identical output. Everything derives from the seed through a small PRNG
 *   (no Math.random, no clock); times derive from `epoch`.
 * - Each patient's record is generated from its own seed (seed, index), so one patient can be
 *   generated alone (`generatePatientRecord`) and the stream needs no memory of earlier patients.
 * - All names are invented syllable combinations; nothing comes from real people.
 */

export const DEFAULT_EPOCH = '2025-01-01T00:00:00Z';
export const DEFAULT_RESOURCES_PER_PATIENT = 10;
/** `generateClinic` builds arrays; above this, stream with `generateResources`. */
export const GENERATE_CLINIC_MAX_PATIENTS = 20_000;

/** The clinic's MRN namespace (the HL7 example OID) and staff identifier system. */
export const MRN_SYSTEM = 'urn:oid:2.16.840.1.113883.19.5';
export const STAFF_ID_SYSTEM = 'https://clinic.example/fhir/sid/staff';
const ORGANIZATION_TYPE_SYSTEM = 'http://terminology.hl7.org/CodeSystem/organization-type';

export const ClinicOptions = z
  .object({
    seed: z.number().int().min(0).max(0xffffffff),
    patients: z.number().int().min(0).max(10_000_000),
    /** Mean number of resources per patient besides the Patient itself. */
    resourcesPerPatient: z.number().min(0).max(1000).default(DEFAULT_RESOURCES_PER_PATIENT),
    /**
     * Only every `chartEvery`-th patient (index 0, n, 2n, ...) has a full chart; the others have
     * their Patient and one Encounter (their last visit) only. A central of a million patients
     * fits in memory that way (issue 15's scoped pull: the scope's patients have full charts, the
     * rest of the health system is there to be searched past). A charted patient's record is the
     * same whatever `chartEvery` is. Default 1: everyone.
     */
    chartEvery: z.number().int().min(1).max(10_000_000).default(1),
    physicians: z.number().int().min(1).max(100_000).optional(),
    nurses: z.number().int().min(1).max(100_000).optional(),
    frontDesk: z.number().int().min(0).max(100_000).optional(),
    privacyOfficers: z.number().int().min(0).max(1000).optional(),
    itAdmins: z.number().int().min(0).max(1000).optional(),
    /** Clinic sites (an Organization and its Location each): patients and encounters are spread over them. */
    sites: z.number().int().min(1).max(10_000).optional(),
    /** The fixed "now" of the data set: every time lies before it. */
    epoch: instant.default(DEFAULT_EPOCH),
  })
  .strict();
export type ClinicOptions = z.input<typeof ClinicOptions>;

export interface ResolvedClinicOptions {
  seed: number;
  patients: number;
  resourcesPerPatient: number;
  chartEvery: number;
  physicians: number;
  nurses: number;
  frontDesk: number;
  privacyOfficers: number;
  itAdmins: number;
  sites: number;
  epoch: string;
}

/** Validates options and fills in defaults (staff counts scale with the number of patients). */
export function resolveClinicOptions(options: ClinicOptions): ResolvedClinicOptions {
  const parsed = ClinicOptions.safeParse(options);
  if (!parsed.success) throw new RangeError(`Invalid clinic options: ${z.prettifyError(parsed.error)}`);
  const o = parsed.data;
  return {
    seed: o.seed,
    patients: o.patients,
    resourcesPerPatient: o.resourcesPerPatient,
    chartEvery: o.chartEvery,
    physicians: o.physicians ?? Math.max(2, Math.ceil(o.patients / 500)),
    nurses: o.nurses ?? Math.max(2, Math.ceil(o.patients / 400)),
    frontDesk: o.frontDesk ?? Math.max(1, Math.ceil(o.patients / 5000)),
    privacyOfficers: o.privacyOfficers ?? 1,
    itAdmins: o.itAdmins ?? 1,
    // At least three, so a site's patients are a real part of the clinic; about 5,000 each in a
    // large one (issue 15's budget: a scope of 5,000 patients).
    sites: o.sites ?? Math.max(3, Math.ceil(o.patients / 5000)),
    epoch: o.epoch,
  };
}

/** A workstation user for the identity provider to seed. */
export interface StaffMember {
  username: string;
  role: Role;
  practitionerId: string;
  practitionerRoleId: string;
  displayName: string;
}

/** One patient's whole record, with the facts a test needs to look for it. */
export interface PatientRecord {
  index: number;
  patient: Patient;
  /** CareTeam, Encounters, Conditions, AllergyIntolerances, MedicationRequests, Observations, DocumentReferences. */
  resources: FhirResource[];
  id: string;
  mrn: string;
  given: string[];
  family: string;
  /** "Family, Given Middle", as patientSearchFields() shows it. */
  displayName: string;
  birthDate: string;
  generalPractitionerId: string;
  /** Practitioner ids on the patient's CareTeam (empty when the budget left no room for one). */
  careTeamPractitionerIds: string[];
  /** Practitioner ids that took part in an encounter with the patient. */
  encounterPractitionerIds: string[];
  /** The Organization that manages the patient's record (Patient.managingOrganization): their home site. */
  organizationId: string;
  /** Location ids of the patient's encounters, in the order of their encounters. */
  encounterLocationIds: string[];
  /** Decoded text of each progress note, in the order of `resources`. */
  noteTexts: string[];
}

/**
 * A clinic site: the Organization that manages its patients' records and the Location (its
 * building) where their encounters take place. Not FHIR resources the workstation stores (it
 * has no Organization or Location type), so kept apart from `resources`; dev central serves them.
 */
export interface ClinicSite {
  organization: SiteOrganization;
  location: SiteLocation;
}

export interface SiteOrganization {
  resourceType: 'Organization';
  id: string;
  meta: Meta;
  active: boolean;
  type: { coding: Coding[] }[];
  name: string;
}

export interface SiteLocation {
  resourceType: 'Location';
  id: string;
  meta: Meta;
  status: 'active';
  name: string;
  mode: 'instance';
  managingOrganization: Reference;
}

export interface SyntheticClinic {
  options: ResolvedClinicOptions;
  staff: StaffMember[];
  sites: ClinicSite[];
  resources: FhirResource[];
  patients: PatientRecord[];
}

// -----------------------------------------------------------------------------------------------
// Public entry points
// -----------------------------------------------------------------------------------------------

/**
 * Streams the clinic: all staff Practitioners and PractitionerRoles first, then each patient
 * followed by its own resources (so every reference points backwards). Memory stays flat.
 */
export function* generateResources(options: ClinicOptions): Generator<FhirResource, void, undefined> {
  const ctx = createContext(options);
  for (const entry of ctx.staff) {
    yield entry.practitioner;
    yield entry.role;
  }
  for (let index = 0; index < ctx.options.patients; index++) {
    const record = buildPatientRecord(ctx, index);
    yield record.patient;
    for (const resource of record.resources) yield resource;
  }
}

/** The whole clinic in arrays, for tests and small demos (at most GENERATE_CLINIC_MAX_PATIENTS). */
export function generateClinic(options: ClinicOptions): SyntheticClinic {
  const ctx = createContext(options);
  if (ctx.options.patients > GENERATE_CLINIC_MAX_PATIENTS) {
    throw new RangeError(
      `generateClinic keeps everything in memory; use generateResources() above ${GENERATE_CLINIC_MAX_PATIENTS} patients`,
    );
  }
  const resources: FhirResource[] = [];
  for (const entry of ctx.staff) resources.push(entry.practitioner, entry.role);
  const patients: PatientRecord[] = [];
  for (let index = 0; index < ctx.options.patients; index++) {
    const record = buildPatientRecord(ctx, index);
    patients.push(record);
    resources.push(record.patient, ...record.resources);
  }
  return { options: ctx.options, staff: ctx.staff.map((s) => s.member), sites: ctx.sites, resources, patients };
}

/** The clinic's sites (Organization + Location each), which every patient and encounter names. */
export function clinicSites(options: ClinicOptions): ClinicSite[] {
  return createContext(options).sites;
}

/** The staff list (usernames, roles, practitioner ids) without generating patients. */
export function clinicStaff(options: ClinicOptions): StaffMember[] {
  return createContext(options).staff.map((s) => s.member);
}

/** Patient number `index` (0-based) alone, exactly as the stream produces it. */
export function generatePatientRecord(options: ClinicOptions, index: number): PatientRecord {
  const ctx = createContext(options);
  if (!Number.isInteger(index) || index < 0 || index >= ctx.options.patients) {
    throw new RangeError(`Patient index must be an integer in [0, ${ctx.options.patients})`);
  }
  return buildPatientRecord(ctx, index);
}

/** The id of patient number `index`. */
export function syntheticPatientId(index: number): string {
  return `pat-${pad(index)}`;
}

// -----------------------------------------------------------------------------------------------
// Context, time and small helpers
// -----------------------------------------------------------------------------------------------

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const YEAR = 365 * DAY;

const SALT_STAFF = 0x53544146;
const SALT_PATIENT = 0x50415449;
const SALT_MRN = 0x4d524e30;
/** Sites draw from streams of their own, so adding them changed no other value of the clinic. */
const SALT_SITE = 0x53495445;
const SALT_PATIENT_SITE = 0x50534954;

interface StaffEntry {
  member: StaffMember;
  practitioner: Practitioner;
  role: PractitionerRole;
  reference: Reference;
}

interface Context {
  options: ResolvedClinicOptions;
  epochMs: number;
  staff: StaffEntry[];
  physicians: StaffEntry[];
  nurses: StaffEntry[];
  sites: ClinicSite[];
  mrnOffset: number;
  meta: (lastUpdatedMs: number, profile?: string[]) => Meta;
}

const TEST_DATA_TAG: Coding = Object.freeze({
  system: ACT_REASON_SYSTEM,
  code: TEST_DATA_CODE,
  display: 'test health data',
});

function createContext(options: ClinicOptions): Context {
  const resolved = resolveClinicOptions(options);
  const epochMs = Date.parse(resolved.epoch);
  const meta = (lastUpdatedMs: number, profile?: string[]): Meta =>
    profile
      ? { versionId: '1', lastUpdated: isoInstant(lastUpdatedMs), profile, tag: [TEST_DATA_TAG] }
      : { versionId: '1', lastUpdated: isoInstant(lastUpdatedMs), tag: [TEST_DATA_TAG] };
  const staff = buildStaff(resolved, epochMs, meta);
  return {
    options: resolved,
    epochMs,
    staff,
    physicians: staff.filter((s) => s.member.role === 'physician'),
    nurses: staff.filter((s) => s.member.role === 'nurse'),
    sites: buildSites(resolved, epochMs, meta),
    mrnOffset: hashSeed(resolved.seed, SALT_MRN) % 100_000_000,
    meta,
  };
}

function pad(n: number, width = 6): string {
  return String(n).padStart(width, '0');
}

// Formatting dates was the generator's hottest spot (Date#toISOString per timestamp): days are
// formatted once and cached (a clinic spans a few ten thousand days), times of day by arithmetic.
const dayStrings = new Map<number, string>();
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

function isoDate(ms: number): string {
  const day = Math.floor(ms / DAY);
  let text = dayStrings.get(day);
  if (text === undefined) {
    text = new Date(day * DAY).toISOString().slice(0, 10);
    dayStrings.set(day, text);
  }
  return text;
}

/** ISO 8601 instant to the second, e.g. 2024-05-03T09:15:00Z. */
function isoInstant(ms: number): string {
  const seconds = Math.floor((ms - Math.floor(ms / DAY) * DAY) / 1000);
  return `${isoDate(ms)}T${TWO_DIGITS[Math.floor(seconds / 3600)]}:${TWO_DIGITS[Math.floor(seconds / 60) % 60]}:${TWO_DIGITS[seconds % 60]}Z`;
}

function clamp(value: number, min: number, max: number): number {
  return value < min ? min : value > max ? max : value;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

function givenName(rng: Random, gender: Patient['gender']): string {
  const feminine = gender === 'female' || (gender !== 'male' && rng.chance(0.5));
  return rng.pick(GIVEN_STARTS) + rng.pick(feminine ? GIVEN_ENDS_FEMININE : GIVEN_ENDS_MASCULINE);
}

function familyName(rng: Random): string {
  return rng.pick(FAMILY_STARTS) + rng.pick(FAMILY_ENDS);
}

function concept(system: string, code: string, display: string, text?: string) {
  return text === undefined ? { coding: [{ system, code, display }] } : { coding: [{ system, code, display }], text };
}

function ref(type: string, id: string, display?: string): Reference {
  return display === undefined ? { reference: `${type}/${id}` } : { reference: `${type}/${id}`, display };
}

// -----------------------------------------------------------------------------------------------
// Staff
// -----------------------------------------------------------------------------------------------

const ROLE_DEFINITIONS: readonly {
  role: Role;
  count: (o: ResolvedClinicOptions) => number;
  username: string;
  display: string;
  hl7?: { code: string; display: string };
  prefix?: string;
}[] = [
  {
    role: 'physician',
    count: (o) => o.physicians,
    username: 'physician',
    display: 'Physician',
    hl7: { code: 'doctor', display: 'Doctor' },
    prefix: 'Dr.',
  },
  {
    role: 'nurse',
    count: (o) => o.nurses,
    username: 'nurse',
    display: 'Nurse',
    hl7: { code: 'nurse', display: 'Nurse' },
  },
  { role: 'frontDesk', count: (o) => o.frontDesk, username: 'frontdesk', display: 'Front desk' },
  { role: 'privacyOfficer', count: (o) => o.privacyOfficers, username: 'privacy', display: 'Privacy officer' },
  {
    role: 'itAdmin',
    count: (o) => o.itAdmins,
    username: 'itadmin',
    display: 'IT administrator',
    hl7: { code: 'ict', display: 'ICT professional' },
  },
];

function buildStaff(options: ResolvedClinicOptions, epochMs: number, meta: Context['meta']): StaffEntry[] {
  const staff: StaffEntry[] = [];
  let serial = 0;
  for (const definition of ROLE_DEFINITIONS) {
    const count = definition.count(options);
    for (let n = 1; n <= count; n++, serial++) {
      const rng = new Random(hashSeed(options.seed, SALT_STAFF, serial));
      const gender = rng.chance(0.5) ? 'female' : 'male';
      const given = givenName(rng, gender);
      const family = familyName(rng);
      const username = `${definition.username}${n}`;
      const practitionerId = `prac-${pad(serial, 4)}`;
      const practitionerRoleId = `prole-${pad(serial, 4)}`;
      const displayName = `${definition.prefix ? definition.prefix + ' ' : ''}${given} ${family}`;
      const lastUpdated = epochMs - rng.int(30, 720) * DAY;

      const practitioner: Practitioner = {
        resourceType: 'Practitioner',
        id: practitionerId,
        meta: meta(lastUpdated),
        identifier: [{ use: 'official', system: STAFF_ID_SYSTEM, value: `S${pad(serial + 1, 5)}` }],
        active: true,
        name: [
          definition.prefix
            ? { use: 'official', family, given: [given], prefix: [definition.prefix] }
            : { use: 'official', family, given: [given] },
        ],
        telecom: [{ system: 'email', value: `${username}@clinic.example`, use: 'work' }],
        gender,
      };
      if (definition.role === 'physician' || definition.role === 'nurse') {
        practitioner.qualification = [
          {
            code: concept(
              'http://terminology.hl7.org/CodeSystem/v2-0360',
              definition.role === 'physician' ? 'MD' : 'RN',
              definition.role === 'physician' ? 'Doctor of Medicine' : 'Registered Nurse',
            ),
          },
        ];
      }
      const coding: Coding[] = [
        { system: WORKSTATION_ROLE_SYSTEM, code: definition.role, display: definition.display },
      ];
      if (definition.hl7)
        coding.push({ system: PRACTITIONER_ROLE_SYSTEM, code: definition.hl7.code, display: definition.hl7.display });
      const role: PractitionerRole = {
        resourceType: 'PractitionerRole',
        id: practitionerRoleId,
        meta: meta(lastUpdated),
        active: true,
        period: { start: isoDate(lastUpdated - rng.int(0, 3650) * DAY) },
        practitioner: ref('Practitioner', practitionerId, displayName),
        code: [{ coding, text: definition.display }],
      };
      if (definition.role === 'physician') {
        role.specialty = [concept(SNOMED_CT, '419772000', 'Family practice')];
      }
      staff.push({
        member: { username, role: definition.role, practitionerId, practitionerRoleId, displayName },
        practitioner,
        role,
        reference: ref('Practitioner', practitionerId, displayName),
      });
    }
  }
  return staff;
}

// -----------------------------------------------------------------------------------------------
// Sites
// -----------------------------------------------------------------------------------------------

function buildSites(options: ResolvedClinicOptions, epochMs: number, meta: Context['meta']): ClinicSite[] {
  const sites: ClinicSite[] = [];
  for (let n = 0; n < options.sites; n++) {
    const rng = new Random(hashSeed(options.seed, SALT_SITE, n));
    const place = rng.pick(PLACE_STARTS) + rng.pick(PLACE_ENDS);
    const lastUpdated = epochMs - rng.int(30, 720) * DAY;
    const organizationId = `org-${pad(n, 4)}`;
    const organization: SiteOrganization = {
      resourceType: 'Organization',
      id: organizationId,
      meta: meta(lastUpdated),
      active: true,
      type: [{ coding: [{ system: ORGANIZATION_TYPE_SYSTEM, code: 'prov', display: 'Healthcare Provider' }] }],
      name: `${place} Clinic`,
    };
    const location: SiteLocation = {
      resourceType: 'Location',
      id: `loc-${pad(n, 4)}`,
      meta: meta(lastUpdated),
      status: 'active',
      name: `${place} Clinic building`,
      mode: 'instance',
      managingOrganization: ref('Organization', organizationId),
    };
    sites.push({ organization, location });
  }
  return sites;
}

// -----------------------------------------------------------------------------------------------
// Patients
// -----------------------------------------------------------------------------------------------

/** Relative weights of the resources a patient's budget is spent on (after CareTeam + Encounter). */
const KINDS = [
  'Observation',
  'Encounter',
  'Condition',
  'MedicationRequest',
  'DocumentReference',
  'AllergyIntolerance',
] as const;
const KIND_WEIGHTS = [45, 10, 12, 12, 13, 8] as const;

/** The kinds of vital sign, in the order they are taken. */
const VITAL_ORDER: readonly VitalSignKey[] = [
  'bloodPressure',
  'heartRate',
  'bodyTemperature',
  'respiratoryRate',
  'oxygenSaturation',
  'bodyWeight',
];

const SYMPTOMATIC_MEDICINES = MEDICINES.filter((m) => !m.chronic);

interface EncounterFacts {
  id: string;
  startMs: number;
  endMs: number;
  type: (typeof ENCOUNTER_TYPES)[number];
  physician: StaffEntry;
  nurse: StaffEntry;
  locationId: string;
}

interface ConditionFacts {
  id: string;
  code: ConditionCode;
  active: boolean;
  onsetMs: number;
}

function buildPatientRecord(ctx: Context, index: number): PatientRecord {
  const { epochMs } = ctx;
  const rng = new Random(hashSeed(ctx.options.seed, SALT_PATIENT, index));
  // The patient's home site, and where each encounter took place: mostly there, sometimes at
  // another site (so an Organization's patients and a Location's are not the same set).
  const siteRng = new Random(hashSeed(ctx.options.seed, SALT_PATIENT_SITE, index));
  const home = siteRng.pick(ctx.sites);
  const id = syntheticPatientId(index);
  const key = pad(index);
  const subject = ref('Patient', id);

  // Demographics.
  const genderDraw = rng.float();
  const gender: NonNullable<Patient['gender']> =
    genderDraw < 0.49 ? 'female' : genderDraw < 0.98 ? 'male' : genderDraw < 0.99 ? 'other' : 'unknown';
  const given = [givenName(rng, gender)];
  if (rng.chance(0.3)) given.push(givenName(rng, gender));
  const family = familyName(rng);
  const ageYears = rng.chance(0.15) ? rng.int(0, 17) : rng.int(18, 95);
  const birthMs = epochMs - Math.max(30, ageYears * 365 + rng.int(0, 364)) * DAY;
  const birthDate = isoDate(birthMs);
  const mrn = pad((index * 7_919_993 + ctx.mrnOffset) % 100_000_000, 8);
  const gp = rng.pick(ctx.physicians);
  const primaryNurse = rng.pick(ctx.nurses);
  const city = rng.pick(PLACE_STARTS) + rng.pick(PLACE_ENDS);
  const street = `${rng.int(1, 999)} ${rng.pick(FAMILY_STARTS)}${rng.pick(PLACE_ENDS)} ${rng.pick(STREET_TYPES)}`;
  const phone = `+1-555-01${pad(rng.int(0, 99), 2)}`;

  const patient: Patient = {
    resourceType: 'Patient',
    id,
    meta: ctx.meta(clamp(epochMs - rng.int(1, 720) * HOUR, birthMs + HOUR, epochMs)),
    identifier: [
      {
        use: 'usual',
        type: {
          coding: [{ system: IDENTIFIER_TYPE_SYSTEM, code: MRN_TYPE_CODE, display: 'Medical record number' }],
          text: 'MRN',
        },
        system: MRN_SYSTEM,
        value: mrn,
      },
    ],
    active: true,
    name: [{ use: 'official', family, given }],
    telecom: [
      { system: 'phone', value: phone, use: rng.chance(0.6) ? 'mobile' : 'home' },
      { system: 'email', value: `${given[0]?.toLowerCase()}.${family.toLowerCase()}@mail.example`, use: 'home' },
    ],
    gender,
    birthDate,
    address: [
      { use: 'home', type: 'both', line: [street], city, postalCode: pad(rng.int(0, 99_999), 5), country: 'ZZ' },
    ],
    generalPractitioner: [gp.reference],
    managingOrganization: ref('Organization', home.organization.id),
  };

  // How many resources of each kind: a budget with mean `resourcesPerPatient`, spent on one
  // CareTeam and one Encounter first, then by weight.
  // Drawn for every patient, so that a charted patient's draws (and record) do not depend on
  // chartEvery; a patient without a chart spends it on one Encounter and nothing else.
  const charted = index % ctx.options.chartEvery === 0;
  let budget = Math.floor(ctx.options.resourcesPerPatient * (0.5 + rng.float()) + rng.float());
  if (!charted) budget = Math.min(budget, 1);
  const careTeams = charted && budget > 0 ? 1 : 0;
  budget -= careTeams;
  const counts = {
    Encounter: budget > 0 ? 1 : 0,
    Observation: 0,
    Condition: 0,
    MedicationRequest: 0,
    DocumentReference: 0,
    AllergyIntolerance: 0,
  };
  budget -= counts.Encounter;
  for (; budget > 0; budget--) counts[KINDS[rng.weighted(KIND_WEIGHTS)] as (typeof KINDS)[number]]++;
  const eligibleConditions = CONDITIONS.filter((c) => c.minAge <= ageYears);
  if (counts.Condition > eligibleConditions.length) {
    counts.Observation += counts.Condition - eligibleConditions.length;
    counts.Condition = eligibleConditions.length;
  }
  if (counts.AllergyIntolerance > ALLERGIES.length) {
    counts.Observation += counts.AllergyIntolerance - ALLERGIES.length;
    counts.AllergyIntolerance = ALLERGIES.length;
  }

  // Encounters, oldest first, in clinic hours, within the last three years.
  const windowStart = Math.max(birthMs + DAY, epochMs - 3 * YEAR);
  const windowEnd = epochMs - DAY;
  const encounterStarts: number[] = [];
  for (let i = 0; i < counts.Encounter; i++) {
    const dayMs = Math.floor((windowStart + rng.float() * (windowEnd - windowStart)) / DAY) * DAY;
    encounterStarts.push(dayMs + 8 * HOUR + rng.int(0, 35) * 15 * MINUTE);
  }
  encounterStarts.sort((a, b) => a - b);
  const encounters: EncounterFacts[] = encounterStarts.map((startMs, i) => ({
    id: `enc-${key}-${i + 1}`,
    startMs,
    endMs: startMs + rng.int(1, 3) * 15 * MINUTE,
    type: rng.pick(ENCOUNTER_TYPES),
    physician: rng.chance(0.8) ? gp : rng.pick(ctx.physicians),
    nurse: rng.chance(0.7) ? primaryNurse : rng.pick(ctx.nurses),
    locationId: (siteRng.chance(0.85) ? home : siteRng.pick(ctx.sites)).location.id,
  }));

  const resources: FhirResource[] = [];
  const careTeamPractitionerIds: string[] = [];

  if (careTeams > 0) {
    const members: { entry: StaffEntry; role: Coding }[] = [
      { entry: gp, role: { system: SNOMED_CT, code: '446050000', display: 'Primary care physician' } },
      { entry: primaryNurse, role: { system: SNOMED_CT, code: '224535009', display: 'Registered nurse' } },
    ];
    if (rng.chance(0.25) && ctx.physicians.length > 1) {
      const other = rng.pick(ctx.physicians);
      if (other !== gp)
        members.push({ entry: other, role: { system: SNOMED_CT, code: '309343006', display: 'Physician' } });
    }
    const startMs = encounters[0]?.startMs ?? windowStart;
    const careTeam: CareTeam = {
      resourceType: 'CareTeam',
      id: `ct-${key}`,
      meta: ctx.meta(Math.min(startMs + HOUR, epochMs)),
      status: 'active',
      category: [concept(LOINC, 'LA27976-2', 'Longitudinal care-coordination focused care team')],
      name: 'Primary care team',
      subject,
      period: { start: isoDate(startMs) },
      participant: members.map(({ entry, role }) => ({ role: [{ coding: [role] }], member: entry.reference })),
    };
    careTeamPractitionerIds.push(...members.map((m) => m.entry.member.practitionerId));
    resources.push(careTeam);
  }

  for (const e of encounters) {
    const encounter: Encounter = {
      resourceType: 'Encounter',
      id: e.id,
      meta: ctx.meta(e.endMs + HOUR),
      status: 'finished',
      class: { system: ACT_CODE_SYSTEM, code: 'AMB', display: 'ambulatory' },
      type: [concept(SNOMED_CT, e.type.code, e.type.display)],
      subject,
      participant: [
        { type: [concept(PARTICIPATION_TYPE_SYSTEM, 'PPRF', 'primary performer')], individual: e.physician.reference },
        { type: [concept(PARTICIPATION_TYPE_SYSTEM, 'PART', 'Participation')], individual: e.nurse.reference },
      ],
      period: { start: isoInstant(e.startMs), end: isoInstant(e.endMs) },
      location: [{ location: ref('Location', e.locationId) }],
    };
    resources.push(encounter);
  }
  const encounterRef = (e: EncounterFacts) => ref('Encounter', e.id);
  const someEncounter = (): EncounterFacts => rng.pick(encounters);

  // Conditions.
  const conditions: ConditionFacts[] = [];
  rng.sample(eligibleConditions, counts.Condition).forEach((code, i) => {
    const e = someEncounter();
    const earliest = birthMs + code.minAge * YEAR + DAY;
    const onsetMs = code.chronic
      ? Math.max(earliest, e.startMs - rng.int(0, 5 * 365) * DAY)
      : Math.max(birthMs + DAY, e.startMs - rng.int(1, 5) * DAY);
    const abatementMs = onsetMs + rng.int(7, 21) * DAY;
    const resolved = !code.chronic && abatementMs < epochMs - DAY;
    const conditionId = `cond-${key}-${i + 1}`;
    const condition: Condition = {
      resourceType: 'Condition',
      id: conditionId,
      meta: ctx.meta(e.endMs + HOUR),
      clinicalStatus: concept(
        CONDITION_CLINICAL_SYSTEM,
        resolved ? 'resolved' : 'active',
        resolved ? 'Resolved' : 'Active',
      ),
      verificationStatus: concept(CONDITION_VERIFICATION_SYSTEM, 'confirmed', 'Confirmed'),
      category: [
        code.chronic
          ? concept(CONDITION_CATEGORY_SYSTEM, 'problem-list-item', 'Problem List Item')
          : concept(CONDITION_CATEGORY_SYSTEM, 'encounter-diagnosis', 'Encounter Diagnosis'),
      ],
      code: concept(SNOMED_CT, code.code, code.display, code.display),
      subject,
      encounter: encounterRef(e),
      onsetDateTime: isoDate(onsetMs),
      recordedDate: isoInstant(e.startMs),
      recorder: e.physician.reference,
    };
    if (resolved) condition.abatementDateTime = isoDate(abatementMs);
    conditions.push({ id: conditionId, code, active: !resolved, onsetMs });
    resources.push(condition);
  });

  // Allergies.
  rng.sample(ALLERGIES, counts.AllergyIntolerance).forEach((allergy, i) => {
    const e = someEncounter();
    const reaction = rng.pick(REACTIONS);
    const severe = reaction.code === '39579001';
    const resource: AllergyIntolerance = {
      resourceType: 'AllergyIntolerance',
      id: `alg-${key}-${i + 1}`,
      meta: ctx.meta(e.endMs + HOUR),
      clinicalStatus: concept(ALLERGY_CLINICAL_SYSTEM, 'active', 'Active'),
      verificationStatus: concept(ALLERGY_VERIFICATION_SYSTEM, 'confirmed', 'Confirmed'),
      type: 'allergy',
      category: [allergy.category],
      criticality: severe ? 'high' : 'low',
      code: concept(SNOMED_CT, allergy.code, allergy.display, allergy.display),
      patient: subject,
      encounter: encounterRef(e),
      onsetDateTime: isoDate(Math.max(birthMs + DAY, e.startMs - rng.int(30, 3650) * DAY)),
      recordedDate: isoInstant(e.startMs),
      recorder: e.physician.reference,
      reaction: [
        {
          manifestation: [concept(SNOMED_CT, reaction.code, reaction.display)],
          severity: severe ? 'severe' : rng.chance(0.5) ? 'mild' : 'moderate',
        },
      ],
    };
    resources.push(resource);
  });

  // Medication requests: medicines for the patient's conditions first, then symptomatic ones.
  const candidates: { medicine: MedicineCode; reason?: ConditionFacts }[] = [];
  for (const c of conditions) {
    for (const code of c.code.medicines) {
      const medicine = MEDICINES.find((m) => m.code === code);
      if (medicine && !candidates.some((x) => x.medicine === medicine)) candidates.push({ medicine, reason: c });
    }
  }
  for (let i = 0; i < counts.MedicationRequest; i++) {
    const chosen = candidates[i] ?? { medicine: rng.pick(SYMPTOMATIC_MEDICINES) };
    const { medicine, reason } = chosen;
    const e = someEncounter();
    const active = medicine.chronic && reason?.active === true;
    const request: MedicationRequest = {
      resourceType: 'MedicationRequest',
      id: `medrx-${key}-${i + 1}`,
      meta: ctx.meta(e.endMs + HOUR),
      status: active ? 'active' : 'completed',
      intent: 'order',
      medicationCodeableConcept: concept(RXNORM, medicine.code, medicine.display, medicine.display),
      subject,
      encounter: encounterRef(e),
      authoredOn: isoInstant(e.startMs),
      requester: e.physician.reference,
      dosageInstruction: [
        {
          sequence: 1,
          text: `${medicine.dose.value} ${medicine.dose.unit}${medicine.dose.value > 1 ? 's' : ''} ${medicine.route === 'oral' ? 'by mouth' : 'inhaled'} ${medicine.timesPerDay === 1 ? 'once' : `${medicine.timesPerDay} times`} a day${medicine.chronic ? '' : ' as needed'}`,
          timing: { repeat: { frequency: medicine.timesPerDay, period: 1, periodUnit: 'd' } },
          asNeededBoolean: !medicine.chronic,
          route:
            medicine.route === 'oral'
              ? concept(SNOMED_CT, '26643006', 'Oral route')
              : concept(SNOMED_CT, '447694001', 'Respiratory tract route'),
          doseAndRate: [
            {
              doseQuantity: {
                value: medicine.dose.value,
                unit: medicine.dose.unit,
                system: 'http://terminology.hl7.org/CodeSystem/v3-orderableDrugForm',
                code: medicine.dose.formCode,
              },
            },
          ],
        },
      ],
    };
    if (reason) request.reasonReference = [ref('Condition', reason.id)];
    resources.push(request);
  }

  // Vital signs: each encounter's observations follow VITAL_ORDER, around a personal baseline.
  const child = ageYears < 12;
  const baseline = {
    heartRate: child ? rng.normal(100, 10) : rng.normal(72, 7),
    systolic: child ? rng.normal(102, 6) : rng.normal(112 + Math.min(ageYears, 80) * 0.25, 9),
    weight: child
      ? (3.5 + ageYears * 3) * (1 + rng.normal(0, 0.08))
      : ageYears < 18
        ? (40 + (ageYears - 12) * 5) * (1 + rng.normal(0, 0.1))
        : clamp(rng.normal(78, 13), 42, 160),
  };
  // Observations go to the encounters in chronological blocks; the kinds of vital sign cycle
  // through VITAL_ORDER from a per-patient starting point, so every kind is equally common.
  const firstVital = rng.int(0, VITAL_ORDER.length - 1);
  let previousEncounter = -1;
  let nth = 0;
  for (let i = 0; i < counts.Observation; i++) {
    const encounterIndex = Math.floor((i * encounters.length) / counts.Observation);
    nth = encounterIndex === previousEncounter ? nth + 1 : 0;
    previousEncounter = encounterIndex;
    const e = encounters[encounterIndex] as EncounterFacts;
    const vitalKey = VITAL_ORDER[(firstVital + i) % VITAL_ORDER.length] as VitalSignKey;
    const vital = VITAL_SIGNS[vitalKey];
    const effectiveMs = e.startMs + (5 + nth) * MINUTE;
    const observation: Observation = {
      resourceType: 'Observation',
      id: `obs-${key}-${i + 1}`,
      meta: ctx.meta(e.endMs + HOUR, [vital.profile, VITAL_SIGNS_PROFILE]),
      status: 'final',
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
      subject,
      encounter: encounterRef(e),
      effectiveDateTime: isoInstant(effectiveMs),
      issued: isoInstant(effectiveMs + MINUTE),
      performer: [e.nurse.reference],
    };
    const quantity = (value: number, unit: string, ucum: string) => ({ value, unit, system: UCUM, code: ucum });
    switch (vitalKey) {
      case 'bloodPressure': {
        const systolic = Math.round(clamp(baseline.systolic + rng.normal(0, 7), 80, 200));
        const diastolic = Math.round(clamp(systolic * 0.62 + rng.normal(0, 5), 40, systolic - 20));
        observation.component = (vital.components ?? []).map((part) => ({
          code: { coding: [{ system: LOINC, code: part.loinc, display: part.display }], text: part.display },
          valueQuantity: quantity(part.key === 'systolic' ? systolic : diastolic, part.unit, part.ucum),
        }));
        break;
      }
      case 'heartRate':
        observation.valueQuantity = quantity(
          Math.round(clamp(baseline.heartRate + rng.normal(0, 6), 40, 180)),
          vital.unit,
          vital.ucum,
        );
        break;
      case 'bodyTemperature': {
        const fever = rng.chance(0.05) ? rng.normal(1.6, 0.4) : 0;
        observation.valueQuantity = quantity(
          round1(clamp(rng.normal(36.8, 0.25) + fever, 35.5, 40.5)),
          vital.unit,
          vital.ucum,
        );
        break;
      }
      case 'respiratoryRate':
        observation.valueQuantity = quantity(
          Math.round(clamp(child ? rng.normal(24, 3) : rng.normal(16, 1.5), 10, 40)),
          vital.unit,
          vital.ucum,
        );
        break;
      case 'oxygenSaturation':
        observation.valueQuantity = quantity(Math.round(clamp(rng.normal(97.5, 1), 90, 100)), vital.unit, vital.ucum);
        break;
      case 'bodyWeight':
        observation.valueQuantity = quantity(
          round1(Math.max(2.5, baseline.weight + rng.normal(0, 0.8))),
          vital.unit,
          vital.ucum,
        );
        break;
    }
    resources.push(observation);
  }

  // Progress notes, one per encounter in turn.
  const noteTexts: string[] = [];
  for (let i = 0; i < counts.DocumentReference; i++) {
    const e = encounters[i % encounters.length] as EncounterFacts;
    const known = conditions.filter((c) => c.onsetMs <= e.startMs && c.active).map((c) => c.code.display);
    const text = [
      'PROGRESS NOTE (synthetic test data, not a real person)',
      `Patient: ${given.join(' ')} ${family}    MRN: ${mrn}    DOB: ${birthDate}`,
      `Date: ${isoDate(e.startMs)}    Author: ${e.physician.member.displayName}`,
      `Visit: ${e.type.display}`,
      '',
      `Subjective: Patient ${rng.pick(COMPLAINTS)}.`,
      `Objective: Alert and oriented. ${rng.pick(EXAM_FINDINGS)}.`,
      `Assessment: ${known.length > 0 ? known.join('; ') : 'No active problems recorded'}.`,
      `Plan: ${rng.pick(PLANS)}. Review in ${rng.int(2, 12)} weeks.`,
      '',
    ].join('\n');
    noteTexts.push(text);
    const signed = isoInstant(e.endMs);
    const note: DocumentReference = {
      resourceType: 'DocumentReference',
      id: `doc-${key}-${i + 1}`,
      meta: ctx.meta(e.endMs + HOUR),
      status: 'current',
      docStatus: 'final',
      type: concept(LOINC, PROGRESS_NOTE_LOINC, 'Progress note', 'Progress note'),
      category: [
        concept(
          'http://hl7.org/fhir/us/core/CodeSystem/us-core-documentreference-category',
          'clinical-note',
          'Clinical Note',
        ),
      ],
      subject,
      date: signed,
      author: [e.physician.reference],
      content: [
        {
          attachment: {
            contentType: 'text/plain',
            language: 'en',
            data: Buffer.from(text, 'utf8').toString('base64'),
            title: 'Progress note',
            creation: signed,
          },
        },
      ],
      context: { encounter: [encounterRef(e)], period: { start: isoInstant(e.startMs), end: signed } },
    };
    resources.push(note);
  }

  const encounterPractitionerIds = [
    ...new Set(encounters.flatMap((e) => [e.physician.member.practitionerId, e.nurse.member.practitionerId])),
  ];
  return {
    index,
    patient,
    resources,
    id,
    mrn,
    given,
    family,
    displayName: `${family}, ${given.join(' ')}`,
    birthDate,
    generalPractitionerId: gp.member.practitionerId,
    careTeamPractitionerIds,
    encounterPractitionerIds,
    organizationId: home.organization.id,
    encounterLocationIds: encounters.map((e) => e.locationId),
    noteTexts,
  };
}
