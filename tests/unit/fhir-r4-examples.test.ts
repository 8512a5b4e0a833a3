/**
 * Every one of HL7's R4 example resources of a stored type, through the pull's own validation
 * (preparePage, what the page worker runs on each search page): all valid R4 is accepted, and
 * what is stored is the resource as it came, element for element. The few examples refused are
 * listed below, each with the R4 rule it breaks, proved from HL7's own definitions.
 */
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseFhirResource, StoredResourceType } from '../../src-shared/fhir/resources.ts';
import { referenceTo } from '../../src-shared/fhir/datatypes.ts';
import type { Prepared } from '../../src-shared/fhir/prepare.ts';
import { preparePage } from '../../src-main/sync/pages.ts';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';
import { hl7Examples, r4ReferenceTargets, type Hl7Example } from '../support/hl7-examples.ts';

const examples = hl7Examples();

/**
 * Examples that are not valid R4, with the element at fault and why. The pull must refuse them:
 * storing them would keep what the chart and access control cannot trust.
 */
const R4_INVALID: { source: string; issue: string; reason: string; element: string; target: string }[] = [
  {
    source: 'Observation-clinical-gender.json',
    issue: 'performer.0.reference',
    reason:
      'its performer is Encounter/example, and R4 allows Observation.performer to reference only people, teams and organizations',
    element: 'Observation.performer',
    target: 'Encounter',
  },
];

/** A search page of one type as a server sends it: a searchset Bundle of those resources. */
function searchPage(type: StoredResourceType, of: readonly Hl7Example[]) {
  return { resourceType: 'Bundle', type: 'searchset', entry: of.map((example) => ({ resource: example.resource })) };
}

/** Every example through preparePage, one searchset page per stored type, paired with its outcome. */
function throughThePull(of: readonly Hl7Example[]): { example: Hl7Example; outcome: Prepared }[] {
  return StoredResourceType.options.flatMap((type) => {
    const ofType = of.filter((example) => example.resourceType === type);
    const { prepared } = preparePage({ bundle: searchPage(type, ofType), centralNow: null }, type, DEFAULT_PAGE_LIMITS);
    expect(prepared).toHaveLength(ofType.length);
    return ofType.map((example, index) => ({ example, outcome: prepared[index] as Prepared }));
  });
}

// Resources without an id (entries of transaction and document Bundles, named by urn:uuid
// fullUrls) are valid R4 but never what a search sends; the cache keys everything by id.
const withId = examples.filter((example) => typeof example.resource['id'] === 'string');
const withoutId = examples.filter((example) => typeof example.resource['id'] !== 'string');

describe("HL7's R4 examples through the pull's validation", () => {
  it('finds the examples of every stored type, in files and in Bundles', () => {
    const counts = Object.fromEntries(
      StoredResourceType.options.map((type) => [type, examples.filter((e) => e.resourceType === type).length]),
    );
    for (const type of StoredResourceType.options) expect(counts[type], type).toBeGreaterThan(0);
    expect(examples.length).toBe(795);
    expect(withId.length).toBe(778);
  });

  it('accepts every valid example and stores it whole: nothing added, nothing lost', () => {
    const refused: string[] = [];
    const changed: string[] = [];
    for (const { example, outcome } of throughThePull(withId)) {
      // Which element broke the rule (the issues say `path: message`).
      if (!outcome.ok) refused.push(`${example.source} ${outcome.rejected.issues.map((i) => i.split(':')[0]).join()}`);
      else if (!isDeepStrictEqual(JSON.parse(outcome.resource.json), example.resource)) changed.push(example.source);
    }
    expect(changed).toEqual([]);
    expect(refused).toEqual(R4_INVALID.map((invalid) => `${invalid.source} ${invalid.issue}`));
  });

  it('refuses only examples that are not valid R4, as HL7 defines R4', () => {
    for (const invalid of R4_INVALID) {
      const allowed = r4ReferenceTargets(invalid.element);
      expect(allowed.length, invalid.element).toBeGreaterThan(0);
      expect(allowed, invalid.reason).not.toContain(invalid.target);
      expect(allowed).not.toContain('Resource');
      const example = examples.find((e) => e.source === invalid.source);
      expect(JSON.stringify(example?.resource)).toContain(`"${invalid.target}/`);
    }
  });

  it('accepts the examples without an id as R4, and the pull refuses them only for the id it keys them by', () => {
    expect(withoutId.length).toBe(17);
    for (const { example, outcome } of throughThePull(withoutId)) {
      expect(parseFhirResource(example.resource).success, example.source).toBe(true);
      expect(outcome.ok ? [] : outcome.rejected.issues, example.source).toEqual(['id: a stored resource needs an id']);
    }
  });

  it('accepts Reference(Any) to any resource type, as R4 declares it', () => {
    expect(r4ReferenceTargets('MedicationRequest.supportingInformation')).toEqual(['Resource']);
    expect(r4ReferenceTargets('DocumentReference.context.related')).toEqual(['Resource']);
    const referencing = withId.filter(
      (e) =>
        JSON.stringify(e.resource['supportingInformation'] ?? null).includes('reference') ||
        JSON.stringify((e.resource['context'] as Record<string, unknown> | undefined)?.['related'] ?? null).includes(
          'reference',
        ),
    );
    expect(referencing.length).toBeGreaterThanOrEqual(6);
    for (const { example, outcome } of throughThePull(referencing)) expect(outcome.ok, example.source).toBe(true);
    // A schema naming "Resource" as its one target is the mistake this was; it is refused when built.
    expect(() => referenceTo('Resource')).toThrow('Reference(Any)');
  });
});
