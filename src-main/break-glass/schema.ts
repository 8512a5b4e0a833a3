import type { Migration } from '../vault/index.ts';

/**
 * The break-glass capability's tables (schema version 6). A grant is one user's emergency access
 * to one patient: written in the same durable transaction as its audit entry (audit_log), before
 * any of the patient's data is returned. Its end (expiry, sign-out, switch user, a long lock) is
 * recorded here and in the audit trail; a review by the privacy officer in break_glass_reviews.
 */
export const breakGlassSchemaV6 = `
CREATE TABLE break_glass_grants (
  id             TEXT PRIMARY KEY NOT NULL,
  user_id        TEXT NOT NULL,
  role           TEXT NOT NULL,
  patient_id     TEXT NOT NULL,
  reason_code    TEXT NOT NULL,
  justification  TEXT NOT NULL,
  started_at     INTEGER NOT NULL,
  expires_at     INTEGER NOT NULL CHECK (expires_at > started_at),
  ended_at       INTEGER,
  end_reason     TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX break_glass_active ON break_glass_grants (user_id) WHERE ended_at IS NULL;
CREATE INDEX break_glass_by_start ON break_glass_grants (started_at);

CREATE TABLE break_glass_reviews (
  grant_id     TEXT PRIMARY KEY NOT NULL REFERENCES break_glass_grants (id),
  reviewer_id  TEXT NOT NULL,
  comment      TEXT NOT NULL,
  reviewed_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/** The break-glass capability's part of the cache's schema. */
export const breakGlassMigrations: readonly Migration[] = [
  { version: 6, name: 'break-glass: grants and reviews', sql: breakGlassSchemaV6 },
];
