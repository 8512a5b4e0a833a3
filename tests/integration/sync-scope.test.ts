/**
 * The scoped pull (policy cache.scope `{ kind: 'group' }`, issue 15) against dev central over
 * real HTTP into a real vault: only the clinic panel Group's members' records and the staff are
 * kept, counted against central's own answers (and with a careTeam scope, the patients of a
 * practitioner's care teams; with an organization scope, the patients an Organization manages,
 * not one marked inactive; with a location scope, those seen at a Location within withinDays
 * days or booked there, not a cancelled visit's); a patient added to the Group is pulled whole in
 * the next round (not from the others' cursors); a pending local change is left as it is; a
 * Group central cannot give leaves the patient types as they are, with a clear failure; what
 * central deleted of the members leaves at the next delete sweep, without any type's whole
 * history being asked (everyone's PHI, refused by most EHR APIs), never a record with a change
 * waiting.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLINIC_PANEL_GROUP } from '../../dev/central/central.ts';
import { readResource } from '../../src-main/records/repository.ts';
import { queuedResourceIds, recordLocalChange } from '../../src-main/sync/outbox.ts';
import { PULLED_TYPES, pullAll, type PullOptions } from '../../src-main/sync/pull.ts';
import { SCOPE_PARAMETER } from '../../src-main/sync/scope.ts';
import { SWEEP_INTERVAL_MS } from '../../src-main/sync/scope-deletes.ts';
import { systemClock, systemTimers } from '../../src-main/ports.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { createSyncEngine } from '../../src-main/sync/engine.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import { CacheScope } from '../../src-shared/policy/schema.ts';
import { fhirFetch, type Central } from '../support/central.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

let sync: SignedInSync;
let central: Central;
let token: string;
let vault: Vault;
let close: () => Promise<void>;

const scope = CacheScope.parse({ kind: 'group', group: CLINIC_PANEL_GROUP }) as Extract<CacheScope, { kind: 'group' }>;

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 24, seed: 31 }, user: 'nurse1' });
  ({ central, token } = sync);
});
afterAll(() => sync?.close());
beforeEach(async () => {
  ({ vault, close } = await sync.openTempVault({ prefix: 'clinic-sync-scope-' }));
});
afterEach(() => close());

// Small pages and a small batch of patients per search would hide nothing: pages of 7.
const options = (extra: Partial<PullOptions> = {}): PullOptions =>
  sync.pullOptions(vault.db, { pageSize: 7, scope, ...extra });

interface Group {
  resourceType: 'Group';
  id: string;
  member?: { entity: { reference: string } }[];
  [key: string]: unknown;
}

async function readGroup(): Promise<Group> {
  return (await (await fhirFetch(central, token, `Group/${CLINIC_PANEL_GROUP}`)).json()) as Group;
}
const membersOf = (group: Group) => (group.member ?? []).map((m) => m.entity.reference.slice('Patient/'.length));

async function putGroup(group: Group): Promise<void> {
  const put = await fhirFetch(central, token, `Group/${group.id}`, { method: 'PUT', body: JSON.stringify(group) });
  expect(put.status).toBe(200);
}

/** Central's count of a type's resources, of these patients only when given. */
async function centralCount(type: string, patients?: readonly string[]): Promise<number> {
  const parameter = SCOPE_PARAMETER[type as keyof typeof SCOPE_PARAMETER];
  const filter = patients && parameter ? `&${parameter}=${patients.join(',')}` : '';
  const response = await fhirFetch(central, token, `${type}?_summary=count${filter}`);
  return ((await response.json()) as { total: number }).total;
}

const cached = (type: string): { id: string; patient_id: string | null }[] =>
  vault.db.prepare('SELECT id, patient_id FROM resources WHERE type = ?').all(type) as {
    id: string;
    patient_id: string | null;
  }[];

/**
 * The database, counting its top-level commits (a transaction run when none is open): the real
 * connection, every call passed through.
 */
function countingCommits(db: Vault['db']): { db: Vault['db']; commits: () => number } {
  let commits = 0;
  const counted =
    <A extends unknown[], R>(run: (...args: A) => R) =>
    (...args: A): R => {
      const top = !db.inTransaction;
      const value = run(...args);
      if (top) commits++;
      return value;
    };
  const proxy = new Proxy(db, {
    get(target, key) {
      if (key === 'transaction')
        return (fn: (...args: unknown[]) => unknown) => {
          const tx = target.transaction(fn);
          return Object.assign(counted(tx), {
            immediate: counted(tx.immediate),
            deferred: counted(tx.deferred),
            exclusive: counted(tx.exclusive),
            default: counted(tx.default),
          });
        };
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db: proxy, commits: () => commits };
}

async function allPatientIds(): Promise<string[]> {
  const bundle = (await (await fhirFetch(central, token, 'Patient?_count=1000&_elements=id')).json()) as {
    entry: { resource: { id: string } }[];
  };
  return bundle.entry.map((e) => e.resource.id);
}

const DAY = 86_400_000;

interface PatientRow {
  resourceType: 'Patient';
  id: string;
  active?: boolean;
  managingOrganization?: { reference: string };
  [key: string]: unknown;
}
interface EncounterRow {
  id: string;
  subject: { reference: string };
  location?: { location: { reference: string } }[];
  period?: { start?: string; end?: string };
}

/** Every resource of a type at central, as central holds it (one page: the clinic is small). */
async function allOf<T>(type: string): Promise<T[]> {
  const bundle = (await (await fhirFetch(central, token, `${type}?_count=1000`)).json()) as {
    entry?: { resource: T }[];
    link?: { relation: string }[];
  };
  expect(bundle.link?.some((l) => l.relation === 'next') ?? false, `${type}: more than a page`).toBe(false);
  return (bundle.entry ?? []).map((e) => e.resource);
}
const allPatients = () => allOf<PatientRow>('Patient');

async function putResource(resource: {
  resourceType: string;
  id: string;
  meta?: unknown;
  [key: string]: unknown;
}): Promise<void> {
  const { meta: _meta, ...body } = resource;
  const put = await fhirFetch(central, token, `${resource.resourceType}/${resource.id}`, {
    method: 'PUT',
    body: JSON.stringify(body),
  });
  expect(put.status, await put.clone().text()).toBeLessThan(300);
}

async function expectExactlyScope(members: readonly string[]): Promise<void> {
  const inScope = new Set(members);
  for (const type of PULLED_TYPES) {
    const rows = cached(type);
    if (SCOPE_PARAMETER[type] === null) {
      expect(rows.length, type).toBe(await centralCount(type));
      continue;
    }
    expect(rows.length, type).toBe(await centralCount(type, members));
    expect(
      rows.filter((row) => !inScope.has(row.patient_id ?? '')),
      type,
    ).toEqual([]);
  }
}

describe('scoped pull (cache.scope)', () => {
  it("keeps only the Group's members' records and the staff, as central counts them; again, nothing new", async () => {
    const members = membersOf(await readGroup());
    const everyone = await allPatientIds();
    // The panel is a real subset: some patients are out of scope.
    expect(members.length).toBeGreaterThan(1);
    expect(members.length).toBeLessThan(everyone.length);

    const first = await pullAll(options());
    for (const type of PULLED_TYPES) expect(first[type].failed, type).toBeNull();
    await expectExactlyScope(members);
    expect(cached('Observation').length).toBeGreaterThan(0);
    // Nothing of a patient outside the Group, not even their Patient resource.
    const outside = everyone.filter((id) => !members.includes(id));
    for (const id of outside) expect(readResource(vault.db, 'Patient', id), id).toBeNull();

    const again = await pullAll(options());
    for (const type of PULLED_TYPES) expect(again[type].stored, type).toBe(0);
  });

  it('pulls a patient added to the Group whole in the next round, and leaves a pending local change as it is', async () => {
    const group = await readGroup();
    const members = membersOf(group);
    await pullAll(options());

    // A member's condition changed here, not yet pushed, then changed at central too.
    const conditions = (await (
      await fhirFetch(central, token, `Condition?patient=${members.join(',')}&_count=1`)
    ).json()) as { entry: { resource: FhirResource & { id: string } }[] };
    const condition = conditions.entry[0]!.resource;
    const local = { ...condition, note: [{ text: 'Local note, not yet sent.' }] } as FhirResource;
    recordLocalChange(vault.db, local, 'nurse1', systemClock);
    const put = await fhirFetch(central, token, `Condition/${condition.id}`, {
      method: 'PUT',
      body: JSON.stringify({ ...condition, note: [{ text: 'Changed at central.' }] }),
    });
    expect(put.status).toBe(200);

    // A patient joins the panel: their records are older than every cursor the members have.
    const newcomer = (await allPatientIds()).find((id) => !members.includes(id))!;
    const newcomerObservations = await centralCount('Observation', [newcomer]);
    expect(newcomerObservations).toBeGreaterThan(0);
    await putGroup({ ...group, member: [...(group.member ?? []), { entity: { reference: `Patient/${newcomer}` } }] });

    const next = await pullAll(options());
    for (const type of PULLED_TYPES) expect(next[type].failed, type).toBeNull();
    await expectExactlyScope([...members, newcomer]);
    expect(cached('Observation').filter((row) => row.patient_id === newcomer).length).toBe(newcomerObservations);
    // Only the newcomer's records are new: the members sharing their batch are not stored again.
    expect(next.Observation.stored).toBe(newcomerObservations);
    expect(next.Patient.stored).toBe(1);
    expect(readResource(vault.db, 'Patient', newcomer)).not.toBeNull();
    // The local change is what the cache holds, still queued: its push meets central's version.
    const kept = readResource(vault.db, 'Condition', condition.id) as { note?: { text: string }[] };
    expect(kept.note?.[0]?.text).toBe('Local note, not yet sent.');
    expect(queuedResourceIds(vault.db, 'Condition').has(condition.id)).toBe(true);

    // Put back for the other tests (the Group as seeded).
    await putGroup(group);
  });

  it("the sync engine's rounds (pages read in the worker thread) keep the same scope", async () => {
    const members = membersOf(await readGroup());
    const engine = createSyncEngine({
      db: () => vault.db,
      fhirBaseUrl: central.fhirBaseUrl,
      allowLoopbackHttp: true,
      accessToken: () => token,
      tokenFor: () => Promise.resolve({ token }),
      clock: systemClock,
      timers: systemTimers,
      logger: createMemoryLogger(),
      onChange: () => undefined,
      intervalMs: 3_600_000,
      pageSize: 7,
      scope,
    });
    try {
      const status = await engine.syncNow();
      expect(status.connection).toBe('online');
      expect(status.problem).toBeNull();
      await expectExactlyScope(members);
    } finally {
      await engine.stop();
    }
  });

  it('commits the searches of a pull read in the worker together, not one transaction each, and counts what each stored', async () => {
    // Every patient in the Group: a search per type (pages of 7), where a panel of thousands
    // makes hundreds of small ones (a commit each was most of the first scoped pull's time).
    const everyone = await allPatientIds();
    const group = await readGroup();
    await putGroup({ ...group, member: everyone.map((id) => ({ entity: { reference: `Patient/${id}` } })) });
    try {
      const counted = countingCommits(vault.db);
      const searches = PULLED_TYPES.length;
      const result = await pullAll(options({ db: counted.db, inWorker: true }));
      await expectExactlyScope(everyone);
      for (const type of PULLED_TYPES) {
        expect(result[type].failed, type).toBeNull();
        expect(result[type].stored, type).toBe(cached(type).length);
      }
      // Everything fits in one commit of PULL_COMMIT_SIZE, besides the Group's members recorded
      // and the journal mode's switches.
      expect(counted.commits()).toBeLessThanOrEqual(3);
      expect(searches).toBe(10);
    } finally {
      await putGroup(group);
    }
  });

  it("with a careTeam scope, keeps the patients of the practitioner's active care teams and the staff", async () => {
    const physician = central.users.find((user) => user.username === 'physician2')!;
    const teams = (await (
      await fhirFetch(central, token, `CareTeam?participant=Practitioner/${physician.practitionerId}&_count=1000`)
    ).json()) as { entry?: { resource: { subject: { reference: string } } }[] };
    const members = [...new Set((teams.entry ?? []).map((e) => e.resource.subject.reference.slice(8)))];
    expect(members.length).toBeGreaterThan(1);
    expect(members.length).toBeLessThan((await allPatientIds()).length);
    const careTeam = CacheScope.parse({ kind: 'careTeam', practitioners: [physician.practitionerId] });
    const results = await pullAll(options({ scope: careTeam }));
    for (const type of PULLED_TYPES) expect(results[type].failed, type).toBeNull();
    await expectExactlyScope(members);
  });

  it("finds what central deleted of the members without asking a type's whole history; a change waiting is kept", async () => {
    let now = Date.now();
    const clock = { now: () => now };
    const historyAsked = central.faults.inject({
      kind: 'status',
      status: 403,
      path: /\/(Patient|CareTeam|Encounter|Condition|AllergyIntolerance|MedicationRequest|Observation|DocumentReference)\/_history/,
      times: Infinity,
    });
    try {
      await pullAll(options({ clock }));
      const members = new Set(membersOf(await readGroup()));
      const [gone, waiting] = cached('Observation').filter((r) => r.patient_id !== null && members.has(r.patient_id));
      expect(waiting, 'two observations of members are cached').toBeDefined();
      const held = readResource(vault.db, 'Observation', waiting!.id)!;
      recordLocalChange(
        vault.db,
        { ...held, note: [{ text: 'Synthetic: local change' }] } as FhirResource,
        'nurse1',
        clock,
      );
      for (const { id } of [gone!, waiting!])
        expect((await fhirFetch(central, token, `Observation/${id}`, { method: 'DELETE' })).ok).toBe(true);

      // Not yet due: the sweep lists the scope once every SWEEP_INTERVAL_MS.
      now += 60_000;
      expect((await pullAll(options({ clock }))).Observation.deleted).toBe(0);
      expect(readResource(vault.db, 'Observation', gone!.id)).not.toBeNull();

      now += SWEEP_INTERVAL_MS;
      const swept = await pullAll(options({ clock }));
      expect(swept.Observation.deleted).toBe(1);
      expect(readResource(vault.db, 'Observation', gone!.id)).toBeNull();
      expect(readResource(vault.db, 'Observation', waiting!.id)).not.toBeNull();
      expect(queuedResourceIds(vault.db, 'Observation').has(waiting!.id)).toBe(true);
      for (const type of PULLED_TYPES) expect(swept[type].failed, type).toBeNull();
      expect(historyAsked.hits, 'no scoped type history asked').toBe(0);
    } finally {
      historyAsked.remove();
    }
  });

  it('with an organization scope, keeps the patients the Organization manages (not those marked inactive) and the staff', async () => {
    const everyone = await allPatients();
    const organization = 'org-0001';
    const managed = everyone.filter((p) => p.managingOrganization?.reference === `Organization/${organization}`);
    expect(managed.length).toBeGreaterThan(2);
    expect(managed.length).toBeLessThan(everyone.length);
    // One of them is marked not in active use at central (say, merged into another record).
    const retired = managed[0]!;
    await putResource({ ...retired, active: false });
    try {
      const members = managed.slice(1).map((p) => p.id);
      const scoped = CacheScope.parse({ kind: 'organization', organization }) as Extract<
        CacheScope,
        { kind: 'organization' }
      >;
      const results = await pullAll(options({ scope: scoped }));
      for (const type of PULLED_TYPES) expect(results[type].failed, type).toBeNull();
      await expectExactlyScope(members);
      expect(readResource(vault.db, 'Patient', retired.id)).toBeNull();
      // Bounded like a Group: more patients than maxMembers are refused, not cut to a part.
      const { vault: other, close: closeOther } = await sync.openTempVault({ prefix: 'clinic-sync-scope-org-' });
      try {
        const bounded = await pullAll(
          sync.pullOptions(other.db, { pageSize: 7, scope: { ...scoped, maxMembers: members.length - 1 } }),
        );
        expect(bounded.Observation.failed).toBe(
          `The scope Organization's patients name more than cache.scope.maxMembers (${members.length - 1}) patients.`,
        );
        expect(other.db.prepare("SELECT count(*) AS n FROM resources WHERE type = 'Observation'").get()).toEqual({
          n: 0,
        });
      } finally {
        await closeOther();
      }
    } finally {
      await putResource(retired);
    }
  });

  it('with a location scope, keeps the subjects of encounters there within withinDays days, in progress or planned', async () => {
    const location = 'loc-0002';
    const here = (await allOf<EncounterRow>('Encounter')).filter((e) =>
      e.location?.some((l) => l.location.reference === `Location/${location}`),
    );
    // A window that ends halfway through this Location's encounters (all of them years ago).
    const today = Math.floor(Date.now() / DAY) * DAY;
    const ends = here.map((e) => Date.parse(e.period!.end!)).sort((a, b) => a - b);
    const withinDays = Math.ceil((today - ends[Math.floor(ends.length / 2)]!) / DAY);
    const since = today - withinDays * DAY;
    const seenThere = new Set(
      here.filter((e) => Date.parse(e.period!.end!) >= since).map((e) => e.subject.reference.slice(8)),
    );
    const everSeen = new Set(here.map((e) => e.subject.reference.slice(8)));
    expect(seenThere.size).toBeGreaterThan(1);
    expect(seenThere.size).toBeLessThan(everSeen.size);
    // A visit booked there for a patient not seen there lately, and one cancelled for another.
    const [booked, cancelled] = (await allPatients()).map((p) => p.id).filter((id) => !seenThere.has(id));
    const visit = (id: string, patient: string, status: string) => ({
      resourceType: 'Encounter',
      id,
      status,
      class: { system: 'http://terminology.hl7.org/CodeSystem/v3-ActCode', code: 'AMB' },
      subject: { reference: `Patient/${patient}` },
      period: { start: new Date(Date.now() + 7 * DAY).toISOString() },
      location: [{ location: { reference: `Location/${location}` } }],
    });
    await putResource(visit('enc-booked-scope', booked!, 'planned'));
    await putResource(visit('enc-cancelled-scope', cancelled!, 'cancelled'));
    try {
      const scoped = CacheScope.parse({ kind: 'location', location, withinDays });
      const results = await pullAll(options({ scope: scoped }));
      for (const type of PULLED_TYPES) expect(results[type].failed, type).toBeNull();
      await expectExactlyScope([...seenThere, booked!]);
      expect(readResource(vault.db, 'Patient', booked!)).not.toBeNull();
      expect(readResource(vault.db, 'Patient', cancelled!)).toBeNull();
    } finally {
      for (const id of ['enc-booked-scope', 'enc-cancelled-scope'])
        expect((await fhirFetch(central, token, `Encounter/${id}`, { method: 'DELETE' })).ok).toBe(true);
    }
  });

  it('a Group central cannot give leaves the patient types as they are, says why, and still pulls the staff', async () => {
    const missing = await pullAll(options({ scope: CacheScope.parse({ kind: 'group', group: 'no-such-group' }) }));
    for (const type of PULLED_TYPES) {
      if (SCOPE_PARAMETER[type] === null) {
        expect(missing[type].failed, type).toBeNull();
        expect(cached(type).length, type).toBe(await centralCount(type));
      } else {
        expect(missing[type].failed, type).toMatch(/scope Group .*not on central/);
        expect(cached(type).length, type).toBe(0);
      }
    }
    // More members than the policy allows: refused, not cut to a subset.
    const tooMany = await pullAll(options({ scope: { ...scope, maxMembers: 1 } }));
    expect(tooMany.Observation.failed).toMatch(/more than cache\.scope\.maxMembers \(1\)/);
    expect(cached('Observation').length).toBe(0);
  });
});
