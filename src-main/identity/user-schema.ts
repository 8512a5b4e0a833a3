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
