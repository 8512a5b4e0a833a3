/**
 * Property-based check of the authorization decision: generated users (every role, with and
 * without a practitioner), care relationships, break-glass grants (for this patient, others, other
 * users) and requests (every permission, a patient or none) against an oracle written from
 * PRODUCT.md capability 4 alone, not from the implementation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chartAccessLevel, decide, type AccessRequest, type ActiveGrant } from '../../src-main/access/decision.ts';
import type { CareRelationship } from '../../src-main/records/relationships.ts';
import { Permission, Role } from '../../src-shared/access/roles.ts';

// ---- The oracle: what each role may do, from PRODUCT.md ------------------------------------------
type Rule = 'never' | 'always' | 'demographics' | 'onePatient' | 'careTeamOrBreakGlass';
const ORACLE: Record<string, Record<string, Rule>> = {
  physician: {
    'patient.demographics.read': 'demographics',
    'patient.clinical.read': 'careTeamOrBreakGlass',
    'patient.clinical.write': 'careTeamOrBreakGlass',
    'patient.emergencyAccess': 'onePatient',
  },
  nurse: {
    'patient.demographics.read': 'demographics',
    'patient.clinical.read': 'careTeamOrBreakGlass',
    'patient.clinical.write': 'careTeamOrBreakGlass',
    'patient.emergencyAccess': 'onePatient',
  },
  frontDesk: { 'patient.demographics.read': 'demographics' },
  privacyOfficer: { 'audit.read': 'always', 'conflicts.review': 'always' },
  itAdmin: { 'workstation.admin': 'always' },
};
function ruleFor(role: string, action: string): Rule {
  const rules = Object.hasOwn(ORACLE, role) ? ORACLE[role]! : {};
  return Object.hasOwn(rules, action) ? rules[action]! : 'never';
}

type Expected = { allowed: true } | { allowed: false; reason: 'role' | 'noPatient' | 'notOnCareTeam' };
function oracle(r: AccessRequest): Expected {
  const rule = ruleFor(r.user.role, r.action);
  if (rule === 'never') return { allowed: false, reason: 'role' };
  if (rule === 'always') return { allowed: true };
  if (r.patientId === '') return { allowed: false, reason: 'noPatient' };
  if (rule === 'demographics') return { allowed: true };
  if (r.patientId === null) return { allowed: false, reason: 'noPatient' };
  // Asking for emergency access needs one patient, not a relationship with them.
  if (rule === 'onePatient') return { allowed: true };
  const hasPractitioner = r.user.practitionerId !== null && r.user.practitionerId !== '';
  const onCareTeam = hasPractitioner && r.relationships.length > 0;
  const granted = r.activeGrants.some((g) => g.userId === r.user.userId && g.patientId === r.patientId);
  return onCareTeam || granted ? { allowed: true } : { allowed: false, reason: 'notOnCareTeam' };
}

// ---- Generators ---------------------------------------------------------------------------------
const USERS = ['u-1', 'u-2', 'u-3'];
const PATIENTS = ['pat-1', 'pat-2', 'pat-3'];
const RELATIONSHIPS: CareRelationship[] = ['careTeam', 'encounter', 'generalPractitioner'];

const roleArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...Role.options) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('admin', 'doctor', '', 'toString') as fc.Arbitrary<string> as fc.Arbitrary<Role>,
  },
);
const actionArb = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...Permission.options) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'patient.*',
      'audit.write',
      'hasOwnProperty',
    ) as fc.Arbitrary<string> as fc.Arbitrary<Permission>,
  },
);
const userArb = fc.record({
  userId: fc.constantFrom(...USERS),
  role: roleArb,
  practitionerId: fc.constantFrom(null, '', 'prac-1', 'prac-2'),
});
const grantArb: fc.Arbitrary<ActiveGrant> = fc.record({
  grantId: fc.uuid(),
  userId: fc.constantFrom(...USERS),
  patientId: fc.constantFrom(...PATIENTS, ''),
});
const requestArb: fc.Arbitrary<AccessRequest> = fc.record({
  user: userArb,
  action: actionArb,
  patientId: fc.constantFrom(null, '', ...PATIENTS),
  relationships: fc.shuffledSubarray(RELATIONSHIPS),
  activeGrants: fc.array(grantArb, { maxLength: 4 }),
});

const RUNS = { numRuns: 20_000 };
const CLINICAL = new Set<string>(['patient.clinical.read', 'patient.clinical.write']);

describe('authorization decision, property-based', () => {
  it('agrees with the oracle on every request: nothing outside the rules is ever allowed, nothing inside denied', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const decision = decide(r);
        const expected = oracle(r);
        expect(decision.allowed).toBe(expected.allowed);
        if (!decision.allowed && !expected.allowed) expect(decision.reason).toBe(expected.reason);
      }),
      RUNS,
    );
  });

  it('gives a truthful basis: a relationship that was passed, a grant of this user for this patient, or the role for non-clinical actions', () => {
    fc.assert(
      fc.property(requestArb, (r) => {
        const decision = decide(r);
        if (!decision.allowed) return;
        if (decision.basis === 'role') {
          expect(CLINICAL.has(r.action)).toBe(false);
        } else if (decision.basis === 'breakGlass') {
          expect(CLINICAL.has(r.action)).toBe(true);
          const grant = r.activeGrants.find((g) => g.grantId === decision.grantId);
          expect(grant).toMatchObject({ userId: r.user.userId, patientId: r.patientId });
        } else {
          expect(CLINICAL.has(r.action)).toBe(true);
          expect(r.relationships).toContain(decision.basis);
          expect(r.user.practitionerId).toBeTruthy();
        }
      }),
      RUNS,
    );
  });

  it('is monotonic: removing relationships or grants never allows more', () => {
    fc.assert(
      fc.property(requestArb, fc.func(fc.boolean()), (r, keep) => {
        const fewer: AccessRequest = {
          ...r,
          relationships: r.relationships.filter((rel, i) => keep(rel, i)),
          activeGrants: r.activeGrants.filter((g, i) => keep(g.grantId, i)),
        };
        if (decide(fewer).allowed) expect(decide(r).allowed).toBe(true);
      }),
      RUNS,
    );
  });

  it('a grant for another patient, or held by another user, never helps: the decision is unchanged', () => {
    fc.assert(
      fc.property(requestArb, fc.array(grantArb, { minLength: 1, maxLength: 4 }), (r, extra) => {
        const irrelevant = extra.filter((g) => g.patientId !== r.patientId || g.userId !== r.user.userId);
        expect(decide({ ...r, activeGrants: [...r.activeGrants, ...irrelevant] })).toEqual(decide(r));
      }),
      RUNS,
    );
  });

  it('front desk, privacy officer and IT admin never get clinical data, whatever relationships or grants they carry', () => {
    fc.assert(
      fc.property(
        requestArb,
        fc.constantFrom<Role>('frontDesk', 'privacyOfficer', 'itAdmin'),
        fc.constantFrom('patient.clinical.read', 'patient.clinical.write') as fc.Arbitrary<Permission>,
        (r, role, action) => {
          const patientId = r.patientId ?? 'pat-1';
          const grants = [...r.activeGrants, { grantId: 'g', userId: r.user.userId, patientId }];
          expect(
            decide({
              ...r,
              user: { ...r.user, role },
              action,
              patientId,
              relationships: RELATIONSHIPS,
              activeGrants: grants,
            }),
          ).toEqual({ allowed: false, reason: 'role' });
        },
      ),
      RUNS,
    );
  });

  it('chart level matches the rules: full only with clinical read, restricted only for roles with demographics, never for IT or privacy', () => {
    fc.assert(
      fc.property(requestArb, fc.constantFrom(...PATIENTS), (r, patientId) => {
        const level = chartAccessLevel({ ...r, patientId });
        const clinical = oracle({ ...r, patientId, action: 'patient.clinical.read' }).allowed;
        const demographics = oracle({ ...r, patientId, action: 'patient.demographics.read' }).allowed;
        expect(level).toBe(clinical ? 'full' : demographics ? 'restricted' : 'none');
        if (r.user.role === 'itAdmin' || r.user.role === 'privacyOfficer') expect(level).toBe('none');
      }),
      RUNS,
    );
  });
});
