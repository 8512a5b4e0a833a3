/**
 * Records over a real encrypted vault: validated storage, search by name prefix, MRN and birth
 * date, the chart read, and the bulk import path. Data comes from the synthetic clinic.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateClinic } from '../../dev/synthetic/clinic.ts';
import {
  bulkStoreResources,
  countResources,
  readPatientRecord,
  searchPatients,
  storeResources,
} from '../../src-main/records/repository.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { testPatient } from '../support/fhir.ts';
import { openTempVault } from '../support/vault-fixture.ts';

const clinic = generateClinic({ seed: 7, patients: 300 });
let vault: Vault;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ vault, close } = await openTempVault({ prefix: 'clinic-records-', subdir: 'cache' }));
  const batches = [];
  for (let i = 0; i < clinic.resources.length; i += 500) batches.push(clinic.resources.slice(i, i + 500));
  const result = bulkStoreResources(vault.db, batches);
  expect(result).toEqual({ stored: clinic.resources.length, rejected: [] });
});
afterAll(() => close());

describe('bulk import', () => {
  it('stores every resource and returns the cache to WAL mode', () => {
    expect(countResources(vault.db)).toBe(clinic.resources.length);
    expect(vault.db.pragma('journal_mode', { simple: true })).toBe('wal');
  });

  it('returns to WAL mode when the source fails midway; the uncommitted group is rolled back whole', () => {
    const before = countResources(vault.db);
    const batches = (function* () {
      yield [testPatient('bulk-ok', 'Ondrel', 'Vastique', 'B-1')];
      throw new Error('source failed');
    })();
    expect(() => bulkStoreResources(vault.db, batches)).toThrow('source failed');
    expect(vault.db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(countResources(vault.db)).toBe(before);
    expect(searchPatients(vault.db, 'Vastique', 5)).toEqual([]);
  });

  it('reports rejected resources with their position across batches, without their content', () => {
    const bad = { resourceType: 'Patient', id: 'bad-1', name: [{ family: 'Secretname' }], birthDate: '1970-02-31' };
    const result = bulkStoreResources(vault.db, [
      [testPatient('ok-1', 'A', 'B', 'M-1')],
      [bad, { resourceType: 'Spaceship', id: 'x' }, { resourceType: 'Patient' }],
    ]);
    expect(result.stored).toBe(1);
    expect(result.rejected.map((r) => [r.index, r.resourceType, r.id])).toEqual([
      [1, 'Patient', 'bad-1'],
      [2, 'Spaceship', 'x'],
      [3, 'Patient', null],
    ]);
    expect(JSON.stringify(result.rejected)).not.toContain('Secretname');
    expect(searchPatients(vault.db, 'Secretname', 5)).toEqual([]);
  });
});

describe('patient search', () => {
  const target = clinic.patients[123]!;

  it('finds a patient by family or given name prefix, case-insensitively', () => {
    expect(searchPatients(vault.db, target.family.slice(0, 4).toLowerCase(), 200).map((p) => p.id)).toContain(
      target.id,
    );
    expect(
      searchPatients(vault.db, `${target.given[0]!.slice(0, 3)} ${target.family.slice(0, 3)}`, 200).map((p) => p.id),
    ).toContain(target.id);
    const everyHit = searchPatients(vault.db, target.family, 200);
    for (const hit of everyHit) expect(hit.name.toLowerCase()).toContain(target.family.toLowerCase());
  });

  it('finds a patient by exact MRN and by MRN prefix', () => {
    expect(searchPatients(vault.db, target.mrn, 5)).toEqual([
      {
        id: target.id,
        name: target.displayName,
        mrn: target.mrn,
        birthDate: target.birthDate,
        gender: target.patient.gender ?? null,
      },
    ]);
    expect(searchPatients(vault.db, target.mrn.slice(0, -1), 50).map((p) => p.id)).toContain(target.id);
  });

  it('finds patients by birth date (day, month or year)', () => {
    const sameDay = clinic.patients
      .filter((p) => p.birthDate === target.birthDate)
      .map((p) => p.id)
      .sort();
    expect(
      searchPatients(vault.db, target.birthDate, 200)
        .map((p) => p.id)
        .sort(),
    ).toEqual(sameDay);
    const sameYear = searchPatients(vault.db, target.birthDate.slice(0, 4), 200);
    expect(sameYear.every((p) => p.birthDate?.startsWith(target.birthDate.slice(0, 4)))).toBe(true);
  });

  it('treats FTS syntax as plain text and respects the limit', () => {
    for (const query of ['"', 'NEAR(', '*', 'a OR b', "'; DROP TABLE patients; --", 'name_search:x']) {
      expect(() => searchPatients(vault.db, query, 10)).not.toThrow();
    }
    expect(searchPatients(vault.db, 'a', 7).length).toBeLessThanOrEqual(7);
    expect(countResources(vault.db)).toBeGreaterThan(0);
  });

  it('an updated patient is found under the new name only', () => {
    storeResources(vault.db, [testPatient('rename-1', 'Ulvenor', 'Brasque', 'R-1')]);
    storeResources(vault.db, [testPatient('rename-1', 'Ulvenor', 'Cardwyn', 'R-1')]);
    expect(searchPatients(vault.db, 'Brasque', 5)).toEqual([]);
    expect(searchPatients(vault.db, 'Cardwyn', 5).map((p) => p.id)).toEqual(['rename-1']);
  });
});

describe('chart', () => {
  it('reads every resource of one patient, grouped by type, and nothing of others', () => {
    const target = clinic.patients[42]!;
    const record = readPatientRecord(vault.db, target.id);
    const expected = new Map<string, number>();
    for (const r of [target.patient, ...target.resources])
      expected.set(r.resourceType, (expected.get(r.resourceType) ?? 0) + 1);
    expect(new Map([...record].map(([type, list]) => [type, list.length]))).toEqual(expected);
    const notes = (record.get('DocumentReference') ?? []) as { content: { attachment: { data?: string } }[] }[];
    expect(notes.map((n) => Buffer.from(n.content[0]!.attachment.data!, 'base64').toString()).sort()).toEqual(
      [...target.noteTexts].sort(),
    );
  });
});
