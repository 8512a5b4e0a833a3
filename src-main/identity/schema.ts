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
