import { describe, expect, it } from 'vitest';
import {
  chartAccessLevel,
  decide,
  denialMessage,
  needsRelationships,
  type AccessRequest,
  type AccessUser,
  type ActiveGrant,
} from '../../src-main/access/decision.ts';
import type { CareRelationship } from '../../src-main/records/relationships.ts';
import type { Permission, Role } from '../../src-shared/access/roles.ts';

const physician: AccessUser = { userId: 'u-phys', role: 'physician', practitionerId: 'prac-1' };
const nurse: AccessUser = { userId: 'u-nurse', role: 'nurse', practitionerId: 'prac-2' };
const frontDesk: AccessUser = { userId: 'u-desk', role: 'frontDesk', practitionerId: 'prac-3' };
const privacyOfficer: AccessUser = { userId: 'u-priv', role: 'privacyOfficer', practitionerId: 'prac-4' };
const itAdmin: AccessUser = { userId: 'u-it', role: 'itAdmin', practitionerId: null };

const P = 'pat-1';
const grantFor = (user: AccessUser, patientId = P): ActiveGrant => ({
  grantId: `g-${user.userId}-${patientId}`,
  userId: user.userId,
  patientId,
});

function request(
  user: AccessUser,
  action: Permission,
  options: Partial<Omit<AccessRequest, 'user' | 'action'>> = {},
): AccessRequest {
  return { user, action, patientId: P, relationships: [], activeGrants: [], ...options };
}

describe('164.312(a)(1) physician and nurse', () => {
  for (const user of [physician, nurse]) {
    describe(user.role, () => {
      it.each<[CareRelationship]>([['careTeam'], ['encounter'], ['generalPractitioner']])(
        'reads and writes the chart of a patient linked by %s',
        (relationship) => {
          for (const action of [
            'patient.clinical.read',
            'patient.clinical.write',
            'patient.demographics.read',
          ] as const) {
            const decision = decide(request(user, action, { relationships: [relationship] }));
            expect(decision).toEqual(
              action === 'patient.demographics.read'
                ? { allowed: true, basis: 'role' }
                : { allowed: true, basis: relationship },
            );
          }
        },
      );

      it('names the strongest relationship first: care team, then encounter, then general practitioner', () => {
        expect(
          decide(
            request(user, 'patient.clinical.read', { relationships: ['generalPractitioner', 'encounter', 'careTeam'] }),
          ),
        ).toEqual({ allowed: true, basis: 'careTeam' });
        expect(
          decide(request(user, 'patient.clinical.read', { relationships: ['generalPractitioner', 'encounter'] })),
        ).toEqual({ allowed: true, basis: 'encounter' });
      });

      it('sees only demographics of a patient outside the care team (restricted)', () => {
        expect(decide(request(user, 'patient.demographics.read'))).toEqual({ allowed: true, basis: 'role' });
        expect(decide(request(user, 'patient.clinical.read'))).toEqual({ allowed: false, reason: 'notOnCareTeam' });
        expect(decide(request(user, 'patient.clinical.write'))).toEqual({ allowed: false, reason: 'notOnCareTeam' });
        expect(chartAccessLevel({ user, patientId: P, relationships: [], activeGrants: [] })).toBe('restricted');
      });

      it('reads and writes a restricted chart under an active break-glass grant for that patient, naming the grant', () => {
        const grant = grantFor(user);
        for (const action of ['patient.clinical.read', 'patient.clinical.write'] as const) {
          expect(decide(request(user, action, { activeGrants: [grantFor(user, 'pat-other'), grant] }))).toEqual({
            allowed: true,
            basis: 'breakGlass',
            grantId: grant.grantId,
          });
        }
        expect(chartAccessLevel({ user, patientId: P, relationships: [], activeGrants: [grant] })).toBe('full');
      });

      it('a care relationship is the basis even when a grant exists (the grant is not needed)', () => {
        expect(
          decide(
            request(user, 'patient.clinical.read', { relationships: ['encounter'], activeGrants: [grantFor(user)] }),
          ),
        ).toEqual({ allowed: true, basis: 'encounter' });
      });

      it('a grant for another patient or held by another user does not help', () => {
        expect(decide(request(user, 'patient.clinical.read', { activeGrants: [grantFor(user, 'pat-2')] }))).toEqual({
          allowed: false,
          reason: 'notOnCareTeam',
        });
        const someoneElse = { grantId: 'g-x', userId: 'u-someone-else', patientId: P };
        expect(decide(request(user, 'patient.clinical.read', { activeGrants: [someoneElse] }))).toEqual({
          allowed: false,
          reason: 'notOnCareTeam',
        });
      });

      it('clinical data needs one named patient; demographics without a patient is search', () => {
        expect(
          decide(request(user, 'patient.clinical.read', { patientId: null, relationships: ['careTeam'] })),
        ).toEqual({ allowed: false, reason: 'noPatient' });
        expect(
          decide(
            request(user, 'patient.clinical.write', {
              patientId: '',
              relationships: ['careTeam'],
              activeGrants: [grantFor(user, '')],
            }),
          ),
        ).toEqual({ allowed: false, reason: 'noPatient' });
        expect(decide(request(user, 'patient.demographics.read', { patientId: null }))).toEqual({
          allowed: true,
          basis: 'role',
        });
        expect(decide(request(user, 'patient.demographics.read', { patientId: '' }))).toEqual({
          allowed: false,
          reason: 'noPatient',
        });
      });

      it('has no audit or workstation administration', () => {
        expect(decide(request(user, 'audit.read'))).toEqual({ allowed: false, reason: 'role' });
        expect(decide(request(user, 'workstation.admin', { patientId: null }))).toEqual({
          allowed: false,
          reason: 'role',
        });
      });
    });
  }

  it('a clinician without a practitioner id has no care relationships, whatever the caller passes; break-glass still works', () => {
    const noPractitioner: AccessUser = { userId: 'u-locum', role: 'physician', practitionerId: null };
    expect(
      decide(
        request(noPractitioner, 'patient.clinical.read', {
          relationships: ['careTeam', 'encounter', 'generalPractitioner'],
        }),
      ),
    ).toEqual({ allowed: false, reason: 'notOnCareTeam' });
    expect(
      decide(
        request({ ...noPractitioner, practitionerId: '' }, 'patient.clinical.read', { relationships: ['careTeam'] }),
      ),
    ).toEqual({ allowed: false, reason: 'notOnCareTeam' });
    expect(
      decide(request(noPractitioner, 'patient.clinical.read', { activeGrants: [grantFor(noPractitioner)] })),
    ).toMatchObject({ allowed: true, basis: 'breakGlass' });
  });
});

describe('164.312(a)(1) front desk', () => {
  it('reads demographics of any patient and searches', () => {
    expect(decide(request(frontDesk, 'patient.demographics.read'))).toEqual({ allowed: true, basis: 'role' });
    expect(decide(request(frontDesk, 'patient.demographics.read', { patientId: null }))).toEqual({
      allowed: true,
      basis: 'role',
    });
  });

  it('never reads or writes clinical data: not with a care relationship, not with a grant (no break-glass)', () => {
    for (const action of ['patient.clinical.read', 'patient.clinical.write'] as const) {
      expect(
        decide(
          request(frontDesk, action, {
            relationships: ['careTeam', 'encounter', 'generalPractitioner'],
            activeGrants: [grantFor(frontDesk)],
          }),
        ),
      ).toEqual({ allowed: false, reason: 'role' });
    }
    expect(
      chartAccessLevel({
        user: frontDesk,
        patientId: P,
        relationships: ['careTeam'],
        activeGrants: [grantFor(frontDesk)],
      }),
    ).toBe('restricted');
  });

  it('has no audit or workstation administration', () => {
    expect(decide(request(frontDesk, 'audit.read'))).toEqual({ allowed: false, reason: 'role' });
    expect(decide(request(frontDesk, 'workstation.admin'))).toEqual({ allowed: false, reason: 'role' });
  });
});

describe('164.312(a)(1) privacy officer and IT admin', () => {
  it('privacy officer: audit trail (also about one patient), no demographics, no clinical data', () => {
    expect(decide(request(privacyOfficer, 'audit.read', { patientId: null }))).toEqual({
      allowed: true,
      basis: 'role',
    });
    expect(decide(request(privacyOfficer, 'audit.read'))).toEqual({ allowed: true, basis: 'role' });
    for (const action of [
      'patient.demographics.read',
      'patient.clinical.read',
      'patient.clinical.write',
      'workstation.admin',
    ] as const) {
      expect(
        decide(
          request(privacyOfficer, action, { relationships: ['careTeam'], activeGrants: [grantFor(privacyOfficer)] }),
        ),
      ).toEqual({ allowed: false, reason: 'role' });
    }
    expect(
      chartAccessLevel({
        user: privacyOfficer,
        patientId: P,
        relationships: ['careTeam'],
        activeGrants: [grantFor(privacyOfficer)],
      }),
    ).toBe('none');
  });

  it('IT admin: workstation administration only, no PHI at all', () => {
    expect(decide(request(itAdmin, 'workstation.admin', { patientId: null }))).toEqual({
      allowed: true,
      basis: 'role',
    });
    for (const action of [
      'patient.demographics.read',
      'patient.clinical.read',
      'patient.clinical.write',
      'audit.read',
    ] as const) {
      expect(
        decide(request(itAdmin, action, { relationships: ['careTeam'], activeGrants: [grantFor(itAdmin)] })),
      ).toEqual({ allowed: false, reason: 'role' });
      expect(decide(request(itAdmin, action, { patientId: null }))).toEqual({ allowed: false, reason: 'role' });
    }
    expect(chartAccessLevel({ user: itAdmin, patientId: P, relationships: [], activeGrants: [] })).toBe('none');
  });
});

describe('164.312(a)(1) fails closed', () => {
  it('an unknown role or action (a value from outside the types) is denied by role', () => {
    const stranger = { userId: 'u-x', role: 'superuser' as Role, practitionerId: 'prac-1' };
    expect(decide(request(stranger, 'patient.demographics.read'))).toEqual({ allowed: false, reason: 'role' });
    expect(decide(request(physician, 'patient.everything' as Permission, { relationships: ['careTeam'] }))).toEqual({
      allowed: false,
      reason: 'role',
    });
    expect(
      decide(
        request({ ...physician, role: 'constructor' as Role }, 'patient.clinical.read', {
          relationships: ['careTeam'],
        }),
      ),
    ).toEqual({ allowed: false, reason: 'role' });
  });

  it('shared decisions cannot be changed by a caller', () => {
    const decision = decide(request(physician, 'patient.clinical.read', { relationships: ['careTeam'] }));
    expect(Object.isFrozen(decision)).toBe(true);
    expect(() => {
      (decision as { allowed: boolean }).allowed = false;
    }).toThrow();
  });
});

describe('helpers', () => {
  it('needsRelationships: only for a clinician with a practitioner asking for one patient\u2019s clinical data', () => {
    expect(needsRelationships(physician, 'patient.clinical.read', P)).toBe(true);
    expect(needsRelationships(nurse, 'patient.clinical.write', P)).toBe(true);
    expect(needsRelationships(physician, 'patient.demographics.read', P)).toBe(false);
    expect(needsRelationships(physician, 'patient.clinical.read', null)).toBe(false);
    expect(needsRelationships({ ...physician, practitionerId: null }, 'patient.clinical.read', P)).toBe(false);
    expect(needsRelationships(frontDesk, 'patient.clinical.read', P)).toBe(false);
  });

  it('denial messages name the rule, not the patient', () => {
    for (const reason of ['role', 'noPatient', 'notOnCareTeam'] as const) {
      expect(denialMessage(reason)).toMatch(/\S/);
      expect(denialMessage(reason)).not.toContain(P);
    }
  });
});
