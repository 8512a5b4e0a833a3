/**
 * HL7's R4 examples stored in a real encrypted vault the way a pull stores them (preparePage in
 * the page worker, then storePrepared), read back, after a reopen too: each is what came in,
 * element for element. Patient search and the chart read them, null placeholders included.
 */
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readChart,
  readPatientSummary,
  readResource,
  searchPatients,
  storePrepared,
} from '../../src-main/records/index.ts';
import { preparePage } from '../../src-main/sync/pages.ts';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';
import type { PreparedResource } from '../../src-shared/fhir/prepare.ts';
import { StoredResourceType } from '../../src-shared/fhir/resources.ts';
import { hl7Example, hl7Examples } from '../support/hl7-examples.ts';
import { openTempVault, type TempVault } from '../support/vault-fixture.ts';

type Json = Record<string, unknown>;

const MASKED = {
  extension: [{ url: 'http://hl7.org/fhir/StructureDefinition/data-absent-reason', valueCode: 'masked' }],
};

/** HL7's Patient example with a given name that has only an extension, as R4 JSON writes it. */
function withMaskedGivenName(): Json {
  const patient = structuredClone(hl7Example('Patient-example.json'));
  patient['id'] = 'masked-given';
  const official = (patient['name'] as Json[])[0] as Json;
  official['given'] = ['Peter', null, 'James'];
  official['_given'] = [null, MASKED, null];
  return patient;
}

/** Every example with an id that the pull accepts, with what it came as. */
function acceptedByThePull(resources: readonly Json[]): { input: Json; prepared: PreparedResource }[] {
  return StoredResourceType.options.flatMap((type) => {
    const ofType = resources.filter((r) => r['resourceType'] === type && typeof r['id'] === 'string');
    const { prepared } = preparePage(
      { bundle: { resourceType: 'Bundle', entry: ofType.map((resource) => ({ resource })) }, centralNow: null },
      type,
      DEFAULT_PAGE_LIMITS,
    );
    return prepared.flatMap((outcome, index) =>
      outcome.ok ? [{ input: ofType[index] as Json, prepared: outcome.resource }] : [],
    );
  });
}

/**
 * The same type and id comes in several examples (Patient/example in its own file and in
 * Bundles), sometimes with different content: stored in rounds, each round one of each, as a
 * server's successive versions would be.
 */
function inRounds<T extends { prepared: PreparedResource }>(items: readonly T[]): T[][] {
  const rounds: T[][] = [];
  const seen = new Map<string, number>();
  for (const item of items) {
    const key = `${item.prepared.type}/${item.prepared.id}`;
    const round = seen.get(key) ?? 0;
    seen.set(key, round + 1);
    (rounds[round] ??= []).push(item);
  }
  return rounds;
}

let temp: TempVault;
const accepted = acceptedByThePull([...hl7Examples().map((example) => example.resource), withMaskedGivenName()]);
const rounds = inRounds(accepted);

beforeAll(async () => {
  temp = await openTempVault({ prefix: 'clinic-r4-examples-', subdir: 'cache' });
});
afterAll(() => temp.close());

function changedOnReadBack(items: readonly { input: Json; prepared: PreparedResource }[]): string[] {
  return items
    .filter(({ input, prepared }) => !isDeepStrictEqual(readResource(temp.vault.db, prepared.type, prepared.id), input))
    .map(({ prepared }) => `${prepared.type}/${prepared.id}`);
}

describe("HL7's R4 examples in the vault", () => {
  it('stores every example the pull accepts and reads each back as it came', () => {
    expect(accepted.length).toBe(778); // 777 of HL7's with an id (one is not R4), and the placeholder patient
    for (const round of rounds) {
      expect(
        storePrepared(
          temp.vault.db,
          round.map((item) => item.prepared),
        ),
      ).toBe(round.length);
      expect(changedOnReadBack(round)).toEqual([]);
    }
  });

  it('reads the last version of each back as it came after the vault is reopened', async () => {
    await temp.reopen();
    const last = new Map(accepted.map((item) => [`${item.prepared.type}/${item.prepared.id}`, item]));
    expect(changedOnReadBack([...last.values()])).toEqual([]);
  });

  it('finds and names a patient whose given names hold a placeholder', () => {
    const summary = readPatientSummary(temp.vault.db, 'masked-given');
    expect(summary?.name).toBe('Chalmers, Peter James');
    expect(searchPatients(temp.vault.db, 'peter chalm', 50).map((p) => p.id)).toContain('masked-given');
  });

  it("builds the chart of every example patient from HL7's resources", () => {
    const patients = [...new Set(accepted.filter((i) => i.prepared.type === 'Patient').map((i) => i.prepared.id))];
    expect(patients.length).toBeGreaterThan(20);
    for (const id of patients) expect(() => readChart(temp.vault.db, id), id).not.toThrow();
    const chart = readChart(temp.vault.db, 'example');
    expect(chart.allergies.length + chart.medications.length + chart.vitals.length).toBeGreaterThan(0);
  });
});
