/**
 * Reading an Organization's or a Location's patients (policy cache.scope, issue 15) from a
 * central over real HTTP on loopback that answers as each test says: the search asked, the
 * members as checked here again (another Organization's patient, an Encounter elsewhere or
 * outside the window is nobody's membership), and the scope refused whole for an answer that
 * cannot be read, too many members or too many pages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';
import { locationScopeSince, readScopeMembers } from '../../src-main/sync/scope.ts';
import { CacheScope } from '../../src-shared/policy/schema.ts';
import { sendBundle, startHostileCentral, type HostileCentral } from '../support/hostile-central.ts';

let central: HostileCentral;
beforeAll(async () => {
  central = await startHostileCentral();
});
afterAll(() => central.close());

/** 2026-03-10T15:00Z: a location scope of 30 days looks from 2026-02-08T00:00Z. */
const NOW = Date.parse('2026-03-10T15:00:00Z');

const read = (scope: unknown, maxPages = DEFAULT_PAGE_LIMITS.maxPages) =>
  readScopeMembers(CacheScope.parse(scope) as Exclude<CacheScope, { kind: 'all' }>, {
    fhirBaseUrl: central.fhirBaseUrl,
    accessToken: 'token',
    allowLoopbackHttp: true,
    retry: { attempts: 1 },
    limits: { ...DEFAULT_PAGE_LIMITS, maxPages },
    clock: { now: () => NOW },
  });

/** Serves these pages in turn (each a list of resources), linked by next links. */
function servePages(pages: unknown[][]): void {
  central.serve((_request, url, response) => {
    const page = Number(url.searchParams.get('page') ?? 0);
    const next = new URL(url);
    next.searchParams.set('page', String(page + 1));
    sendBundle(response, pages[page] ?? [], page + 1 < pages.length ? { next: next.href } : {});
  });
}

const lastQuery = () => new URL(central.requests.at(-1)!, 'http://x').searchParams;

const patient = (id: string, organization?: string, extra: object = {}) => ({
  resourceType: 'Patient',
  id,
  ...(organization ? { managingOrganization: { reference: `Organization/${organization}` } } : {}),
  ...extra,
});

describe('organization scope members', () => {
  const scope = { kind: 'organization', organization: 'org-1' };

  it("asks for the Organization's patients and keeps those it manages, in active use, each once, sorted", async () => {
    servePages([
      [
        patient('p3', 'org-1'),
        patient('p1', 'org-1', { active: true }),
        // A server that ignores the parameter, or answers too much: not members.
        patient('p9', 'org-2'),
        patient('p8'),
        // Not in active use (merged, or no longer looked after there).
        patient('p7', 'org-1', { active: false }),
        { resourceType: 'OperationOutcome', issue: [{ severity: 'information', code: 'informational' }] },
      ],
      [patient('p2', 'org-1', { name: [{ family: 'Whole record' }] }), patient('p1', 'org-1')],
    ]);
    expect(await read(scope)).toEqual({ ok: true, members: ['p1', 'p2', 'p3'] });
    const first = new URL(central.requests.at(-2)!, 'http://x');
    expect(first.pathname).toBe('/fhir/R4/Patient');
    expect(first.searchParams.get('organization')).toBe('Organization/org-1');
    expect(first.searchParams.get('_elements')).toBe('active,managingOrganization');
    expect(first.searchParams.get('_count')).toBe('1000');
    expect(first.searchParams.has('active')).toBe(false);
  });

  it('refuses the whole answer for a Patient it cannot read, never naming it', async () => {
    const bad: unknown[] = [
      { resourceType: 'Patient' },
      patient('has space', 'org-1'),
      {
        resourceType: 'Patient',
        id: 'p1',
        managingOrganization: { reference: 'https://elsewhere.example/Organization/org-1' },
      },
      { resourceType: 'Patient', id: 'p1', managingOrganization: { display: 'Clinic' } },
      patient('p1', 'org-1', { active: 'yes' }),
    ];
    for (const resource of bad) {
      servePages([[patient('p0', 'org-1'), resource]]);
      const members = await read(scope);
      expect(members.ok, JSON.stringify(resource)).toBe(false);
      if (!members.ok) {
        expect(members.problem).toMatch(/^A scope Patient is not usable: /);
        expect(members.problem).not.toContain('has space');
      }
    }
  });

  it('refuses more members than maxMembers, and more pages than a round reads, rather than a part', async () => {
    servePages([[patient('a', 'org-1'), patient('b', 'org-1')], [patient('c', 'org-1')]]);
    expect(await read({ ...scope, maxMembers: 2 })).toEqual({
      ok: false,
      problem: "The scope Organization's patients name more than cache.scope.maxMembers (2) patients.",
    });
    // Inactive records and other organizations' patients do not count toward the bound.
    servePages([[patient('a', 'org-1'), patient('b', 'org-1', { active: false }), patient('c', 'org-2')]]);
    expect(await read({ ...scope, maxMembers: 1 })).toEqual({ ok: true, members: ['a'] });

    servePages([[patient('a', 'org-1')], [patient('b', 'org-1')], [patient('c', 'org-1')]]);
    expect(await read(scope, 2)).toEqual({
      ok: false,
      problem: "The scope Organization's patients take more pages than one round reads (central.maxPagesPerType).",
    });
    expect(await read(scope, 4)).toEqual({ ok: true, members: ['a', 'b', 'c'] });
  });

  it('says why when central refuses the search, or answers with something else than a Bundle', async () => {
    central.serve((_request, _url, response) => void response.writeHead(403).end());
    expect(await read(scope)).toEqual({
      ok: false,
      problem:
        "The scope Organization's patients could not be read: The central FHIR API refused the scope Patient search (HTTP 403).",
    });
    central.serve((_request, _url, response) => {
      response.writeHead(200, { 'content-type': 'application/fhir+json' });
      response.end(JSON.stringify(patient('p1', 'org-1')));
    });
    const notBundle = await read(scope);
    expect(notBundle.ok).toBe(false);
    if (!notBundle.ok) expect(notBundle.problem).toMatch(/could not be read: .*not a Bundle/);
  });
});

const encounter = (subject: string, extra: object = {}, location = 'loc-1') => ({
  resourceType: 'Encounter',
  status: 'finished',
  subject: { reference: subject },
  location: [{ location: { reference: `Location/${location}` } }],
  ...extra,
});

describe('location scope members', () => {
  const scope = { kind: 'location', location: 'loc-1', withinDays: 30 };

  it('starts the window at 00:00 UTC withinDays days before today', () => {
    expect(new Date(locationScopeSince(30, NOW)).toISOString()).toBe('2026-02-08T00:00:00.000Z');
    expect(new Date(locationScopeSince(1, Date.parse('2026-03-10T00:00:00Z'))).toISOString()).toBe(
      '2026-03-09T00:00:00.000Z',
    );
    // 365 days by default.
    expect(CacheScope.parse({ kind: 'location', location: 'loc-1' })).toMatchObject({ withinDays: 365 });
  });

  it("asks for the Location's encounters from the window's first day, and keeps the subjects of those that reach into it", async () => {
    servePages([
      [
        // Ended in the window (an instant, then a date on its first day).
        encounter('Patient/ended-in', { period: { start: '2026-02-20T09:00:00Z', end: '2026-02-20T09:30:00Z' } }),
        encounter('Patient/first-day', { period: { start: '2026-02-08', end: '2026-02-08' } }),
        // In progress, and planned: a start and no end.
        encounter('Patient/in-progress', { status: 'in-progress', period: { start: '2025-12-01T08:00:00Z' } }),
        encounter('Patient/planned', { status: 'planned', period: { start: '2026-04-01T10:00:00+02:00' } }),
        // Ended the day before the window, at 23:59 UTC (in a zone east of UTC): out.
        encounter('Patient/before', { period: { start: '2026-02-07T23:00:00Z', end: '2026-02-08T00:59:00+01:00' } }),
        encounter('Patient/day-before', { period: { end: '2026-02-07' } }),
      ],
      [
        // Cancelled, entered in error, elsewhere, without a period, of a Group: no member.
        encounter('Patient/cancelled', { status: 'cancelled', period: { start: '2026-03-20T10:00:00Z' } }),
        encounter('Patient/error', { status: 'entered-in-error', period: { start: '2026-03-01T10:00:00Z' } }),
        encounter('Patient/elsewhere', { period: { start: '2026-03-01T10:00:00Z' } }, 'loc-2'),
        encounter('Patient/no-period'),
        encounter('Group/g1', { period: { start: '2026-03-01T10:00:00Z' } }),
        { resourceType: 'Encounter', status: 'finished', period: { start: '2026-03-01T10:00:00Z' } },
        encounter('Patient/ended-in', { period: { start: '2026-03-01T10:00:00Z', end: '2026-03-01T11:00:00Z' } }),
      ],
    ]);
    expect(await read(scope)).toEqual({ ok: true, members: ['ended-in', 'first-day', 'in-progress', 'planned'] });
    const first = new URL(central.requests.at(-2)!, 'http://x');
    expect(first.pathname).toBe('/fhir/R4/Encounter');
    expect(first.searchParams.get('location')).toBe('Location/loc-1');
    expect(first.searchParams.get('date')).toBe('ge2026-02-08');
    expect(first.searchParams.get('_elements')).toBe('status,subject,location,period');
    expect(lastQuery().get('page')).toBe('1');
  });

  it('refuses the whole answer for an Encounter it cannot read, too many members or pages', async () => {
    const bad: unknown[] = [
      encounter('Practitioner/x', { period: { start: '2026-03-01' } }),
      encounter('Patient/p1', { period: { end: 'yesterday' } }),
      encounter('Patient/p1', { period: { start: '2026-02-31' } }),
      {
        ...encounter('Patient/p1'),
        location: [{ location: { reference: 'https://elsewhere.example/Location/loc-1' } }],
      },
      { ...encounter('Patient/p1'), location: [{}] },
    ];
    for (const resource of bad) {
      servePages([[resource]]);
      const members = await read(scope);
      expect(members.ok, JSON.stringify(resource)).toBe(false);
      if (!members.ok) expect(members.problem).toMatch(/^A scope Encounter is not usable: /);
    }
    const visit = (id: string) => encounter(`Patient/${id}`, { period: { start: '2026-03-01T10:00:00Z' } });
    servePages([[visit('a'), visit('a'), visit('b')], [visit('c')]]);
    expect(await read({ ...scope, maxMembers: 2 })).toEqual({
      ok: false,
      problem: "The scope Location's encounters name more than cache.scope.maxMembers (2) patients.",
    });
    expect(await read({ ...scope, maxMembers: 3 })).toEqual({ ok: true, members: ['a', 'b', 'c'] });
    expect(await read(scope, 2)).toEqual({
      ok: false,
      problem: "The scope Location's encounters take more pages than one round reads (central.maxPagesPerType).",
    });
  });
});
