import type { Migration } from '../vault/index.ts';

/**
 * The identity capability's tables (schema version 2). One row per user who has signed in fully
 * on this workstation: the PIN hash (scrypt, self-describing string, see pin.ts), the consecutive
 * wrong-PIN count and lockout, and the facts the offline PIN sign-in window depends on. Times are
 * milliseconds since the epoch from the Clock port. The PIN itself is never stored.
 */
export const identitySchemaV2 = `
CREATE TABLE identity_pins (
  user_id               TEXT PRIMARY KEY NOT NULL,
  -- NULL until the user sets a PIN (a full sign-in is recorded before that).
  pin_hash              TEXT,
  -- Consecutive wrong PINs since the last right one or the last full sign-in.
  failures              INTEGER NOT NULL DEFAULT 0 CHECK (failures >= 0),
  -- Set when failures reached policy pinMaxFailures; only a full sign-in clears it.
  locked_out_at         INTEGER,
  last_full_sign_in_at  INTEGER NOT NULL,
  -- Access termination (a refresh refused by the provider); a later full sign-in clears it.
  offline_revoked_at    INTEGER,
  updated_at            INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/**
 * The identity capability's refresh tokens (schema version 3): one row per user with a live
 * session on this workstation. Refresh tokens live only here, inside the encrypted vault: never
 * in a file, the keychain, a log or the renderer. Access tokens are never stored (memory only).
 * Times are milliseconds since the epoch from the Clock port.
 */
export const tokenSchemaV3 = `
CREATE TABLE identity_refresh_tokens (
  user_id        TEXT PRIMARY KEY NOT NULL,
  -- Replaced on every refresh (the provider rotates it); deleted on sign-out or termination.
  refresh_token  TEXT NOT NULL CHECK (length(refresh_token) > 0),
  updated_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/**
 * The identity capability's known users (schema version 4): who has signed in fully on this
 * workstation, as the provider described them at that sign-in. The offline PIN sign-in needs it
 * (the provider cannot be asked then): username -> user id, role, practitioner and display name.
 * Refreshed at every full sign-in; the role is never taken from anything but the provider's token.
 */
export const userSchemaV4 = `
CREATE TABLE identity_users (
  user_id          TEXT PRIMARY KEY NOT NULL,
  username         TEXT COLLATE NOCASE UNIQUE,
  display_name     TEXT NOT NULL,
  role             TEXT NOT NULL,
  practitioner_id  TEXT,
  updated_at       INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
`;

/** The identity capability's part of the cache's schema, in the order the versions were given out. */
export const identityMigrations: readonly Migration[] = [
  { version: 2, name: 'identity: PIN hashes, failures, lockout, offline window', sql: identitySchemaV2 },
  { version: 3, name: 'identity: refresh tokens', sql: tokenSchemaV3 },
  { version: 4, name: 'identity: known users for offline sign-in', sql: userSchemaV4 },
];
