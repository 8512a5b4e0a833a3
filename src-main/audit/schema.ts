import type { Migration, SalvageTable } from '../vault/index.ts';
import { AUDIT_COLUMNS } from './entry.ts';

/**
 * The audit capability's tables (schema version 5) and the workstation's identity.
 *
 * audit_log is append-only: triggers refuse UPDATE, and DELETE except of entries that are both
 * shipped to the central API and behind the retention anchor (audit_retention). Each entry's
 * hash is an HMAC-SHA-256, under the audit key in the OS keychain (not the database key), over the
 * previous entry's hash and the entry itself; audit_head holds an HMAC of the newest entry, so a
 * cut-off tail is detected too. Shipping marks live in their own table so the log never changes.
 */
export const auditSchemaV5 = `
CREATE TABLE workstation_meta (
  key    TEXT PRIMARY KEY NOT NULL,
  value  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO workstation_meta (key, value) VALUES ('workstationId', 'ws-' || lower(hex(randomblob(16))));

CREATE TABLE audit_log (
  seq             INTEGER PRIMARY KEY NOT NULL,
  -- A random UUID: the AuditEvent's client-assigned id (shipping is idempotent by it).
  id              TEXT NOT NULL,
  recorded_at     INTEGER NOT NULL,
  user_id         TEXT,
  role            TEXT,
  workstation_id  TEXT NOT NULL,
  action          TEXT NOT NULL,
  outcome         TEXT NOT NULL CHECK (outcome IN ('success', 'denied', 'failure')),
  patient_id      TEXT,
  resource_refs   TEXT,
  purpose_of_use  TEXT,
  grant_id        TEXT,
  detail          TEXT,
  justification   TEXT,
  hash            BLOB NOT NULL
) STRICT;
CREATE INDEX audit_log_by_grant ON audit_log (grant_id) WHERE grant_id IS NOT NULL;

CREATE TABLE audit_head (
  one   INTEGER PRIMARY KEY CHECK (one = 1),
  seq   INTEGER NOT NULL,
  mac   BLOB NOT NULL
) STRICT;

-- Entries up to through_seq were shipped, kept past retention and removed; the chain continues
-- from anchor_hash. mac (under the audit key) keeps anyone from moving the anchor to hide entries.
CREATE TABLE audit_retention (
  one          INTEGER PRIMARY KEY CHECK (one = 1),
  through_seq  INTEGER NOT NULL,
  anchor_hash  BLOB NOT NULL,
  mac          BLOB NOT NULL
) STRICT;

CREATE TABLE audit_shipped (
  seq         INTEGER PRIMARY KEY NOT NULL,
  shipped_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN old.seq > coalesce((SELECT through_seq FROM audit_retention), 0)
  OR NOT EXISTS (SELECT 1 FROM audit_shipped s WHERE s.seq = old.seq)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`;

/**
 * Shipping's own state (schema version 9), beside audit_shipped; the log itself never changes.
 *
 * audit_sending: entries sent in a request that has not been answered yet, durably noted before
 * the request leaves. After a crash or a lost answer they are "in doubt": central may hold them.
 * They are not sent again until `due_at` (the request is then over on central's side too) and a
 * look at central for their ids; only those central lacks go again, so central never receives a
 * second version of an entry it already has.
 *
 * audit_ship_mark: every entry below `shipped_below` is shipped, so a round starts there instead
 * of walking years of shipped entries (retention keeps them six years by default).
 */
export const auditSchemaV9 = `
CREATE TABLE audit_sending (
  seq     INTEGER PRIMARY KEY NOT NULL,
  due_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE audit_ship_mark (
  one            INTEGER PRIMARY KEY CHECK (one = 1),
  shipped_below  INTEGER NOT NULL
) STRICT;
`;

/**
 * Entries central refused one by one (schema version 10): a definite answer about the entry
 * itself (400, 422...), which sending it again would not change. They stay in the trail, unshipped
 * (retention never removes them), and are set aside so they do not hold back the entries after
 * them; `status` is central's HTTP status for the entry. IT sends them again with
 * `ws audit retry-refused`, which empties this table.
 */
export const auditSchemaV10 = `
CREATE TABLE audit_refused (
  seq         INTEGER PRIMARY KEY NOT NULL,
  status      INTEGER NOT NULL,
  refused_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/** The audit capability's part of the cache's schema. */
export const auditMigrations: readonly Migration[] = [
  { version: 5, name: 'audit: append-only hash-chained trail, workstation id', sql: auditSchemaV5 },
  { version: 9, name: 'audit: shipping in doubt after a crash, where shipping starts', sql: auditSchemaV9 },
  { version: 10, name: 'audit: entries central refused, set aside', sql: auditSchemaV10 },
];

/** Tables that grow with every view: read whole only by the full check, never at every open. */
export const auditLargeTables: readonly string[] = ['audit_log', 'audit_shipped', 'audit_sending'];

/** The audit trail as a salvage reads it: every entry with its chain hash. */
export const auditSalvage: readonly SalvageTable[] = [
  { label: 'audit', table: 'audit_log', columns: [...AUDIT_COLUMNS, 'hash'] },
];
