import { z } from 'zod';
import { dateTime } from './primitives.ts';

/**
 * The FHIR Group that scopes the cache (policy cache.scope `{ kind: 'group' }`, issue 15), as
 * the pull reads it from central. Only what decides membership is modelled: each member's entity
 * (a relative `Patient/<id>` reference) and whether the membership is inactive. The Group is not
 * stored; its member ids decide which patients' records are searched. Central is not trusted:
 * a member that is not a patient reference makes the whole Group unusable (a typo there must not
 * silently shrink or widen what this workstation keeps), and how many members it may list is
 * bounded before anything is searched.
 */
const PatientMemberReference = z
  .string()
  .regex(/^Patient\/[A-Za-z0-9.-]{1,64}$/, 'must be a relative Patient reference (Patient/<id>)');

export const ScopeGroupMember = z.looseObject({
  entity: z.looseObject({ reference: PatientMemberReference }),
  inactive: z.boolean().optional(),
});

export const ScopeGroup = z.looseObject({
  resourceType: z.literal('Group'),
  id: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/),
  member: z.array(ScopeGroupMember).optional(),
});
export type ScopeGroup = z.infer<typeof ScopeGroup>;

/**
 * The ids of a scope Group's active members (each once, sorted), or why the Group cannot scope
 * the cache: not a Group, a member that is not a patient, or more members than `maxMembers`.
 * Messages name the rule broken and the Group's size, never a member.
 */
export function scopeMembersOf(
  value: unknown,
  maxMembers: number,
): { ok: true; members: string[] } | { ok: false; problem: string } {
  // Counted before the members are validated: a huge Group is refused without the work.
  const listed = (value as { member?: unknown } | null)?.member;
  if (Array.isArray(listed) && listed.length > maxMembers)
    return {
      ok: false,
      problem: `The scope Group lists ${listed.length} members, more than cache.scope.maxMembers (${maxMembers}).`,
    };
  const parsed = ScopeGroup.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      problem: `The scope Group is not usable: ${issue.path.join('.') || '(root)'}: ${issue.message}.`,
    };
  }
  const ids = new Set<string>();
  for (const member of parsed.data.member ?? [])
    if (member.inactive !== true) ids.add(member.entity.reference.slice('Patient/'.length));
  return { ok: true, members: [...ids].sort() };
}

/** A CareTeam's or an Encounter's subject as the scopes read it: a patient, or a Group (which names none). */
const ScopeSubject = z
  .looseObject({
    reference: z
      .string()
      .regex(/^(Patient|Group)\/[A-Za-z0-9.-]{1,64}$/, 'must be a relative Patient (or Group) reference'),
  })
  .optional();

/**
 * A CareTeam as the careTeam scope reads it (`CareTeam?participant=...&status=active`): only its
 * subject. A subject that is a Group (FHIR allows it) names no patient and is left out; a subject
 * reference that is neither makes the answer unusable, like a bad Group member.
 */
export const ScopeCareTeam = z.looseObject({
  resourceType: z.literal('CareTeam'),
  subject: ScopeSubject,
});

/** The patient a scope CareTeam is about, null when none; or why it cannot scope the cache. */
export function scopeCareTeamPatient(
  value: unknown,
): { ok: true; patient: string | null } | { ok: false; problem: string } {
  const parsed = ScopeCareTeam.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return {
      ok: false,
      problem: `A scope CareTeam is not usable: ${issue.path.join('.') || '(root)'}: ${issue.message}.`,
    };
  }
  const reference = parsed.data.subject?.reference;
  return { ok: true, patient: reference?.startsWith('Patient/') ? reference.slice('Patient/'.length) : null };
}

/** What a scope answer's resource is read as: the patient it makes a member, null for none. */
type ScopeRead = { ok: true; patient: string | null } | { ok: false; problem: string };

function unusable(what: string, error: z.ZodError): { ok: false; problem: string } {
  const issue = error.issues[0]!;
  return { ok: false, problem: `${what} is not usable: ${issue.path.join('.') || '(root)'}: ${issue.message}.` };
}

const RelativeReference = (type: string) =>
  z.looseObject({
    reference: z
      .string()
      .regex(new RegExp(`^${type}/[A-Za-z0-9.-]{1,64}$`), `must be a relative ${type} reference (${type}/<id>)`),
  });

/**
 * A Patient as the organization scope reads it (`Patient?organization=Organization/<id>`): its
 * id, whether the record is in active use, and the Organization that manages it. Nothing else is
 * read (the search asks `_elements` for these, but a server may send the whole record).
 */
export const ScopePatient = z.looseObject({
  resourceType: z.literal('Patient'),
  id: z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'must be a FHIR id'),
  active: z.boolean().optional(),
  managingOrganization: RelativeReference('Organization').optional(),
});

/**
 * The patient an organization scope's answer makes a member: the Patient's id when its
 * managingOrganization is `Organization/<organization>` and its record is not marked inactive
 * (`active: false`: FHIR's "not in active use", a record merged into another or a patient the
 * organization no longer looks after; a record without `active` counts as active, since many
 * servers leave it out). A Patient of another Organization, or of none, is no member: central
 * answered more than was asked (a server that ignores the parameter), which must not widen the
 * scope. A Patient that cannot be read (no id, a managingOrganization that is not a relative
 * Organization reference) makes the whole answer unusable, like a bad Group member.
 */
export function scopeOrganizationPatient(value: unknown, organization: string): ScopeRead {
  const parsed = ScopePatient.safeParse(value);
  if (!parsed.success) return unusable('A scope Patient', parsed.error);
  const { id, active, managingOrganization } = parsed.data;
  const member = managingOrganization?.reference === `Organization/${organization}` && active !== false;
  return { ok: true, patient: member ? id : null };
}

/** Encounter statuses that say the patient was not, and will not be, seen there. */
const NOT_SEEN = new Set(['cancelled', 'entered-in-error']);

/**
 * An Encounter as the location scope reads it (`Encounter?location=Location/<id>&date=ge...`):
 * its status, subject, locations and period. The period's bounds must be FHIR dateTimes: the
 * window is checked here again, not taken on central's word.
 */
export const ScopeEncounter = z.looseObject({
  resourceType: z.literal('Encounter'),
  status: z.string().optional(),
  subject: ScopeSubject,
  location: z.array(z.looseObject({ location: RelativeReference('Location') })).optional(),
  period: z.looseObject({ start: dateTime.optional(), end: dateTime.optional() }).optional(),
});

/**
 * The first instant after a FHIR dateTime's range: a date without a time covers its whole year,
 * month or day (read as UTC, as servers such as Medplum compare them), a full dateTime is its
 * own instant (plus a millisecond, so `>=` on the instant and `>` on the end agree).
 */
export function dateTimeRangeEnd(value: string): number {
  if (value.length > 10) return Date.parse(value) + 1;
  const [year, month, day] = value.split('-').map(Number) as [number, number?, number?];
  if (month === undefined) return Date.UTC(year + 1, 0, 1);
  if (day === undefined) return Date.UTC(year, month, 1);
  return Date.UTC(year, month - 1, day + 1);
}

/**
 * The patient a location scope's Encounter makes a member: its subject's id when the Encounter
 * names `Location/<location>` among its locations, was not cancelled or entered in error, and its
 * period reaches `sinceMs` or later: it ended at or after it, or it has a start and no end (in
 * progress, or planned: booked to start later). An Encounter without a period is in no window.
 * This is FHIR's `date=ge` on a Period (the Period's range overlaps the search's), checked here
 * whatever central matched. A Group subject names no patient; one that cannot be read makes the
 * answer unusable.
 */
export function scopeLocationEncounterPatient(value: unknown, location: string, sinceMs: number): ScopeRead {
  const parsed = ScopeEncounter.safeParse(value);
  if (!parsed.success) return unusable('A scope Encounter', parsed.error);
  const { status, subject, location: locations, period } = parsed.data;
  const reference = subject?.reference;
  if (!reference?.startsWith('Patient/')) return { ok: true, patient: null };
  if (status !== undefined && NOT_SEEN.has(status)) return { ok: true, patient: null };
  if (!locations?.some((entry) => entry.location.reference === `Location/${location}`))
    return { ok: true, patient: null };
  const inWindow = period?.end !== undefined ? dateTimeRangeEnd(period.end) > sinceMs : period?.start !== undefined;
  return { ok: true, patient: inWindow ? reference.slice('Patient/'.length) : null };
}
