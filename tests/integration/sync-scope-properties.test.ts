/**
 * The scoped pull's property (issue 15), over random scopes and histories: patients join and
 * leave the scope between rounds (the Group, the Organization's patients or the Location's
 * encounters, whichever says it), central creates and updates records (many at the same
 * millisecond), clinicians change records here. After every round the cache holds every current
 * member's records at central's version, the staff, and nothing of a patient who was never a
 * member, even from a central that answers a search with other patients' records; a pending local
 * change is never replaced or lost.
 *
 * Central here is a small fake in this file (a fetch function: the Group, the Organization's
 * patients and the Location's encounters, searches by `_id` or
 * `patient` with `_sort=_lastUpdated`, `_lastUpdated=ge`, `_count`/`_offset` paging, an empty
 * type history), so that many histories run in seconds; the real thing is dev central in
 * sync-scope.test.ts. The vault is real (SQLCipher, the keychain).
 *
 * Retention's property (cache.retentionDays) over the same histories, with days passing between
 * rounds and charts opened here, held or not (a chart not held is brought from central on demand,
 * chart/on-demand.ts): after each round's retention, nothing of a patient out of scope is stored
 * unless they were in scope or their chart was opened within retentionDays, or they have a change
 * not yet on central; a pending change is never evicted.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readResource } from '../../src-main/records/repository.ts';
import { queuedResourceIds, recordLocalChange } from '../../src-main/sync/outbox.ts';
import { pullAll, type PulledType } from '../../src-main/sync/pull.ts';
import { SCOPE_BATCH_SIZE } from '../../src-main/sync/scope.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail } from '../../src-main/audit/trail.ts';
import { recordChartView } from '../../src-main/records/retention-store.ts';
import { enforceRetention } from '../../src-main/sync/retention.ts';
import { createChartsOnDemand } from '../../src-main/chart/on-demand.ts';
import { CentralPolicy } from '../../src-shared/policy/schema.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import type { CacheScope } from '../../src-shared/policy/schema.ts';
import { keyStore } from '../support/keychain.ts';
import { openTempVault } from '../support/vault-fixture.ts';

const BASE = 'http://127.0.0.1:9/fhir';
const TYPES: readonly PulledType[] = ['Patient', 'Practitioner', 'Observation'];
type Stored = Record<string, unknown> & {
  resourceType: string;
  id: string;
  meta: { versionId: string; lastUpdated: string };
};

/** The fake central: its records, its Group, its clock (ms; writes often share one). */
/** `leaky`: a central that ignores the patient filter and answers with everyone's records. */
function fakeCentral(patients: number, leaky: boolean) {
  let now = Date.parse('2026-01-01T00:00:00Z');
  let version = 0;
  const store = new Map<string, Map<string, Stored>>(TYPES.map((t) => [t, new Map()]));
  const members = new Set<string>();
  const write = (resource: Record<string, unknown> & { resourceType: string; id: string }, tick: number) => {
    now += tick;
    const stored = { ...resource, meta: { versionId: String(++version), lastUpdated: new Date(now).toISOString() } };
    store.get(resource.resourceType)!.set(resource.id, stored);
    return stored;
  };
  const patientOf = (r: Stored) =>
    r.resourceType === 'Patient'
      ? r.id
      : ((r['subject'] as { reference?: string } | undefined)?.reference ?? '').slice(8);
  for (let i = 0; i < 3; i++)
    write({ resourceType: 'Practitioner', id: `prac-${i}`, name: [{ family: `Staff${i}` }] }, 0);
  for (let i = 0; i < patients; i++) write({ resourceType: 'Patient', id: `p${i}`, name: [{ family: `Test${i}` }] }, 1);
  let observations = 0;
  const observe = (patient: string, tick: number) =>
    write(
      {
        resourceType: 'Observation',
        id: `obs-${observations++}`,
        status: 'final',
        code: { text: 'Heart rate' },
        subject: { reference: `Patient/${patient}` },
        valueQuantity: { value: 60 + (observations % 40), unit: '/min' },
      },
      tick,
    );

  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), {
      status,
      headers: { 'content-type': 'application/fhir+json', date: new Date(now).toUTCString() },
    });

  const fetch = async (input: string | URL | Request): Promise<Response> => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    const path = url.pathname.slice(new URL(BASE).pathname.length + 1).split('/');
    if (path[0] === 'Group')
      return path[1] === 'panel'
        ? json({
            resourceType: 'Group',
            id: 'panel',
            type: 'person',
            actual: true,
            member: [...members].map((id) => ({ entity: { reference: `Patient/${id}` } })),
          })
        : json({ resourceType: 'OperationOutcome' }, 404);
    if (path[1] === '_history') return json({ resourceType: 'Bundle', type: 'history', entry: [] });
    const type = path[0]!;
    const q = url.searchParams;
    // The organization and location scopes' member searches: the members as the Organization's
    // patients, or as the subjects of encounters at the Location this year. A leaky central also
    // answers with every other patient, of another Organization or seen elsewhere or long ago.
    const everyone = [...store.get('Patient')!.keys()];
    const bundle = (resources: unknown[]) =>
      json({ resourceType: 'Bundle', type: 'searchset', entry: resources.map((resource) => ({ resource })) });
    if (type === 'Patient' && q.get('organization') === 'Organization/clinic')
      return bundle(
        everyone
          .filter((id) => leaky || members.has(id))
          .map((id) => ({
            resourceType: 'Patient',
            id,
            managingOrganization: { reference: `Organization/${members.has(id) ? 'clinic' : 'other'}` },
          })),
      );
    if (type === 'Encounter' && q.get('location') === 'Location/clinic')
      return bundle(
        everyone
          .filter((id) => leaky || members.has(id))
          .flatMap((id, i) => {
            const at = (location: string, period: object) => ({
              resourceType: 'Encounter',
              status: 'finished',
              subject: { reference: `Patient/${id}` },
              location: [{ location: { reference: `Location/${location}` } }],
              period,
            });
            if (members.has(id)) return [at('clinic', { start: '2026-01-01T10:00:00Z', end: '2026-01-01T10:30:00Z' })];
            return i % 2 === 0
              ? [at('elsewhere', { start: '2026-01-01T10:00:00Z' })]
              : [at('clinic', { end: '1960-01-01' })];
          }),
      );
    const ids = q.get('_id')?.split(',');
    const of = q.get('patient')?.split(',');
    // The scoped pull never asks more than a batch of patients at once.
    expect((ids ?? of ?? []).length).toBeLessThanOrEqual(SCOPE_BATCH_SIZE);
    const since = q.get('_lastUpdated')?.replace(/^ge/, '');
    const count = Number(q.get('_count') ?? 50);
    const offset = Number(q.get('_offset') ?? 0);
    const matches = [...(store.get(type)?.values() ?? [])]
      .filter((r) => leaky || ((!ids || ids.includes(r.id)) && (!of || of.includes(patientOf(r)))))
      .filter((r) => !since || Date.parse(r.meta.lastUpdated) >= Date.parse(since))
      .sort((a, b) => Date.parse(a.meta.lastUpdated) - Date.parse(b.meta.lastUpdated) || (a.id < b.id ? -1 : 1));
    const page = matches.slice(offset, offset + count);
    const next = new URL(url);
    next.searchParams.set('_offset', String(offset + count));
    return json({
      resourceType: 'Bundle',
      type: 'searchset',
      total: matches.length,
      link: offset + count < matches.length ? [{ relation: 'next', url: next.href }] : [],
      entry: page.map((resource) => ({ resource })),
    });
  };

  return {
    fetch: fetch as typeof globalThis.fetch,
    members,
    store,
    patientOf,
    observe,
    update(id: string, tick: number) {
      const current = store.get('Observation')!.get(id)!;
      write({ ...current, note: [{ text: `Central edit ${version}` }] }, tick);
    },
  };
}

type Step =
  | { op: 'join' | 'leave'; patient: number }
  | { op: 'observe'; patient: number; tick: number }
  | { op: 'update'; observation: number; tick: number }
  | { op: 'local'; observation: number };

const PATIENTS = 8;
/** Between writes: none (the same millisecond), a little, past the pull's overlap, a minute. */
const tick = fc.constantFrom(0, 1, 2_500, 60_000);
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ op: fc.constantFrom('join' as const, 'leave' as const), patient: fc.nat(PATIENTS - 1) }),
  fc.record({ op: fc.constant('observe' as const), patient: fc.nat(PATIENTS - 1), tick }),
  fc.record({ op: fc.constant('update' as const), observation: fc.nat(40), tick }),
  fc.record({ op: fc.constant('local' as const), observation: fc.nat(40) }),
);

describe('scoped pull, over random scopes and histories', () => {
  it("keeps every member's records and the staff, never a non-member's, never a pending change replaced", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.nat(PATIENTS - 1), { maxLength: PATIENTS }),
        fc.array(fc.nat(PATIENTS - 1), { maxLength: 12 }),
        fc.array(fc.array(step, { maxLength: 8 }), { minLength: 1, maxLength: 4 }),
        fc.integer({ min: 2, max: 6 }),
        fc.boolean(),
        // How central says who is in scope: a Group, an Organization's patients, a Location's encounters.
        fc.constantFrom<CacheScope>(
          { kind: 'group', group: 'panel', maxMembers: 100 },
          { kind: 'organization', organization: 'clinic', maxMembers: 100 },
          { kind: 'location', location: 'clinic', withinDays: 3650, maxMembers: 100 },
        ),
        async (initial, firstObservations, rounds, pageSize, leaky, scope) => {
          const central = fakeCentral(PATIENTS, leaky);
          for (const i of initial) central.members.add(`p${i}`);
          for (const i of firstObservations) central.observe(`p${i}`, 0);
          const { vault, close } = await openTempVault({ prefix: 'clinic-scope-prop-' });
          try {
            const ever = new Set(central.members);
            /** What a clinician changed here and not yet sent: id -> the note they wrote. */
            const local = new Map<string, string>();
            for (const steps of rounds) {
              for (const s of steps) {
                const obs = [...central.store.get('Observation')!.keys()];
                if (s.op === 'join') central.members.add(`p${s.patient}`);
                if (s.op === 'leave') central.members.delete(`p${s.patient}`);
                if (s.op === 'observe') central.observe(`p${s.patient}`, s.tick);
                if (s.op === 'update' && obs.length > 0) central.update(obs[s.observation % obs.length]!, s.tick);
                if (s.op === 'local' && obs.length > 0) {
                  // Only what this workstation holds can be changed here.
                  const id = obs[s.observation % obs.length]!;
                  const held = readResource(vault.db, 'Observation', id);
                  if (!held) continue;
                  const note = `Local edit ${local.size}`;
                  recordLocalChange(vault.db, { ...held, note: [{ text: note }] } as FhirResource, 'nurse1', {
                    now: () => 1,
                  });
                  local.set(id, note);
                }
              }
              for (const id of central.members) ever.add(id);
              const results = await pullAll({
                db: vault.db,
                fhirBaseUrl: BASE,
                accessToken: 'token',
                allowLoopbackHttp: true,
                fetch: central.fetch,
                clock: { now: () => 2 },
                logger: createMemoryLogger(),
                types: TYPES,
                pageSize,
                scope,
              });
              for (const type of TYPES) expect(results[type].failed, type).toBeNull();

              // Every current member's records and the staff, at central's version (or the local change).
              for (const type of TYPES)
                for (const resource of central.store.get(type)!.values()) {
                  const owner = central.patientOf(resource);
                  if (type !== 'Practitioner' && !central.members.has(owner)) continue;
                  const held = readResource(vault.db, type, resource.id) as Stored | null;
                  expect(held, `${type}/${resource.id}`).not.toBeNull();
                  if (local.has(resource.id)) continue;
                  expect(held!.meta.versionId, `${type}/${resource.id}`).toBe(resource.meta.versionId);
                }
              // Nothing of a patient never in the Group.
              const owners = vault.db
                .prepare('SELECT DISTINCT patient_id FROM resources WHERE patient_id IS NOT NULL')
                .pluck()
                .all() as string[];
              for (const owner of owners) expect(ever.has(owner), owner).toBe(true);
              // Every pending change is still what the cache holds, still queued.
              const queued = queuedResourceIds(vault.db, 'Observation');
              for (const [id, note] of local) {
                expect(queued.has(id), id).toBe(true);
                const held = readResource(vault.db, 'Observation', id) as { note?: { text: string }[] };
                expect(held.note?.[0]?.text, id).toBe(note);
              }
            }
          } finally {
            await close();
          }
        },
      ),
      { numRuns: 30 },
    );
  }, 120_000);

  it('retention: out of scope, kept only while in scope or opened within retentionDays, or with a change not yet sent', async () => {
    const DAY = 86_400_000;
    const RETENTION_DAYS = 5;
    const scope = { kind: 'group' as const, group: 'panel', maxMembers: 100 };
    type Round = { steps: Step[]; days: number; views: number[] };
    const round: fc.Arbitrary<Round> = fc.record({
      // Local changes and departures often enough that a pending change meets retention.
      steps: fc.array(fc.oneof(step, fc.record({ op: fc.constant('local' as const), observation: fc.nat(40) })), {
        maxLength: 8,
      }),
      days: fc.constantFrom(0, 1, 3, 6, 12),
      views: fc.array(fc.nat(PATIENTS - 1), { maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(fc.nat(PATIENTS - 1), { maxLength: PATIENTS }),
        fc.array(fc.nat(PATIENTS - 1), { maxLength: 12 }),
        fc.array(round, { minLength: 2, maxLength: 5 }),
        async (initial, firstObservations, rounds) => {
          const central = fakeCentral(PATIENTS, false);
          for (const i of initial) central.members.add(`p${i}`);
          for (const i of firstObservations) central.observe(`p${i}`, 0);
          const { vault, dataDir, close } = await openTempVault({ prefix: 'clinic-retention-prop-' });
          let now = Date.parse('2026-03-01T00:00:00Z');
          const clock = { now: () => now };
          try {
            const trail = createAuditTrail(vault.db, await loadAuditKey(keyStore, dataDir, vault.db), clock);
            const onDemand = createChartsOnDemand({
              db: () => vault.db,
              trail: () => trail,
              clock,
              central: CentralPolicy.parse({
                fhirBaseUrl: BASE,
                issuer: 'http://127.0.0.1:9/idp',
                clientId: 'clinic-workstation',
                allowLoopbackHttp: true,
                roleMap: { nurse: 'nurse' },
              }),
              accessToken: () => 'token',
              scopeIsAll: false,
              fetch: central.fetch,
            });
            const nurse = { userId: 'nurse1', role: 'nurse' as const, practitionerId: null, locked: false };
            /** When each patient was last in scope at a round, or opened here. */
            const lastNeeded = new Map<string, number>();
            const local = new Map<string, string>();
            for (const r of rounds) {
              now += r.days * DAY;
              for (const s of r.steps) {
                const obs = [...central.store.get('Observation')!.keys()];
                if (s.op === 'join') central.members.add(`p${s.patient}`);
                if (s.op === 'leave') central.members.delete(`p${s.patient}`);
                if (s.op === 'observe') central.observe(`p${s.patient}`, s.tick);
                if (s.op === 'local' && obs.length > 0) {
                  const id = obs[s.observation % obs.length]!;
                  const held = readResource(vault.db, 'Observation', id);
                  if (!held) continue;
                  const note = `Local edit ${local.size}`;
                  recordLocalChange(vault.db, { ...held, note: [{ text: note }] } as FhirResource, 'nurse1', clock);
                  local.set(id, note);
                }
              }
              // Charts opened here, as patients.open does: one not held (or out of scope) brought from
              // central first, the whole chart (this user may see it).
              for (const i of r.views) {
                await onDemand.prepareOpen(nurse, `p${i}`, () => true);
                expect(readResource(vault.db, 'Patient', `p${i}`), `p${i} opened`).not.toBeNull();
                recordChartView(vault.db, `p${i}`, now);
                lastNeeded.set(`p${i}`, Math.max(lastNeeded.get(`p${i}`) ?? 0, now));
              }
              await pullAll({
                db: vault.db,
                fhirBaseUrl: BASE,
                accessToken: 'token',
                allowLoopbackHttp: true,
                fetch: central.fetch,
                clock,
                logger: createMemoryLogger(),
                types: TYPES,
                pageSize: 4,
                scope,
              });
              for (const id of central.members) lastNeeded.set(id, now);
              enforceRetention({
                db: vault.db,
                trail,
                scope,
                retentionDays: RETENTION_DAYS,
                clock,
                logger: createMemoryLogger(),
              });

              const unsent = new Set(
                [...local.keys()].map((id) => central.patientOf(central.store.get('Observation')!.get(id)!)),
              );
              const owners = vault.db
                .prepare('SELECT DISTINCT patient_id FROM resources WHERE patient_id IS NOT NULL')
                .pluck()
                .all() as string[];
              for (const owner of owners) {
                if (central.members.has(owner) || unsent.has(owner)) continue;
                expect(now - (lastNeeded.get(owner) ?? -Infinity), owner).toBeLessThanOrEqual(RETENTION_DAYS * DAY);
              }
              // Every current member is held whole (their Patient at least), and no pending change is lost.
              for (const id of central.members) expect(readResource(vault.db, 'Patient', id), id).not.toBeNull();
              const queued = queuedResourceIds(vault.db, 'Observation');
              for (const [id, note] of local) {
                expect(queued.has(id), id).toBe(true);
                const held = readResource(vault.db, 'Observation', id) as { note?: { text: string }[] };
                expect(held.note?.[0]?.text, id).toBe(note);
              }
            }
          } finally {
            await close();
          }
        },
      ),
      { numRuns: 40 },
    );
  }, 120_000);
});
