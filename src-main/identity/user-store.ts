import { Role } from '../../src-shared/access/roles.ts';
import type { Database } from '../vault/index.ts';
import { parseTimestamp, parseUserId } from './errors.ts';

/** A user as last seen at a full sign-in on this workstation (table identity_users). */
export interface KnownUser {
  userId: string;
  username: string | null;
  displayName: string;
  role: Role;
  practitionerId: string | null;
}

/** Stores the identity from a full sign-in. A username another user held before moves to this one. */
export function rememberUser(db: Database, user: KnownUser, at: number): void {
  const id = parseUserId(user.userId);
  const when = parseTimestamp(at, 'The sign-in time');
  const role = Role.parse(user.role);
  db.transaction(() => {
    if (user.username !== null)
      db.prepare('UPDATE identity_users SET username = NULL WHERE username = ? AND user_id <> ?').run(
        user.username,
        id,
      );
    db.prepare(
      `INSERT INTO identity_users (user_id, username, display_name, role, practitioner_id, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (user_id) DO UPDATE SET username = excluded.username, display_name = excluded.display_name, role = excluded.role,
         practitioner_id = excluded.practitioner_id, updated_at = excluded.updated_at`,
    ).run(id, user.username, user.displayName, role, user.practitionerId, when);
  }).immediate();
}

interface UserRow {
  user_id: string;
  username: string | null;
  display_name: string;
  role: string;
  practitioner_id: string | null;
}

/** The known user with this username (case-insensitive), or null. */
export function findUserByUsername(db: Database, username: string): KnownUser | null {
  const row = db
    .prepare('SELECT user_id, username, display_name, role, practitioner_id FROM identity_users WHERE username = ?')
    .get(username) as UserRow | undefined;
  return knownUserOf(row);
}

/** The known user with this id, or null: who a change was made by, when they are not signed in. */
export function knownUserById(db: Database, userId: string): KnownUser | null {
  const row = db
    .prepare('SELECT user_id, username, display_name, role, practitioner_id FROM identity_users WHERE user_id = ?')
    .get(userId) as UserRow | undefined;
  return knownUserOf(row);
}

function knownUserOf(row: UserRow | undefined): KnownUser | null {
  if (!row) return null;
  const role = Role.safeParse(row.role);
  if (!role.success) return null; // a role this version does not know is never guessed
  return {
    userId: row.user_id,
    username: row.username,
    displayName: row.display_name,
    role: role.data,
    practitionerId: row.practitioner_id,
  };
}

/** The display names of these users, as the provider last gave them here (unknown ids are left out). */
export function displayNamesOf(db: Database, userIds: Iterable<string>): Map<string, string> {
  const read = db.prepare('SELECT display_name FROM identity_users WHERE user_id = ?').pluck();
  const names = new Map<string, string>();
  for (const id of new Set(userIds)) {
    const name = read.get(id) as string | undefined;
    if (name !== undefined) names.set(id, name);
  }
  return names;
}

/** The Practitioner a known user is linked to (fhirUser), or null (unknown user, or none). */
export function practitionerIdOf(db: Database, userId: string): string | null {
  const id = db.prepare('SELECT practitioner_id FROM identity_users WHERE user_id = ?').pluck().get(userId) as
    string | null | undefined;
  return id ?? null;
}
