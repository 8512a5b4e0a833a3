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
