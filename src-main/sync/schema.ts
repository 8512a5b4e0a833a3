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
