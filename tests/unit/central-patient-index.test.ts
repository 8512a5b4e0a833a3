/**
 * Dev central's searches by `patient` and `_id` (dev/central/patient-index.ts): answered from its
 * index instead of a scan, they give exactly what Medplum's own search (its scan of every
 * resource of the type, FHIRPath over each) gives, in the same order and with the same total,
 * after any history of creates, updates that move a resource to another patient (or to none, or
 * to a Group), deletes, re-creates and expunges; with and without `_sort=_lastUpdated`, values bare
 * (`p1`) or as references (`Patient/p1`), repeated or unknown. Medplum is the oracle: the index
 * is only allowed to be fast.
 */
import { parseSearchRequest } from '@medplum/core';
import type { SearchRequest } from '@medplum/core';
import { MemoryRepository } from '@medplum/fhir-router';
import type { Resource } from '@medplum/fhirtypes';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexFhirDefinitions } from '../../dev/central/definitions.ts';
import { CentralRepository } from '../../dev/central/repository.ts';

beforeAll(() => indexFhirDefinitions());

const PATIENTS = ['p1', 'p2', 'p3', 'p4', 'p5'];
const IDS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'];
const TYPES = ['Observation', 'AllergyIntolerance', 'Encounter', 'Patient'] as const;
type Type = (typeof TYPES)[number];

/** Who a resource is about: a patient, a Group (Observation/Encounter subjects may be one), or nobody. */
const aboutArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...PATIENTS).map((p) => `Patient/${p}`) },
  { weight: 1, arbitrary: fc.constant('Group/g1') },
  { weight: 1, arbitrary: fc.constant(null) },
);

function resourceOf(type: Type, id: string, about: string | null): Resource {
  const subject = about === null ? {} : { subject: { reference: about } };
  switch (type) {
    case 'Observation':
      return { resourceType: 'Observation', id, status: 'final', code: { text: 'heart rate' }, ...subject };
    case 'Encounter':
      return {
        resourceType: 'Encounter',
        id,
        status: 'finished',
        class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
        ...subject,
      };
    case 'AllergyIntolerance':
      // `patient` is required here and names a Patient only.
      return {
        resourceType: 'AllergyIntolerance',
        id,
        clinicalStatus: {
          coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }],
        },
        patient: { reference: about?.startsWith('Patient/') ? about : 'Patient/p1' },
      };
    case 'Patient':
      return { resourceType: 'Patient', id, active: true };
  }
}

type Operation =
  | { kind: 'put'; type: Type; id: string; about: string | null }
  | { kind: 'delete' | 'expunge'; type: Type; id: string };

const operationArb: fc.Arbitrary<Operation> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('put' as const),
      type: fc.constantFrom(...TYPES),
      id: fc.constantFrom(...IDS),
      about: aboutArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constantFrom('delete' as const, 'expunge' as const),
      type: fc.constantFrom(...TYPES),
      id: fc.constantFrom(...IDS),
    }),
  },
);

async function apply(repo: CentralRepository, operation: Operation): Promise<void> {
  const exists = repo.exists(operation.type, operation.id);
  if (operation.kind === 'put') {
    // A PUT: an update when the resource exists, else a create with the client's id.
    await repo.updateResource(resourceOf(operation.type, operation.id, operation.about));
  } else if (exists && operation.kind === 'delete') await repo.deleteResource(operation.type, operation.id);
  else if (operation.kind === 'expunge') await repo.expungeResources(operation.type, [operation.id]);
}

const valueArb = fc.oneof(
  fc.constantFrom(...PATIENTS, 'p9'),
  fc.constantFrom(...PATIENTS, 'p9').map((p) => `Patient/${p}`),
);
const searchArb = fc.record({
  type: fc.constantFrom(...TYPES),
  byId: fc.boolean(),
  patientValues: fc.array(valueArb, { minLength: 1, maxLength: 6 }),
  idValues: fc.array(fc.constantFrom(...IDS, 'r9'), { minLength: 1, maxLength: 6 }),
  sorted: fc.boolean(),
});

type Search = typeof searchArb extends fc.Arbitrary<infer S> ? S : never;

function requestOf(search: Search): SearchRequest {
  const filter =
    search.byId || search.type === 'Patient'
      ? `_id=${search.idValues.join(',')}`
      : `patient=${search.patientValues.join(',')}`;
  return parseSearchRequest(`${search.type}?${filter}${search.sorted ? '&_sort=_lastUpdated' : ''}`);
}

/** Medplum's own search: the scan. */
function scanned(repo: CentralRepository, request: SearchRequest) {
  return MemoryRepository.prototype.search.call(repo, request);
}

const idsOf = (bundle: { entry?: { resource?: Resource }[] }) => (bundle.entry ?? []).map((e) => e.resource?.id);

describe('dev central: searches by patient and by _id come from an index', () => {
  it('finds exactly what the scan finds, in its order, after any history of writes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(operationArb, { maxLength: 40 }),
        fc.array(searchArb, { minLength: 1, maxLength: 8 }),
        async (operations, searches) => {
          const repo = new CentralRepository();
          for (const operation of operations) await apply(repo, operation);
          for (const search of searches) {
            const request = requestOf(search);
            const expected = await scanned(repo, request);
            const actual = await repo.search(request);
            expect(idsOf(actual)).toEqual(idsOf(expected));
            expect(actual.total).toBe(expected.total);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the store order through updates: a resource that moves keeps its place, a re-created one comes last', async () => {
    const repo = new CentralRepository();
    await repo.updateResource(resourceOf('Observation', 'a', 'Patient/p1'));
    await repo.updateResource(resourceOf('Observation', 'b', 'Patient/p2'));
    await repo.updateResource(resourceOf('Observation', 'c', null));
    await repo.updateResource(resourceOf('Observation', 'a', 'Patient/p2')); // moves, keeps its place
    await repo.updateResource(resourceOf('Observation', 'c', 'Patient/p1')); // gains a patient
    await repo.deleteResource('Observation', 'b');
    await repo.updateResource(resourceOf('Observation', 'b', 'Patient/p1')); // back, at the end
    const request = parseSearchRequest('Observation?patient=p1,Patient/p2');
    expect(idsOf(await repo.search(request))).toEqual(['a', 'c', 'b']);
    expect(idsOf(await repo.search(request))).toEqual(idsOf(await scanned(repo, request)));
    // By _id in the store's order too, not the order the ids were asked in (what a scan gives).
    const byId = parseSearchRequest('Observation?_id=b,c,a');
    expect(idsOf(await repo.search(byId))).toEqual(idsOf(await scanned(repo, byId)));
  });

  it('answers from a seeded repository the same as after writes over HTTP (seed goes through the index)', async () => {
    const repo = new CentralRepository();
    repo.seed([resourceOf('Encounter', 'e1', 'Patient/p1'), resourceOf('Encounter', 'e2', 'Patient/p2')]);
    const request = parseSearchRequest('Encounter?patient=p2,p1&_sort=_lastUpdated');
    expect(idsOf(await repo.search(request))).toEqual(idsOf(await scanned(repo, request)));
    expect(idsOf(await repo.search(request))).toHaveLength(2);
  });
});
