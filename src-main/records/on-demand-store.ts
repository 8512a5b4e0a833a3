import type { PreparedResource } from '../../src-shared/fhir/prepare.ts';
import type { Database } from '../vault/index.ts';
import { storedIdsOf, storePrepared } from './repository.ts';

/**
 * Charts brought from central on demand (schema version 15, chart/on-demand.ts): what was read
 * of one patient, stored, and when. Runs in the caller's transaction, with its audit entry.
 */

export interface OnDemandState {
  /** When the demographics and care relationships were last read from central (epoch ms). */
  fetchedAt: number;
  /** When the clinical records were; null if never. */
  clinicalAt: number | null;
}

export function onDemandStateOf(db: Database, patientId: string): OnDemandState | null {
  const row = db
    .prepare('SELECT fetched_at AS fetchedAt, clinical_at AS clinicalAt FROM charts_on_demand WHERE patient_id = ?')
    .get(patientId) as OnDemandState | undefined;
  return row ?? null;
}

/** One type of one patient's records as central sent them (sync/central-patients.ts). */
export interface FetchedType {
  type: string;
  resources: readonly PreparedResource[];
  /** Read to its end: what the cache holds beyond it is gone at central. */
  complete: boolean;
}

/**
 * Stores what was read of one patient: each resource, except those with a local change waiting
 * (`keep`: their push meets central's version, as in the pull); and for a type read to its end,
 * removes the cached ones central no longer has (the patient is not in a scope whose history the
 * rounds read), never one with a change waiting. Answers how many were stored and removed.
 */
export function storeFetchedRecords(
  db: Database,
  patientId: string,
  fetched: readonly FetchedType[],
  keep: (type: string) => ReadonlySet<string>,
): { stored: number; removed: number } {
  let stored = 0;
  let removed = 0;
  const remove = db.prepare<[string, string]>('DELETE FROM resources WHERE type = ? AND id = ?');
  for (const { type, resources, complete } of fetched) {
    const kept = keep(type);
    stored += storePrepared(
      db,
      resources.filter((r) => !kept.has(r.id)),
    );
    if (!complete || type === 'Patient') continue; // a Patient missing at central: the pull's history says
    const present = new Set(resources.map((r) => r.id));
    for (const id of storedIdsOf(db, type, patientId))
      if (!present.has(id) && !kept.has(id)) removed += remove.run(type, id).changes;
  }
  return { stored, removed };
}

/** Marks what was read and when: the demographics and relationships, or the clinical records. */
export function recordOnDemandFetch(
  db: Database,
  patientId: string,
  at: number,
  part: 'relationships' | 'clinical',
): void {
  const column = part === 'clinical' ? 'clinical_at' : 'fetched_at';
  db.prepare(
    `INSERT INTO charts_on_demand (patient_id, fetched_at, clinical_at) VALUES (?, ?, ?)
     ON CONFLICT (patient_id) DO UPDATE SET ${column} = excluded.${column}`,
  ).run(patientId, at, part === 'clinical' ? at : null);
}
