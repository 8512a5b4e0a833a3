/**
 * What central says the scope is (policy cache.scope, issue 15), validated before anything is
 * searched: a Group's active members each once, a CareTeam's patient; anything else refused
 * whole, by the rule broken and never naming a member.
 */
import { describe, expect, it } from 'vitest';
import { scopeCareTeamPatient, scopeMembersOf } from '../../src-shared/fhir/scope-group.ts';

const group = (member: unknown[]) => ({ resourceType: 'Group', id: 'panel', type: 'person', actual: true, member });
const patient = (id: string, extra: object = {}) => ({ entity: { reference: `Patient/${id}` }, ...extra });

describe('scope Group members', () => {
  it('are the active members, each once, sorted; a Group without members scopes to nobody', () => {
    expect(
      scopeMembersOf(group([patient('b'), patient('a'), patient('b'), patient('c', { inactive: true })]), 10),
    ).toEqual({ ok: true, members: ['a', 'b'] });
    expect(scopeMembersOf({ resourceType: 'Group', id: 'panel' }, 10)).toEqual({ ok: true, members: [] });
  });

  it('refuse the whole Group for a member that is not a relative Patient reference, or too many', () => {
    const bad: unknown[] = [
      group([patient('a'), { entity: { reference: 'Practitioner/x' } }]),
      group([patient('a'), { entity: { reference: 'https://elsewhere.example/fhir/Patient/a' } }]),
      group([{ entity: {} }]),
      { resourceType: 'Patient', id: 'panel' },
      null,
    ];
    for (const value of bad) {
      const read = scopeMembersOf(value, 10);
      expect(read.ok, JSON.stringify(value)).toBe(false);
      if (!read.ok) expect(read.problem).toMatch(/^The scope Group is not usable: /);
    }
    const tooMany = scopeMembersOf(group([patient('a'), patient('b'), patient('c')]), 2);
    expect(tooMany).toEqual({
      ok: false,
      problem: 'The scope Group lists 3 members, more than cache.scope.maxMembers (2).',
    });
    // The message names the rule, never a member.
    const named = scopeMembersOf(group([{ entity: { reference: 'Patient/has space' } }]), 10);
    expect(named.ok).toBe(false);
    if (!named.ok) expect(named.problem).not.toContain('has space');
  });
});

describe('scope CareTeam patient', () => {
  it("is the subject's patient id; a Group subject or none names nobody; anything else is refused", () => {
    const team = (subject?: unknown) => ({ resourceType: 'CareTeam', id: 'ct', ...(subject ? { subject } : {}) });
    expect(scopeCareTeamPatient(team({ reference: 'Patient/p1' }))).toEqual({ ok: true, patient: 'p1' });
    expect(scopeCareTeamPatient(team({ reference: 'Group/g1' }))).toEqual({ ok: true, patient: null });
    expect(scopeCareTeamPatient(team())).toEqual({ ok: true, patient: null });
    for (const subject of [{ reference: 'Practitioner/x' }, { reference: 'Patient/' }, { display: 'Someone' }]) {
      const read = scopeCareTeamPatient(team(subject));
      expect(read.ok, JSON.stringify(subject)).toBe(false);
    }
  });
});
