import { withRollbackJournal, type Database } from '../vault/index.ts';
import type { PatientSummary } from '../../src-shared/ipc/contract.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import { prepareResource, type PreparedResource, type RejectedResource } from '../../src-shared/fhir/prepare.ts';

export type { RejectedResource } from '../../src-shared/fhir/prepare.ts';

/**
 * Records over the vault: FHIR resources stored whole as validated JSON, with the columns needed
 * to find them. Other capabilities use these functions, never the tables.
 */

const SUMMARY_COLUMNS = 'p.id, p.display_name, p.mrn, p.birth_date, p.gender';

/** Every statement of the records capability, prepared once per connection. */
function statements(db: Database) {
  return {
    patientsByBirthDate: db.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM patients p WHERE p.birth_date >= ? AND p.birth_date < ? ORDER BY p.birth_date, p.display_name LIMIT ?`,
    ),
    patientsByMrn: db.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM patients p WHERE p.mrn >= ? AND p.mrn < ? ORDER BY p.mrn LIMIT ?`,
    ),
    patientsByName: db.prepare(
      `SELECT ${SUMMARY_COLUMNS} FROM patients_fts f JOIN patients p ON p.rowid = f.rowid WHERE patients_fts MATCH ? LIMIT ?`,
    ),
    patientById: db.prepare(`SELECT ${SUMMARY_COLUMNS} FROM patients p WHERE p.id = ?`),
    patientRecord: db.prepare(`SELECT type, json FROM resources WHERE patient_id = ? ORDER BY type, last_updated DESC`),
    countResources: db.prepare('SELECT count(*) AS n FROM resources'),
    resourceJson: db.prepare('SELECT json FROM resources WHERE type = ? AND id = ?').pluck(),
    versionId: db.prepare('SELECT version_id FROM resources WHERE type = ? AND id = ?').pluck(),
    patientName: db.prepare('SELECT display_name FROM patients WHERE id = ?').pluck(),
    idsOfPatient: db
      .prepare(`SELECT id FROM resources WHERE type = ? AND (patient_id = ? OR (type = 'Patient' AND id = ?))`)
      .pluck(),
    // Positional parameters: binding by name costs a lookup per value, and this runs per resource.
    upsertResource: db.prepare<[string, string, string | null, string | null, string | null, string]>(
      `INSERT INTO resources (type, id, version_id, last_updated, patient_id, json)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (type, id) DO UPDATE SET version_id = excluded.version_id, last_updated = excluded.last_updated,
         patient_id = excluded.patient_id, json = excluded.json`,
    ),
    upsertPatient: db.prepare(
      `INSERT INTO patients (id, display_name, name_search, mrn, birth_date, gender)
       VALUES (@id, @displayName, @nameSearch, @mrn, @birthDate, @gender)
       ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, name_search = excluded.name_search,
         mrn = excluded.mrn, birth_date = excluded.birth_date, gender = excluded.gender`,
    ),
  };
}

const preparedFor = new WeakMap<Database, ReturnType<typeof statements>>();
function prepared(db: Database): ReturnType<typeof statements> {
  let found = preparedFor.get(db);
  if (!found) preparedFor.set(db, (found = statements(db)));
  return found;
}

export interface StoreResult {
  stored: number;
  rejected: RejectedResource[];
}

/** Stores resources that passed prepareResource, in one transaction. */
export function storePrepared(db: Database, resources: readonly PreparedResource[]): number {
  const { upsertResource, upsertPatient } = prepared(db);
  db.transaction(() => {
    for (const resource of resources) {
      upsertResource.run(
        resource.type,
        resource.id,
        resource.versionId,
        resource.lastUpdated,
        resource.patientId,
        resource.json,
      );
      if (resource.patient) upsertPatient.run({ id: resource.id, ...resource.patient });
    }
  }).immediate();
  return resources.length;
}

/**
 * Validates and stores resources in one transaction. Invalid resources are rejected and reported
 * (type, id and the rule broken) and do not stop the rest; nothing invalid is ever stored.
 */
export function storeResources(db: Database, resources: Iterable<unknown>): StoreResult {
  const valid: PreparedResource[] = [];
  const rejected: RejectedResource[] = [];
  let index = 0;
  for (const candidate of resources) {
    const outcome = prepareResource(candidate);
    if (outcome.ok) valid.push(outcome.resource);
    else rejected.push({ index, ...outcome.rejected });
    index++;
  }
  return { stored: storePrepared(db, valid), rejected };
}

const BULK_COMMIT_SIZE = 25_000;

/**
 * A large import (the first fill of the cache, a re-seed): batches committed in groups,
 * the whole import in rollback-journal mode (see withRollbackJournal). Indexes in `rejected`
 * count across batches.
 */
export function bulkStoreResources(db: Database, batches: Iterable<Iterable<unknown>>): StoreResult {
  const total: StoreResult = { stored: 0, rejected: [] };
  let offset = 0;
  let pending: unknown[][] = [];
  let pendingCount = 0;
  // Batches are committed in groups of about BULK_COMMIT_SIZE resources: every commit costs
  // fsyncs of the journal and the database, and an import can simply be run again.
  const commitGroup = db.transaction((group: unknown[][]) => {
    for (const items of group) {
      const result = storeResources(db, items);
      total.stored += result.stored;
      for (const rejected of result.rejected) total.rejected.push({ ...rejected, index: rejected.index + offset });
      offset += items.length;
    }
  });
  return withRollbackJournal(db, () => {
    for (const batch of batches) {
      const items = Array.isArray(batch) ? batch : [...batch];
      pending.push(items);
      pendingCount += items.length;
      if (pendingCount >= BULK_COMMIT_SIZE) {
        commitGroup.immediate(pending);
        pending = [];
        pendingCount = 0;
      }
    }
    if (pending.length > 0) commitGroup.immediate(pending);
    return total;
  });
}

const BIRTH_DATE = /^\d{4}(-\d{2}(-\d{2})?)?$/;

/** Turns what the clinician typed into FTS5 prefix terms; only letters and digits survive. */
function namePrefixQuery(text: string): string | null {
  const tokens = text
    .normalize('NFKC')
    .split(/[^\p{L}\p{N}]+/u)
    .filter((token) => token.length > 0)
    .slice(0, 5);
  return tokens.length === 0 ? null : tokens.map((token) => `"${token}"*`).join(' AND ');
}

interface PatientRow {
  id: string;
  display_name: string;
  mrn: string | null;
  birth_date: string | null;
  gender: string | null;
}

function toSummary(row: PatientRow): PatientSummary {
  return { id: row.id, name: row.display_name, mrn: row.mrn, birthDate: row.birth_date, gender: row.gender };
}

/**
 * Patient search as the clinician types: a birth date (YYYY, YYYY-MM or YYYY-MM-DD), an MRN
 * (exact, or as a prefix) or a name prefix (each word a prefix of a given or family name).
 */
export function searchPatients(db: Database, text: string, limit: number): PatientSummary[] {
  const query = text.trim();
  const statement = prepared(db);
  if (BIRTH_DATE.test(query)) {
    const rows = statement.patientsByBirthDate.all(query, `${query}\uffff`, limit) as PatientRow[];
    return rows.map(toSummary);
  }
  const results: PatientSummary[] = [];
  if (/\d/.test(query)) {
    const rows = statement.patientsByMrn.all(query, `${query}\uffff`, limit) as PatientRow[];
    results.push(...rows.map(toSummary));
  }
  const match = namePrefixQuery(query);
  if (match && results.length < limit) {
    const rows = statement.patientsByName.all(`name_search : (${match})`, limit - results.length) as PatientRow[];
    const seen = new Set(results.map((r) => r.id));
    // Sorted after the limit: ordering every match of a one-letter prefix would cost more than
    // the search itself, and each further letter narrows the list anyway.
    const names = rows.filter((row) => !seen.has(row.id)).map(toSummary);
    names.sort((a, b) => a.name.localeCompare(b.name));
    results.push(...names);
  }
  return results;
}

/** One patient's demographics for the chart header, or null when the cache has no such patient. */
export function readPatientSummary(db: Database, patientId: string): PatientSummary | null {
  const row = prepared(db).patientById.get(patientId) as PatientRow | undefined;
  return row ? toSummary(row) : null;
}

/** Every stored resource of one patient, grouped by type, for the chart. */
export function readPatientRecord(db: Database, patientId: string): Map<string, FhirResource[]> {
  const rows = prepared(db).patientRecord.all(patientId) as { type: string; json: string }[];
  const byType = new Map<string, FhirResource[]>();
  for (const row of rows) {
    const list = byType.get(row.type) ?? [];
    list.push(JSON.parse(row.json) as FhirResource);
    byType.set(row.type, list);
  }
  return byType;
}

/** One stored resource, or null. */
export function readResource(db: Database, type: string, id: string): FhirResource | null {
  const json = prepared(db).resourceJson.get(type, id) as string | undefined;
  return json === undefined ? null : (JSON.parse(json) as FhirResource);
}

/** Central's version of a stored resource: null when it has none yet, undefined when not stored. */
export function storedVersionOf(db: Database, type: string, id: string): string | null | undefined {
  return prepared(db).versionId.get(type, id) as string | null | undefined;
}

/** The ids of one patient's stored resources of a type (their Patient itself for `Patient`). */
export function storedIdsOf(db: Database, type: string, patientId: string): string[] {
  return prepared(db).idsOfPatient.all(type, patientId, patientId) as string[];
}

/** The display names of these patients, as stored (for lists that name them; unknown ids are left out). */
export function patientNamesOf(db: Database, patientIds: Iterable<string>): Map<string, string> {
  const names = new Map<string, string>();
  for (const id of new Set(patientIds)) {
    const name = prepared(db).patientName.get(id) as string | undefined;
    if (name !== undefined) names.set(id, name);
  }
  return names;
}

/**
 * Removes a resource the central server deleted (the patient's search row and name index go with
 * a Patient). True when there was one.
 */
export function deleteResource(db: Database, type: string, id: string): boolean {
  return db
    .transaction(() => {
      const removed = db.prepare('DELETE FROM resources WHERE type = ? AND id = ?').run(type, id).changes > 0;
      if (type === 'Patient') db.prepare('DELETE FROM patients WHERE id = ?').run(id);
      return removed;
    })
    .immediate();
}

export function countResources(db: Database): number {
  return (prepared(db).countResources.get() as { n: number }).n;
}
