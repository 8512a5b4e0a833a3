import type { Migration } from '../vault/index.ts';

/**
 * The drafts' table (schema version 13): per user, per patient, per form, what was typed and not
 * saved. The fields are JSON as the contract's DraftContent validated them, and are validated
 * again when read (a row that no longer parses is not shown). Encrypted with the rest of the
 * cache; nothing here ships to central: a draft is not part of the record until it is saved.
 */
export const draftsSchemaV13 = `
CREATE TABLE drafts (
  user_id     TEXT NOT NULL,
  patient_id  TEXT NOT NULL,
  form        TEXT NOT NULL CHECK (form IN ('note', 'vitals', 'allergyEdit')),
  fields      TEXT NOT NULL,
  updated_at  INTEGER NOT NULL,
  PRIMARY KEY (user_id, patient_id, form)
) STRICT, WITHOUT ROWID;
CREATE INDEX drafts_by_age ON drafts (updated_at);
`;

export const draftsMigrations: readonly Migration[] = [
  { version: 13, name: 'drafts: unsaved chart forms kept across a lock', sql: draftsSchemaV13 },
];
