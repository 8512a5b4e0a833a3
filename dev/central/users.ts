/**
 * The identity provider's accounts: the synthetic clinic's staff, each with a deterministic demo
 * password (printed by `npm run central`, known to tests). Disabling an account makes every later
 * refresh and sign-in fail.
 */
import { timingSafeEqual } from 'node:crypto';
import type { Role } from '../../src-shared/access/roles.ts';
import type { StaffMember } from '../synthetic/clinic.ts';

export interface CentralUser {
  /** The account id (`sub`): the username, stable across restarts with the same seed. */
  username: string;
  password: string;
  role: Role;
  /** The roles claim: workstation role names. */
  roles: Role[];
  practitionerId: string;
  practitionerRoleId: string;
  /** `Practitioner/<id>` */
  fhirUser: string;
  displayName: string;
  disabled: boolean;
}

/** The demo password of a username: deterministic, so tests and people can type it. */
export function demoPassword(username: string): string {
  return `${username}-demo-pass`;
}

export class UserStore {
  private readonly users = new Map<string, CentralUser>();

  constructor(staff: readonly StaffMember[], passwordOf: (username: string) => string = demoPassword) {
    for (const member of staff) {
      this.users.set(member.username, {
        username: member.username,
        password: passwordOf(member.username),
        role: member.role,
        roles: [member.role],
        practitionerId: member.practitionerId,
        practitionerRoleId: member.practitionerRoleId,
        fhirUser: `Practitioner/${member.practitionerId}`,
        displayName: member.displayName,
        disabled: false,
      });
    }
  }

  list(): CentralUser[] {
    return [...this.users.values()].map((u) => ({ ...u, roles: [...u.roles] }));
  }

  /** An enabled account, or undefined (unknown or disabled). */
  active(username: string): CentralUser | undefined {
    const user = this.users.get(username);
    return user && !user.disabled ? user : undefined;
  }

  /** The account when the password matches and it is enabled; undefined otherwise. */
  authenticate(username: string, password: string): CentralUser | undefined {
    const user = this.users.get(username);
    // Compare even for unknown users so timing does not tell which usernames exist.
    const expected = Buffer.from(user?.password ?? 'no-such-user-password', 'utf8');
    const given = Buffer.from(password, 'utf8');
    const same = expected.length === given.length && timingSafeEqual(expected, given);
    return same && user && !user.disabled ? user : undefined;
  }

  setDisabled(username: string, disabled: boolean): void {
    const user = this.users.get(username);
    if (!user) throw new RangeError(`Unknown user: ${username}`);
    user.disabled = disabled;
  }
}
