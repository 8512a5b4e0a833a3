import type { Migration } from '../vault/index.ts';

/**
 * The unusual access alerts' table (schema version 12). An alert's id is the id of its audit
 * entry (`access.alert`), which ships to central as a security alert AuditEvent; this table is the
 * privacy officer's queue: what was counted, and the review once one is written. No names: users
 * and patients by id only, named at read time by the capabilities that own them.
 */
export const alertsSchemaV12 = `
CREATE TABLE access_alerts (
  id              TEXT PRIMARY KEY NOT NULL,
  kind            TEXT NOT NULL CHECK (kind IN ('chartOpens', 'failedAuth', 'familyName')),
  user_id         TEXT,
  patient_id      TEXT,
  count           INTEGER NOT NULL,
  window_minutes  INTEGER NOT NULL,
  raised_at       INTEGER NOT NULL,
  reviewed_at     INTEGER,
  reviewer_id     TEXT,
  comment         TEXT,
  CHECK ((reviewed_at IS NULL) = (reviewer_id IS NULL))
) STRICT, WITHOUT ROWID;
CREATE INDEX access_alerts_open ON access_alerts (raised_at) WHERE reviewed_at IS NULL;
CREATE INDEX access_alerts_by_user ON access_alerts (user_id, kind, raised_at);
`;

/** The alerts' part of the cache's schema. */
export const alertsMigrations: readonly Migration[] = [
  { version: 12, name: 'alerts: unusual access alerts and their review', sql: alertsSchemaV12 },
];
