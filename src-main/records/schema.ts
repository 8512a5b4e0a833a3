import type { Migration, SalvageTable } from '../vault/index.ts';

/**
 * The records capability's tables. FHIR resources are stored whole, as validated JSON, with the
 * few columns needed to find them; patients get their own search columns and an FTS5 index over
 * their names (prefix search as the clinician types).
 */
export const recordsSchemaV1 = `
-- A rowid table, not WITHOUT ROWID: rows hold whole resources (often over a kilobyte), which
-- WITHOUT ROWID tables store poorly. JSON is validated before it is stored (storeResources).
CREATE TABLE resources (
  rowid         INTEGER PRIMARY KEY,
  type          TEXT NOT NULL,
  id            TEXT NOT NULL,
  version_id    TEXT,
  last_updated  TEXT,
  patient_id    TEXT,
  json          TEXT NOT NULL,
  UNIQUE (type, id)
);
CREATE INDEX resources_by_patient ON resources (patient_id, type) WHERE patient_id IS NOT NULL;

CREATE TABLE patients (
  rowid         INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  display_name  TEXT NOT NULL,
  name_search   TEXT NOT NULL,
  mrn           TEXT,
  birth_date    TEXT,
  gender        TEXT
);
CREATE INDEX patients_by_mrn ON patients (mrn) WHERE mrn IS NOT NULL;
CREATE INDEX patients_by_birth_date ON patients (birth_date) WHERE birth_date IS NOT NULL;

CREATE VIRTUAL TABLE patients_fts USING fts5 (
  name_search,
  content = 'patients',
  content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2',
  prefix = '1 2 3'
);
CREATE TRIGGER patients_fts_insert AFTER INSERT ON patients BEGIN
  INSERT INTO patients_fts (rowid, name_search) VALUES (new.rowid, new.name_search);
END;
CREATE TRIGGER patients_fts_delete AFTER DELETE ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, name_search) VALUES ('delete', old.rowid, old.name_search);
END;
CREATE TRIGGER patients_fts_update AFTER UPDATE OF name_search ON patients BEGIN
  INSERT INTO patients_fts (patients_fts, rowid, name_search) VALUES ('delete', old.rowid, old.name_search);
  INSERT INTO patients_fts (rowid, name_search) VALUES (new.rowid, new.name_search);
END;
`;

/**
 * Schema version 14: what retention (cache.retentionDays, issue 15) goes by. `cache_scope` is the
 * time of the last scoped pull that read its members (one row; none: no scoped pull yet, so no
 * patient is known to be out of scope); `cache_scope_members` whether each patient was among
 * them then (`in_scope`), and when they last were; `chart_views` when each patient's chart was last opened here.
 * Ids and times only, no names.
 */
export const recordsSchemaV14 = `
CREATE TABLE cache_scope (
  one      INTEGER PRIMARY KEY CHECK (one = 1),
  read_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE cache_scope_members (
  patient_id   TEXT PRIMARY KEY NOT NULL,
  in_scope     INTEGER NOT NULL CHECK (in_scope IN (0, 1)),
  in_scope_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE chart_views (
  patient_id  TEXT PRIMARY KEY NOT NULL,
  viewed_at   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/**
 * Schema version 15: charts brought from central on demand (issue 15): a patient outside the
 * cache's scope whose chart a clinician opened online. `fetched_at` when their demographics and
 * care relationships were last read from central (what local authorization goes by),
 * `clinical_at` when their clinical records were (null: never, because nobody allowed to see them
 * opened the chart here). The sync rounds do not keep these patients current; the chart says so.
 */
export const recordsSchemaV15 = `
CREATE TABLE charts_on_demand (
  patient_id   TEXT PRIMARY KEY NOT NULL,
  fetched_at   INTEGER NOT NULL,
  clinical_at  INTEGER
) STRICT, WITHOUT ROWID;
`;

/** The records capability's part of the cache's schema. */
export const recordsMigrations: readonly Migration[] = [
  { version: 1, name: 'records: resources, patients, name index', sql: recordsSchemaV1 },
  { version: 14, name: 'records: scope members and chart views, for retention', sql: recordsSchemaV14 },
  { version: 15, name: 'records: charts brought from central on demand', sql: recordsSchemaV15 },
];

/** Tables that grow with the clinic: read whole only by the full check, never at every open. */
export const recordsLargeTables: readonly string[] = ['resources', 'patients'];

/** The records as a salvage reads them: each resource whole. */
export const recordsSalvage: readonly SalvageTable[] = [
  { label: 'records', table: 'resources', columns: ['type', 'id', 'version_id', 'last_updated', 'json'] },
];
