import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preparePage, readPages, readSearches, type Bundle, type SearchRead } from '../../src-main/sync/pages.ts';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';
import { testPatient } from '../support/fhir.ts';

const patient = (id: string, lastUpdated: string) => ({
  ...testPatient(id, 'Page', 'Test', `MRN-${id}`),
  meta: { versionId: '2', lastUpdated },
});

/** A page of Patients as read, with no Date header: central's clock falls back to the search's. */
const prepare = (bundle: Bundle) => preparePage({ bundle, centralNow: null }, 'Patient', DEFAULT_PAGE_LIMITS);

describe('preparePage: how far a page moves the pull cursor', () => {
  it('is the newest lastUpdated of the page when the server does not date the search', () => {
    const page = prepare({
      resourceType: 'Bundle',
      entry: [
        { resource: patient('a', '2026-05-01T10:00:00.000Z') },
        { resource: patient('b', '2026-05-01T10:00:05.000Z') },
      ],
    });
    expect(page.newest).toBe('2026-05-01T10:00:05.000Z');
    expect(page.prepared).toHaveLength(2);
  });

  it("stops at the search's own time (Bundle.meta.lastUpdated): a held result updated since may not carry it past what the search never saw", () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      meta: { lastUpdated: '2026-05-01T10:00:01.500Z' },
      entry: [
        { resource: patient('a', '2026-05-01T10:00:00.000Z') },
        // Shown as it is now: updated after the search ran.
        { resource: patient('b', '2026-05-01T10:00:09.000Z') },
      ],
    };
    const page = prepare(bundle);
    expect(page.newest).toBe('2026-05-01T10:00:01.500Z');
    // Every resource is still stored, at the version the page shows.
    expect(page.prepared.map((p) => p.ok && p.resource.id)).toEqual(['a', 'b']);
  });

  it('ignores a search time that is not an instant, and one later than every resource', () => {
    const entry = [{ resource: patient('a', '2026-05-01T10:00:00.000Z') }];
    expect(prepare({ resourceType: 'Bundle', meta: { lastUpdated: 'soon' }, entry }).newest).toBe(
      '2026-05-01T10:00:00.000Z',
    );
    expect(prepare({ resourceType: 'Bundle', meta: { lastUpdated: '2026-05-02T00:00:00Z' }, entry }).newest).toBe(
      '2026-05-01T10:00:00.000Z',
    );
  });
});

/**
 * A server that pages by offset as Medplum does (each page counted from the start of the results
 * as they are when it is asked), over resources that central changes between two pages: a
 * resource deleted, or updated (it moves to the end), while the pull pages.
 */
function offsetServer(
  initial: { id: string; at: number }[],
  changes: Map<number, (rows: Row[]) => void>,
  delays: readonly number[] = [],
) {
  const rows: Row[] = initial.map((row) => ({ ...row }));
  let asked = 0;
  let served = 0;
  const fetch: typeof globalThis.fetch = async (input) => {
    // Two pages may be asked at once (read ahead): each answered after its own delay, so a later
    // one may be answered first, as by a server with several connections.
    const ticket = asked++;
    for (let tick = 0; tick < (delays[ticket % Math.max(1, delays.length)] ?? 0); tick++) await Promise.resolve();
    changes.get(served)?.(rows);
    served++;
    const url = new URL(String(input));
    const from = url.searchParams.get('_lastUpdated');
    const count = Number(url.searchParams.get('_count'));
    const offset = Number(url.searchParams.get('_offset') ?? 0);
    const matching = rows
      .filter((row) => from === null || row.at >= Date.parse(from.slice(2)))
      .sort((a, b) => a.at - b.at || a.id.localeCompare(b.id));
    const page = matching.slice(offset, offset + count);
    const next = new URL(url);
    next.searchParams.set('_offset', String(offset + count));
    const bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      ...(offset + count < matching.length ? { link: [{ relation: 'next', url: next.href }] } : {}),
      entry: page.map((row) => ({
        resource: { resourceType: 'Condition', id: row.id, meta: { lastUpdated: new Date(row.at).toISOString() } },
      })),
    };
    return new Response(JSON.stringify(bundle), { headers: { 'content-type': 'application/fhir+json' } });
  };
  return { fetch, rows };
}
interface Row {
  id: string;
  at: number;
}

describe('readPages over a server paging by offset, sorted by _lastUpdated', () => {
  it('reads every resource central did not change exactly once, whatever is deleted or updated between pages', async () => {
    const start = Date.UTC(2026, 0, 1);
    await fc.assert(
      fc.asyncProperty(
        // Resources at a few instants (long runs at one instant included), a page size, and
        // changes between pages: delete or update the resource at some position.
        fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 40 }),
        // At least two a page: a page of one (only after a too-large shrink to one) cannot repeat the last.
        fc.integer({ min: 2, max: 7 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 12 }), fc.nat(), fc.boolean()), { maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 8 }),
        async (instants, pageSize, edits, delays) => {
          const initial = instants.map((slot, i) => ({ id: `c-${i}`, at: start + slot * 1000 }));
          const changed = new Set<string>();
          const changes = new Map<number, (rows: Row[]) => void>();
          edits.forEach(([beforePage, position, remove], n) =>
            changes.set(beforePage, (rows) => {
              if (rows.length === 0) return;
              const index = position % rows.length;
              changed.add(rows[index]!.id);
              if (remove) rows.splice(index, 1);
              else rows[index]!.at = start + 3_600_000 + n;
            }),
          );
          const server = offsetServer(initial, changes, delays);
          const read: string[] = [];
          const url = `https://central.example/fhir/R4/Condition?_sort=_lastUpdated&_count=${pageSize}`;
          for await (const page of readPages(url, {
            accessToken: 't',
            allowLoopbackHttp: false,
            what: 'Condition pull',
            limits: { ...DEFAULT_PAGE_LIMITS, maxPages: 1000 },
            fetch: server.fetch,
            sortedByLastUpdated: true,
          }))
            for (const entry of page.bundle.entry ?? []) read.push((entry.resource as { id: string }).id);
          for (const { id } of initial) {
            if (changed.has(id)) continue;
            expect(
              read.filter((r) => r === id),
              id,
            ).toHaveLength(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

/**
 * Reading ahead (issue 14): with one request at a time central waited for every answer to travel
 * and be read before it was asked again, and the pull reached about 60% of a plain fetch loop.
 */
describe('readPages: the page after next is asked while the next one comes', () => {
  /** A server of `total` Conditions paged by offset (links as Medplum makes them), or by opaque token. */
  function countingServer(total: number, links: 'offset' | 'opaque', pad = 0) {
    const stats = { asked: [] as string[], inFlight: 0, maxInFlight: 0, inFlightAtAnswer: [] as number[] };
    const fetch: typeof globalThis.fetch = async (input) => {
      const url = new URL(String(input));
      stats.asked.push(url.search);
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      await new Promise((resolve) => setTimeout(resolve, 2));
      const count = Number(url.searchParams.get('_count') ?? 3);
      const offset = Number(url.searchParams.get('_offset') ?? url.searchParams.get('_getpagesoffset') ?? 0);
      const ids = Array.from({ length: total }, (_, i) => i).slice(offset, offset + count);
      const next = new URL(url.origin + url.pathname);
      if (links === 'offset') {
        next.search = url.search;
        next.searchParams.set('_offset', String(offset + count));
      } else {
        next.searchParams.set('_getpages', 'held-1');
        next.searchParams.set('_getpagesoffset', String(offset + count));
        next.searchParams.set('_count', String(count));
      }
      const bundle = {
        resourceType: 'Bundle',
        ...(offset + count < total ? { link: [{ relation: 'next', url: next.href }] } : {}),
        entry: ids.map((i) => ({
          resource: {
            resourceType: 'Condition',
            id: `c-${i}`,
            meta: { lastUpdated: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString() },
            ...(pad > 0 && i === 0 ? { note: [{ text: 'x'.repeat(pad) }] } : {}),
          },
        })),
      };
      stats.inFlightAtAnswer.push(stats.inFlight);
      stats.inFlight--;
      return new Response(JSON.stringify(bundle), { headers: { 'content-type': 'application/fhir+json' } });
    };
    return { fetch, stats };
  }

  async function readAll(fetch: typeof globalThis.fetch, pageSize: number): Promise<string[]> {
    const read: string[] = [];
    const url = `https://central.example/fhir/R4/Condition?_sort=_lastUpdated&_count=${pageSize}`;
    for await (const page of readPages(url, {
      accessToken: 't',
      allowLoopbackHttp: false,
      what: 'Condition pull',
      limits: { ...DEFAULT_PAGE_LIMITS, maxPages: 1000 },
      fetch,
      sortedByLastUpdated: true,
    }))
      for (const entry of page.bundle.entry ?? []) read.push((entry.resource as { id: string }).id);
    return read;
  }

  const ids = (n: number) => Array.from({ length: n }, (_, i) => `c-${i}`);

  it('keeps two pages asked of an offset server, and asks at most one page more than the search has', async () => {
    const server = countingServer(100, 'offset');
    expect(await readAll(server.fetch, 10)).toEqual(ids(100));
    expect(server.stats.maxInFlight).toBe(2);
    // 11 pages of 10 (each asked one early, repeating the last one read), and one guess past the end.
    expect(server.stats.asked.length).toBeLessThanOrEqual(12);
  });

  it('stops guessing for a server whose links are not offsets (HAPI held results): one page more at most', async () => {
    const server = countingServer(100, 'opaque');
    expect(await readAll(server.fetch, 10)).toEqual(ids(100));
    // 10 pages, and one guess (after the first page's link, which is no offset of the search).
    expect(server.stats.asked.length).toBeLessThanOrEqual(10 + 1);
  });

  it('asks nothing ahead after a page large enough to be read as a stream', async () => {
    // The first page carries a 9 MB note: its answer is streamed, and the page after it is asked
    // alone (two such pages at once would double what the reader holds).
    const server = countingServer(6, 'offset', 9 * 1048576);
    expect(await readAll(server.fetch, 3)).toEqual(ids(6));
    expect(server.stats.inFlightAtAnswer[1]).toBe(1);
  });
});

/**
 * A scoped pull is hundreds of small searches (issue 15): each one asked only once the one before
 * was taken cost a round trip per search with central idle.
 */
describe('readSearches: the next search is asked as the last page of the one before arrives', () => {
  /** Conditions `c-<search>-<n>` for searches `?s=<search>&n=<total>`, paged by offset; `?s=…&status=403` refuses. */
  function searchServer() {
    const log: string[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const fetch: typeof globalThis.fetch = async (input) => {
      const url = new URL(String(input));
      const search = url.searchParams.get('s')!;
      const offset = Number(url.searchParams.get('_offset') ?? 0);
      log.push(`ask ${search}@${offset}`);
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      await new Promise((resolve) => setTimeout(resolve, 3));
      inFlight--;
      const status = Number(url.searchParams.get('status') ?? 200);
      if (status !== 200) return new Response('{}', { status });
      const count = Number(url.searchParams.get('_count'));
      const total = Number(url.searchParams.get('n'));
      const next = new URL(url.href);
      next.searchParams.set('_offset', String(offset + count));
      const bundle = {
        resourceType: 'Bundle',
        ...(offset + count < total ? { link: [{ relation: 'next', url: next.href }] } : {}),
        entry: Array.from({ length: Math.max(0, Math.min(count, total - offset)) }, (_, i) => ({
          resource: {
            resourceType: 'Condition',
            id: `c-${search}-${offset + i}`,
            meta: { lastUpdated: new Date(Date.UTC(2026, 0, 1) + (offset + i) * 1000).toISOString() },
          },
        })),
      };
      return new Response(JSON.stringify(bundle), { headers: { 'content-type': 'application/fhir+json' } });
    };
    return { fetch, log, maxInFlight: () => maxInFlight };
  }

  const search = (s: string, n: number, extra = '') => ({
    url: `https://central.example/fhir/R4/Condition?s=${s}&n=${n}&_sort=_lastUpdated&_count=5${extra}`,
    what: 'Condition pull',
  });

  /** Every item, taken slowly (as the core stores each page), and what had been asked when each page was taken. */
  async function readSlowly(server: ReturnType<typeof searchServer>, searches: ReturnType<typeof search>[]) {
    const items: { item: SearchRead; askedBefore: string[] }[] = [];
    for await (const item of readSearches(searches, {
      accessToken: 't',
      allowLoopbackHttp: false,
      limits: { ...DEFAULT_PAGE_LIMITS, maxPages: 100 },
      fetch: server.fetch,
      sortedByLastUpdated: true,
    })) {
      items.push({ item, askedBefore: [...server.log] });
      if ('page' in item) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return items;
  }

  const idsOf = (items: { item: SearchRead }[]) =>
    items.flatMap(({ item }) =>
      'page' in item ? (item.page.bundle.entry ?? []).map((e) => (e.resource as { id: string }).id) : [],
    );

  it('has the first page of the next search asked before the last page of the one before is taken', async () => {
    const server = searchServer();
    const items = await readSlowly(server, [search('a', 3), search('b', 2), search('c', 4)]);
    expect(idsOf(items)).toEqual(['c-a-0', 'c-a-1', 'c-a-2', 'c-b-0', 'c-b-1', 'c-c-0', 'c-c-1', 'c-c-2', 'c-c-3']);
    const pages = items.filter(({ item }) => 'page' in item);
    expect(pages[0]!.askedBefore).toContain('ask b@0');
    // One search ahead at most, however small: c waits until b is the one read.
    expect(pages[0]!.askedBefore).not.toContain('ask c@0');
    expect(pages[1]!.askedBefore).toContain('ask c@0');
    expect(items.map(({ item }) => ('done' in item ? item.index : null)).filter((i) => i !== null)).toEqual([0, 1, 2]);
  });

  it("asks a search's next page before the search after it, and never more than two requests at once", async () => {
    const server = searchServer();
    const items = await readSlowly(server, [search('a', 12), search('b', 3)]);
    expect(idsOf(items)).toHaveLength(15);
    // a's pages (each asked one early after the first, repeating its last resource), then b's.
    const firstOfB = server.log.indexOf('ask b@0');
    expect(server.log.slice(0, firstOfB)).toEqual(expect.arrayContaining(['ask a@0', 'ask a@4', 'ask a@8']));
    // b is asked only once a's last page has come: not while a still has pages on their way.
    const lastPageOfA = items.findIndex(
      ({ item }) =>
        'page' in item && item.page.bundle.entry?.some((e) => (e.resource as { id: string }).id === 'c-a-11'),
    );
    expect(items[lastPageOfA]!.askedBefore).toContain('ask b@0');
    expect(items[lastPageOfA - 1]!.askedBefore).not.toContain('ask b@0');
    expect(server.maxInFlight()).toBeLessThanOrEqual(2);
  });

  it('reports a search refused alone at its own turn, and reads the ones after it', async () => {
    const server = searchServer();
    const items = await readSlowly(server, [search('a', 2), search('x', 2, '&status=403'), search('c', 2)]);
    expect(idsOf(items)).toEqual(['c-a-0', 'c-a-1', 'c-c-0', 'c-c-1']);
    const failed = items.flatMap(({ item }) => ('failed' in item ? [item] : []));
    expect(failed).toHaveLength(1);
    expect(failed[0]!.index).toBe(1);
    expect(failed[0]!.failed.status).toBe(403);
    expect(items.map(({ item }) => item.index)).toEqual([0, 0, 1, 2, 2]);
  });

  it('ends the reading on a failure of every search alike (central unwell), after what came before it', async () => {
    const server = searchServer();
    const read: SearchRead[] = [];
    await expect(async () => {
      for await (const item of readSearches([search('a', 2), search('x', 2, '&status=401'), search('c', 2)], {
        accessToken: 't',
        allowLoopbackHttp: false,
        limits: DEFAULT_PAGE_LIMITS,
        fetch: server.fetch,
        retry: { attempts: 1 },
      }))
        read.push(item);
    }).rejects.toMatchObject({ status: 401 });
    expect(read.map((item) => item.index)).toEqual([0, 0]);
  });
});
