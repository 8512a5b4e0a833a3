/**
 * What central says the scope is (policy cache.scope, issue 15), validated before anything is
 * searched: a Group's active members each once, a CareTeam's patient; anything else refused
 * whole, by the rule broken and never naming a member.
 */
import { describe, expect, it } from 'vitest';
import {
  dateTimeRangeEnd,
  scopeCareTeamPatient,
  scopeLocationEncounterPatient,
  scopeMembersOf,
  scopeOrganizationPatient,
} from '../../src-shared/fhir/scope-group.ts';

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

describe('scope Patient and Encounter (organization and location scopes)', () => {
  it('a Patient is a member only of the Organization that manages it, and only while its record is in use', () => {
    const p = (extra: object) => ({ resourceType: 'Patient', id: 'p1', ...extra });
    const org = (id: string) => ({ managingOrganization: { reference: `Organization/${id}` } });
    expect(scopeOrganizationPatient(p(org('o1')), 'o1')).toEqual({ ok: true, patient: 'p1' });
    expect(scopeOrganizationPatient(p({ ...org('o1'), active: true }), 'o1')).toEqual({ ok: true, patient: 'p1' });
    expect(scopeOrganizationPatient(p({ ...org('o1'), active: false }), 'o1')).toEqual({ ok: true, patient: null });
    expect(scopeOrganizationPatient(p(org('o2')), 'o1')).toEqual({ ok: true, patient: null });
    expect(scopeOrganizationPatient(p({}), 'o1')).toEqual({ ok: true, patient: null });
    // "o1" is not "o10": the reference is compared whole.
    expect(scopeOrganizationPatient(p(org('o10')), 'o1')).toEqual({ ok: true, patient: null });
    expect(scopeOrganizationPatient(p({ managingOrganization: { reference: 'Location/o1' } }), 'o1').ok).toBe(false);
  });

  it("a dateTime's range ends after its year, month, day or instant", () => {
    expect(new Date(dateTimeRangeEnd('2026')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(dateTimeRangeEnd('2026-02')).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(new Date(dateTimeRangeEnd('2026-12')).toISOString()).toBe('2027-01-01T00:00:00.000Z');
    expect(new Date(dateTimeRangeEnd('2026-02-28')).toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(new Date(dateTimeRangeEnd('2026-02-28T23:30:00-01:00')).toISOString()).toBe('2026-03-01T00:30:00.001Z');
  });

  it('an Encounter reaching into the window by a partial end date counts; one ended before does not', () => {
    const since = Date.parse('2026-02-01T00:00:00Z');
    const e = (period: object) => ({
      resourceType: 'Encounter',
      subject: { reference: 'Patient/p1' },
      location: [{ location: { reference: 'Location/l1' } }, { location: { reference: 'Location/l2' } }],
      period,
    });
    expect(scopeLocationEncounterPatient(e({ end: '2026-02' }), 'l2', since)).toEqual({ ok: true, patient: 'p1' });
    expect(scopeLocationEncounterPatient(e({ end: '2026-01' }), 'l2', since)).toEqual({ ok: true, patient: null });
    expect(scopeLocationEncounterPatient(e({ start: '2020' }), 'l1', since)).toEqual({ ok: true, patient: 'p1' });
    expect(scopeLocationEncounterPatient(e({}), 'l1', since)).toEqual({ ok: true, patient: null });
    expect(scopeLocationEncounterPatient(e({ start: '2026-03' }), 'l3', since)).toEqual({ ok: true, patient: null });
  });
});
