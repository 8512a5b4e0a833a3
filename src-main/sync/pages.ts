import { withholdLargeAttachments } from '../../src-shared/fhir/attachments.ts';
import { prepareResource, type Prepared } from '../../src-shared/fhir/prepare.ts';
import { readBundle } from './bundle-reader.ts';
import { fetchAndReadWithRetry, SyncHttpError, type HttpDeps } from './http.ts';

/**
 * Reading a search from central page by page, following the Bundle's next links (only on the same
 * server: a Bundle cannot send the token elsewhere), one page ahead: the next page is asked for as
 * soon as its link is known. Runs in the calling thread, or in the page worker (page-worker.ts).
 *
 * Imports stay within files Node can load without a build step (its type stripping), so the page
 * worker runs from source under tsx and Vitest as it does built in the app.
 */
export interface Bundle {
  resourceType?: unknown;
  /** When the search ran, if the server says (HAPI dates every page of a held search so). */
  meta?: { lastUpdated?: unknown };
  entry?: {
    resource?: unknown;
    request?: { method?: unknown; url?: unknown };
    response?: { lastModified?: unknown };
  }[];
  link?: { relation?: unknown; url?: unknown }[];
}

/** A page as read: the Bundle, and central's own clock when it sent it (ms; null when it did not say). */
export interface Page {
  bundle: Bundle;
  centralNow: number | null;
}

/** What central may send, in bytes and pages (policy central.maxResponseMiB and the rest). */
export interface PageLimits {
  maxResponseBytes: number;
  maxResourceBytes: number;
  /** Pages of one search in one read; the rest waits for the next round. */
  maxPages: number;
  /** Attachments larger than this (decoded) are stored without their data (policy central.maxAttachmentKiB). */
  maxAttachmentBytes: number;
}

export function nextLink(bundle: Bundle, base: URL): string | null {
  const next = bundle.link?.find((link) => link.relation === 'next')?.url;
  if (typeof next !== 'string') return null;
  const url = new URL(next, base);
  return url.origin === base.origin ? url.href : null;
}

export interface PageReadOptions extends HttpDeps {
  accessToken: string;
  /** What is read, for error messages ("Observation pull"). */
  what: string;
  limits: PageLimits;
  /**
   * The search is sorted by `_lastUpdated`: offset pages are replaced by seeks (seekUrl), so a
   * resource deleted or moved while the search pages cannot shift one past the pull.
   */
  sortedByLastUpdated?: boolean;
}

/** An entry's resource's lastUpdated (ms) and id, when it has both. */
function stampOf(entry: NonNullable<Bundle['entry']>[number]): { at: number; id: string } | null {
  const resource = entry.resource as { id?: unknown; meta?: { lastUpdated?: unknown } } | undefined;
  const at = typeof resource?.meta?.lastUpdated === 'string' ? Date.parse(resource.meta.lastUpdated) : Number.NaN;
  return typeof resource?.id === 'string' && !Number.isNaN(at) ? { at, id: resource.id } : null;
}

/**
 * Paging a search sorted by `_lastUpdated` by seeks instead of the server's offsets. A server
 * paging by offset counts from the start of the results as they are when each page is asked: a
 * resource deleted (or updated, so it moves to the end) after its page was read shifts the rest
 * by one, the first resource of the next page is never read, and the cursor then passes it for
 * good. A seek page is the same search from the newest instant read (`_lastUpdated=ge`), the
 * resources already read at that instant left out as they come again: it starts where the last
 * page ended, whatever changed before it.
 *
 * When every resource of a page shares the instant it started at (a bulk load), the seek asks
 * again with a page twice as large, up to MAX_SEEK_COUNT. It gives up at that instant, following
 * the server's own link until a later instant, when that does not help: the page came back
 * smaller (too large), brought nothing new, or the page cannot say where it ended (no id or
 * lastUpdated, not in ascending order, a server that ignored the filter).
 */
function createSeeking(first: string) {
  let at: number | null = null;
  let ids = new Set<string>();
  let doubled = false;
  let gaveUp = false;
  return {
    /** The page without what was already read (at the boundary instant, or before it). */
    unread(bundle: Bundle): Bundle {
      if (at === null || !bundle.entry) return bundle;
      const boundary = at;
      return {
        ...bundle,
        entry: bundle.entry.filter((entry) => {
          const stamp = stampOf(entry);
          return !stamp || stamp.at > boundary || (stamp.at === boundary && !ids.has(stamp.id));
        }),
      };
    },
    /**
     * Where to go after a page (`read`: as central sent it, `fresh`: what was new in it, `url`:
     * as fetched, `asAsked`: not made smaller for being too large); null for the server's link.
     */
    after(read: Bundle, fresh: Bundle, url: string, asAsked: boolean): string | null {
      const stamps = (read.entry ?? []).map(stampOf);
      const sorted = stamps.every((s, i) => s !== null && (i === 0 || s.at >= stamps[i - 1]!.at));
      const last = sorted ? stamps.at(-1)?.at : undefined;
      if (last === undefined || (at !== null && last < at)) {
        gaveUp = at !== null;
        return null;
      }
      if (last !== at) {
        at = last;
        ids = new Set((stamps as { at: number; id: string }[]).filter((s) => s.at === last).map((s) => s.id));
        doubled = false;
        gaveUp = false;
        return seekUrl(first, url, last, null);
      }
      // Still at the instant the page started at: a run longer than the page.
      for (const stamp of stamps) if (stamp!.at === at) ids.add(stamp!.id);
      const count = Number(new URL(url).searchParams.get('_count'));
      const helps = asAsked && (!doubled || (fresh.entry ?? []).length > 0);
      if (gaveUp || !helps || new URL(url).searchParams.has('_offset') || !(count > 0) || count >= MAX_SEEK_COUNT) {
        gaveUp = true;
        return null;
      }
      doubled = true;
      return seekUrl(first, url, at, Math.min(MAX_SEEK_COUNT, count * 2));
    },
  };
}

/** The search from `at` on, with the page size just read (or `count`), no offset. */
function seekUrl(first: string, asked: string, at: number, count: number | null): string {
  const url = new URL(first);
  // The page size of the page just read: smaller than asked when a page was too large.
  const size = count ?? new URL(asked).searchParams.get('_count');
  if (size !== null) url.searchParams.set('_count', String(size));
  url.searchParams.delete('_offset');
  url.searchParams.set('_lastUpdated', `ge${new Date(at).toISOString()}`);
  return url.href;
}

/**
 * The largest page a seek asks for when more resources than a page share one instant; within a
 * longer run, the server's offsets are followed.
 */
export const MAX_SEEK_COUNT = 2_000;

/** Central's clock: the answer's Date header, else the Bundle's meta.lastUpdated. */
function centralClock(date: string | null, bundle: Bundle): number | null {
  const fromHeader = date === null ? Number.NaN : Date.parse(date);
  if (!Number.isNaN(fromHeader)) return fromHeader;
  const stamped = typeof bundle.meta?.lastUpdated === 'string' ? Date.parse(bundle.meta.lastUpdated) : Number.NaN;
  return Number.isNaN(stamped) ? null : stamped;
}

async function fetchPage(url: string, options: PageReadOptions): Promise<Page> {
  return fetchAndReadWithRetry(
    url,
    {
      headers: {
        accept: 'application/fhir+json',
        authorization: `Bearer ${options.accessToken}`,
        // A sync asks what central holds now: a server may otherwise answer a search it saw
        // recently from the results it kept (HAPI FHIR does for a minute by default).
        'cache-control': 'no-cache',
      },
    },
    options,
    async (response) => {
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new SyncHttpError(
          `http-${response.status}`,
          `The central FHIR API refused the ${options.what} (HTTP ${response.status}).`,
          response.status,
        );
      }
      const bundle = (await readBundle(response, options.limits, `${options.what} page`)) as Bundle | null;
      if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle')
        throw new SyncHttpError(
          'malformed-response',
          `The central FHIR API sent a ${options.what} page that is not a Bundle.`,
        );
      return { bundle, centralNow: centralClock(response.headers.get('date'), bundle) };
    },
  );
}

/**
 * A page too large to read is asked again with a quarter of its `_count`, down to one resource,
 * when its link carries one (central's next links keep the offset, so nothing is skipped); a
 * single resource over the cap, or a link central made opaque, stops the search.
 */
async function fetchPageWithin(url: string, options: PageReadOptions): Promise<{ page: Page; url: string }> {
  for (let current = url; ;) {
    try {
      return { page: await fetchPage(current, options), url: current };
    } catch (error) {
      const parsed = new URL(current);
      const count = Number(parsed.searchParams.get('_count'));
      if (!(error instanceof SyncHttpError) || error.reason !== 'too-large' || !(count > 1)) throw error;
      parsed.searchParams.set('_count', String(Math.max(1, Math.floor(count / 4))));
      current = parsed.href;
    }
  }
}

/**
 * The pages of a search, one ahead. A next link seen before (a Bundle pointing to itself, or a
 * cycle) is 'cyclic-paging'; past `limits.maxPages` pages the search ends for this round, and the
 * next round goes on from the cursor the stored pages reached.
 */
export async function* readPages(first: string, options: PageReadOptions): AsyncGenerator<Page> {
  const base = new URL(first);
  const seen = new Set<string>();
  let read = 0;
  const seeking = options.sortedByLastUpdated ? createSeeking(first) : null;
  let pending: Promise<{ page: Page; url: string }> | null = fetchPageWithin(first, options);
  let asked = first;
  while (pending) {
    const { page: read_, url }: { page: Page; url: string } = await pending;
    const page = seeking ? { ...read_, bundle: seeking.unread(read_.bundle) } : read_;
    seen.add(url);
    read++;
    let next = nextLink(page.bundle, base);
    // Only an offset link shifts; an opaque one (HAPI's held results, a cursor) pages a snapshot.
    if (seeking && next !== null && new URL(next).searchParams.has('_offset'))
      next = seeking.after(read_.bundle, page.bundle, url, url === asked) ?? next;
    if (next !== null) asked = next;
    const cyclic = next !== null && seen.has(next);
    pending = next !== null && !cyclic && read < options.limits.maxPages ? fetchPageWithin(next, options) : null;
    pending?.catch(() => undefined); // awaited on the next turn, where a failure is thrown
    yield page; // this page is good: kept before the search stops
    if (cyclic)
      throw new SyncHttpError(
        'cyclic-paging',
        `The central FHIR API sent a ${options.what} page whose next link leads back to a page already read.`,
      );
  }
}

/**
 * Failures that concern one search only, so the round goes on with the other types: an answer
 * too large, a cycle, one that is not FHIR JSON, or a refusal of this search (403, 404, 400...).
 * Not these: central unreachable, too slow, unwell (5xx, 429), or the sign-in refused (401), which
 * would fail every search alike.
 */
export function stopsOnlyTheSearch(error: unknown): error is SyncHttpError {
  if (!(error instanceof SyncHttpError)) return false;
  if (['too-large', 'cyclic-paging', 'malformed-response'].includes(error.reason)) return true;
  const status = error.status;
  return status !== null && status >= 400 && status < 500 && ![401, 408, 429].includes(status);
}

/**
 * One search page of a type, validated: its resources ready to store or rejected, and how far it
 * moves the pull's cursor: its newest lastUpdated, never past central's own clock nor the time the
 * search ran.
 */
export interface PreparedPage {
  prepared: Prepared[];
  newest: string | null;
  /** Ids of resources dated after central's clock: stored, but they do not move the cursor. */
  future: string[];
}

/**
 * A server that holds a search's results (HAPI's `_getpages`) shows each resource as it is when
 * its page is read: a later page may carry a resource updated after the search ran, while what
 * was created since is not in the results at all. A cursor moved to that update would step over
 * those for good (the overlap is seconds), so it stops at the search's time, which such a server
 * gives as Bundle.meta.lastUpdated. The next pull then finds them. Null when the page has none.
 */
function searchTimeMs(bundle: Bundle): number | null {
  const at = bundle.meta?.lastUpdated;
  const ms = typeof at === 'string' ? Date.parse(at) : Number.NaN;
  return Number.isNaN(ms) ? null : ms;
}

/**
 * How far a resource's lastUpdated may run ahead of central's clock: the Date header has whole
 * seconds (a resource written in the same second is up to a second "ahead"), plus a margin.
 */
export const CLOCK_SLACK_MS = 2_000;

export function preparePage(
  page: Page,
  type: string,
  limits: Pick<PageLimits, 'maxResourceBytes' | 'maxAttachmentBytes'>,
): PreparedPage {
  const prepared: Prepared[] = [];
  const future: string[] = [];
  let newest: string | null = null;
  let newestMs = -Infinity;
  const latest = (page.centralNow ?? Date.now()) + CLOCK_SLACK_MS;
  for (const entry of page.bundle.entry ?? []) {
    const resource = entry.resource as { resourceType?: unknown; meta?: { lastUpdated?: unknown } } | undefined;
    if (!resource || resource.resourceType !== type) continue; // included or outcome entries: not this type's
    // Large attachments first, so a note with a large scan is kept (without it) rather than
    // refused as too large; the rest of the resource is validated and sized as it will be stored.
    const kept = withholdLargeAttachments(resource, limits.maxAttachmentBytes);
    const outcome = withinSize(prepareResource(kept), limits.maxResourceBytes);
    prepared.push(outcome);
    if (!outcome.ok) continue;
    const lastUpdated = resource.meta?.lastUpdated;
    const ms = typeof lastUpdated === 'string' ? Date.parse(lastUpdated) : Number.NaN;
    if (ms > latest) {
      future.push(outcome.resource.id);
      continue;
    }
    if (ms > newestMs) {
      newestMs = ms;
      newest = lastUpdated as string;
    }
  }
  const searchedAt = searchTimeMs(page.bundle);
  if (searchedAt !== null && newestMs > searchedAt) newest = page.bundle.meta?.lastUpdated as string;
  return { prepared, newest, future };
}

/** A valid resource larger than the cap is refused like an invalid one (type, id and why). */
function withinSize(outcome: Prepared, maxBytes: number): Prepared {
  if (!outcome.ok || Buffer.byteLength(outcome.resource.json) <= maxBytes) return outcome;
  return {
    ok: false,
    rejected: {
      resourceType: outcome.resource.type,
      id: outcome.resource.id,
      issues: [`(root): larger than ${Math.round(maxBytes / 1048576)} MiB (central.maxResourceMiB)`],
    },
  };
}
