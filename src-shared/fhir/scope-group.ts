import { z } from 'zod';

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

/**
 * A CareTeam as the careTeam scope reads it (`CareTeam?participant=...&status=active`): only its
 * subject. A subject that is a Group (FHIR allows it) names no patient and is left out; a subject
 * reference that is neither makes the answer unusable, like a bad Group member.
 */
export const ScopeCareTeam = z.looseObject({
  resourceType: z.literal('CareTeam'),
  subject: z
    .looseObject({
      reference: z
        .string()
        .regex(/^(Patient|Group)\/[A-Za-z0-9.-]{1,64}$/, 'must be a relative Patient (or Group) reference'),
    })
    .optional(),
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
