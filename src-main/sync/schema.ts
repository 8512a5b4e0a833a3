import type { Migration, SalvageTable } from '../vault/index.ts';

/**
 * The sync capability's tables (schema version 7). A pull cursor per resource type is the newest
 * `meta.lastUpdated` the server sent (never the local clock). Diagnostics keep what the server
 * sent that could not be stored: type, id and the rule broken, never the content.
 */
export const syncSchemaV7 = `
CREATE TABLE sync_cursors (
  resource_type  TEXT PRIMARY KEY NOT NULL,
  last_updated   TEXT NOT NULL,
  updated_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE sync_diagnostics (
  id             INTEGER PRIMARY KEY,
  at             INTEGER NOT NULL,
  resource_type  TEXT,
  resource_id    TEXT,
  problem        TEXT NOT NULL
) STRICT;
`;

/**
 * Schema version 8: the outbox and its conflicts. One outbox row per resource: a further local
 * edit before the push replaces the row's content and bumps its revision (so a push that was in
 * flight cannot delete a newer edit), which keeps the order of changes per resource trivially.
 * `base_version` is central's version the edit was made on (NULL: a create, with a client id);
 * `attempted` is set before a PUT may leave, so after a crash or a lost answer the push first
 * asks central's history whether the change already landed. Conflicts are kept after they are
 * resolved: a version set aside ("keep theirs") is never thrown away.
 */
export const syncSchemaV8 = `
CREATE TABLE sync_outbox (
  seq            INTEGER PRIMARY KEY AUTOINCREMENT,
  resource_type  TEXT NOT NULL,
  resource_id    TEXT NOT NULL,
  patient_id     TEXT,
  base_version   TEXT,
  json           TEXT NOT NULL,
  revision       INTEGER NOT NULL DEFAULT 1,
  user_id        TEXT NOT NULL,
  created_at     INTEGER NOT NULL,
  attempted      INTEGER NOT NULL DEFAULT 0 CHECK (attempted IN (0, 1)),
  state          TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'conflict', 'held')),
  problem        TEXT,
  UNIQUE (resource_type, resource_id)
) STRICT;

CREATE TABLE sync_conflicts (
  id              INTEGER PRIMARY KEY,
  resource_type   TEXT NOT NULL,
  resource_id     TEXT NOT NULL,
  patient_id      TEXT,
  user_id         TEXT NOT NULL,
  local_json      TEXT NOT NULL,
  server_json     TEXT,
  server_version  TEXT,
  detected_at     INTEGER NOT NULL,
  resolved_at     INTEGER,
  resolution      TEXT CHECK (resolution IN ('mine', 'theirs', 'merged')),
  resolved_by     TEXT
) STRICT;
CREATE INDEX sync_conflicts_open ON sync_conflicts (user_id) WHERE resolved_at IS NULL;
`;

/** The sync capability's part of the cache's schema. */
export const syncMigrations: readonly Migration[] = [
  { version: 7, name: 'sync: pull cursors and diagnostics', sql: syncSchemaV7 },
  { version: 8, name: 'sync: outbox and conflicts', sql: syncSchemaV8 },
];

/** Tables that grow with every round: read whole only by the full check, never at every open. */
export const syncLargeTables: readonly string[] = ['sync_diagnostics'];

/** What a salvage reads first: changes not yet on central, then the conflicts waiting for a person. */
export const syncSalvage: readonly SalvageTable[] = [
  {
    label: 'outbox',
    table: 'sync_outbox',
    columns: [
      'resource_type',
      'resource_id',
      'patient_id',
      'base_version',
      'json',
      'revision',
      'user_id',
      'created_at',
      'state',
      'problem',
    ],
  },
  {
    label: 'conflicts',
    table: 'sync_conflicts',
    columns: [
      'resource_type',
      'resource_id',
      'patient_id',
      'user_id',
      'local_json',
      'server_json',
      'server_version',
      'detected_at',
      'resolved_at',
      'resolution',
    ],
  },
];
