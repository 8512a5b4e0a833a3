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
  /**
   * Called as the search's last page is handed over: nothing more of this search will be asked
   * (central gave no next link, or the reading stops there). readSearches asks its next search then.
   */
  onLastPage?: () => void;
}

/** An entry's resource's lastUpdated (ms) and id, when it has both. */
function stampOf(entry: NonNullable<Bundle['entry']>[number]): { at: number; id: string } | null {
  const resource = entry.resource as { id?: unknown; meta?: { lastUpdated?: unknown } } | undefined;
  const at = typeof resource?.meta?.lastUpdated === 'string' ? Date.parse(resource.meta.lastUpdated) : Number.NaN;
  return typeof resource?.id === 'string' && !Number.isNaN(at) ? { at, id: resource.id } : null;
}

/**
 * Paging by offset, checked (a search sorted by `_lastUpdated`). A server paging by offset counts
 * from the start of the results as they are when each page is asked: a resource deleted (or
 * updated, so it moves to the end) after its page was read shifts the rest by one, the first
 * resource of the next page is never read, and the cursor then passes it for good. So each next
 * page is asked one resource early (`_offset` minus one): it must start with the last resource
 * read. It does, and that repeat is left out: nothing shifted. It does not: the page is not used,
 * and the search goes on from the last instant read (`_lastUpdated=ge`, the resources already
 * read at that instant left out as they come again), which starts where the reading stopped
 * whatever changed before it. Offsets stay the way through as long as nothing shifts, because a
 * search by date is much slower than an offset on some servers (dev central's in-memory one).
 */
function createCheckedPaging(first: string) {
  /** The last resource read, and every id read at its instant (never read twice). */
  let last: { at: number; id: string } | null = null;
  let atLast = new Set<string>();
  /** The last resource of the last page as central sent it: the page asked one early repeats it. */
  let lastSent: { at: number; id: string } | null = null;
  let repeats = false;

  return {
    /** What of a page was not read yet, or null when it shifted (it is then not used). */
    unread(bundle: Bundle): Bundle | null {
      const entries = bundle.entry ?? [];
      const stamps = entries.map(stampOf);
      if (repeats && lastSent !== null) {
        const head = stamps[0];
        if (!head || head.id !== lastSent.id || head.at !== lastSent.at) return null;
      }
      // Without an id and lastUpdated on each, or out of order, nothing can be checked: as sent.
      if (stamps.some((s, i) => s === null || (i > 0 && s.at < stamps[i - 1]!.at))) {
        last = lastSent = null;
        atLast = new Set();
        return bundle;
      }
      const sorted = stamps as { at: number; id: string }[];
      lastSent = sorted.at(-1) ?? lastSent;
      const kept: typeof entries = [];
      sorted.forEach((stamp, i) => {
        if (last !== null && (stamp.at < last.at || (stamp.at === last.at && atLast.has(stamp.id)))) return;
        if (last === null || stamp.at !== last.at) atLast = new Set();
        atLast.add(stamp.id);
        last = stamp;
        kept.push(entries[i]!);
      });
      return kept.length === entries.length ? bundle : { ...bundle, entry: kept };
    },
    /**
     * The page to ask after one: the server's offset link one early when it can be checked, a
     * search from the last instant read after a shift (`shifted`), the server's link otherwise.
     */
    next(serverNext: string | null, shifted: boolean, url: string): string | null {
      repeats = false;
      if (shifted && last !== null) {
        const search = new URL(first);
        const count = new URL(url).searchParams.get('_count');
        if (count !== null) search.searchParams.set('_count', count);
        search.searchParams.delete('_offset');
        search.searchParams.set('_lastUpdated', `ge${new Date(last.at).toISOString()}`);
        lastSent = null;
        return search.href;
      }
      if (serverNext === null || lastSent === null || !new URL(serverNext).searchParams.has('_offset'))
        return serverNext;
      const link = new URL(serverNext);
      const offset = Number(link.searchParams.get('_offset'));
      const count = Number(link.searchParams.get('_count'));
      if (!(offset >= 1) || !(count >= 2)) return serverNext;
      link.searchParams.set('_offset', String(offset - 1));
      repeats = true;
      return link.href;
    },
  };
}

/** Central's clock: the answer's Date header, else the Bundle's meta.lastUpdated. */
function centralClock(date: string | null, bundle: Bundle): number | null {
  const fromHeader = date === null ? Number.NaN : Date.parse(date);
  if (!Number.isNaN(fromHeader)) return fromHeader;
  const stamped = typeof bundle.meta?.lastUpdated === 'string' ? Date.parse(bundle.meta.lastUpdated) : Number.NaN;
  return Number.isNaN(stamped) ? null : stamped;
}

/** A page as read, and whether it was large enough to be read as a stream (bundle-reader.ts). */
interface FetchedPage {
  page: Page;
  url: string;
  streamed: boolean;
}

async function fetchPage(url: string, options: PageReadOptions): Promise<Omit<FetchedPage, 'url'>> {
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
      const read = await readBundle(response, options.limits, `${options.what} page`);
      const bundle = read.bundle as Bundle | null;
      if (!bundle || typeof bundle !== 'object' || bundle.resourceType !== 'Bundle')
        throw new SyncHttpError(
          'malformed-response',
          `The central FHIR API sent a ${options.what} page that is not a Bundle.`,
        );
      return {
        page: { bundle, centralNow: centralClock(response.headers.get('date'), bundle) },
        streamed: read.streamed,
      };
    },
  );
}

/**
 * A page too large to read is asked again with a quarter of its `_count`, down to one resource,
 * when its link carries one (central's next links keep the offset, so nothing is skipped); a
 * single resource over the cap, or a link central made opaque, stops the search.
 */
async function fetchPageWithin(url: string, options: PageReadOptions): Promise<FetchedPage> {
  for (let current = url; ;) {
    try {
      return { ...(await fetchPage(current, options)), url: current };
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
 * The page an offset server links to after `url` (the same search, `_offset` moved on by its
 * `_count`), as the checked paging would ask it (one early), or null when `url` has no count to
 * go by. A guess: it is only used when the page's real next link turns out the same.
 */
export function offsetPageAfter(url: string, oneEarly: boolean): string | null {
  const guess = new URL(url);
  const count = Number(guess.searchParams.get('_count'));
  const offset = Number(guess.searchParams.get('_offset') ?? 0);
  if (!Number.isInteger(count) || count < 2 || !Number.isInteger(offset) || offset < 0) return null;
  guess.searchParams.set('_offset', String(offset + count - (oneEarly ? 1 : 0)));
  return guess.href;
}

/** The same request whatever the order of its parameters. */
function sameRequest(a: string, b: string): boolean {
  const normal = (href: string) => {
    const url = new URL(href);
    url.searchParams.sort();
    return url.href;
  };
  return normal(a) === normal(b);
}

/**
 * The pages of a search, read ahead. The next page is asked for as soon as its link is known.
 * And while it comes, the one after it is asked too, where that link can be told in advance (an
 * offset server's, offsetPageAfter): with one request at a time central waits for each answer to
 * travel and be read before it is asked again, and the pull fell to about 60% of a plain fetch
 * loop (issue 14); with two, central always has the next one. The guess is used only when it is
 * the link the page then gives; a server whose links differ is not guessed for again in this
 * search (so it is asked at most one page more than it links to). Never after a page large enough
 * to be streamed: two such pages arriving at once would double what the reader holds.
 *
 * A next link seen before (a Bundle pointing to itself, or a cycle) is 'cyclic-paging'; past
 * `limits.maxPages` pages the search ends for this round, and the next round goes on from the
 * cursor the stored pages reached.
 */
export async function* readPages(first: string, options: PageReadOptions): AsyncGenerator<Page> {
  const base = new URL(first);
  const seen = new Set<string>();
  let read = 0;
  const checked = options.sortedByLastUpdated ? createCheckedPaging(first) : null;
  const ask = (url: string) => {
    const fetched = fetchPageWithin(url, options);
    fetched.catch(() => undefined); // awaited on a later turn (or dropped), where a failure is thrown
    return { url, fetched };
  };
  let pending: ReturnType<typeof ask> | null = ask(first);
  let ahead: ReturnType<typeof ask> | null = null;
  let guessing = true;
  while (pending) {
    const { page: sent, url, streamed }: FetchedPage = await pending.fetched;
    const unread: Bundle | null = checked ? checked.unread(sent.bundle) : sent.bundle;
    const page: Page = { ...sent, bundle: unread ?? { ...sent.bundle, entry: [] } };
    seen.add(url);
    read++;
    let next = nextLink(sent.bundle, base);
    // Only an offset link shifts (checked.next leaves an opaque one, such as HAPI's held results
    // or a cursor, as it is: those page a snapshot).
    if (checked) next = checked.next(next, unread === null, url);
    // After a shift the search begins again from where it was read to: what it asks may repeat
    // what was asked before central changed, which is no cycle of central's links (maxPages
    // still bounds the reading).
    if (unread === null) seen.clear();
    const cyclic: boolean = next !== null && seen.has(next);
    const goesOn = next !== null && !cyclic && read < options.limits.maxPages;
    const guessed: ReturnType<typeof ask> | null = ahead;
    ahead = null;
    if (guessed && goesOn && !sameRequest(guessed.url, next!) && unread !== null) guessing = false;
    pending = !goesOn ? null : guessed && sameRequest(guessed.url, next!) ? guessed : ask(next!);
    if (pending && guessing && !streamed && read + 1 < options.limits.maxPages) {
      const after = offsetPageAfter(pending.url, checked !== null);
      if (after !== null && !seen.has(after)) ahead = ask(after);
    }
    if (!pending) options.onLastPage?.();
    yield page; // this page is good: kept before the search stops
    if (cyclic)
      throw new SyncHttpError(
        'cyclic-paging',
        `The central FHIR API sent a ${options.what} page whose next link leads back to a page already read.`,
      );
  }
}

/** One search of several read in turn (readSearches). */
export interface SearchToRead {
  url: string;
  /** What is read, for error messages ("Observation pull"). */
  what: string;
}

/** A page of the search at `index`, that search's end, or its failure alone (the next goes on). */
export type SearchRead =
  { index: number; page: Page } | { index: number; done: true } | { index: number; failed: SyncHttpError };

/**
 * Several searches read one after another as one stream (the pull's page worker). The first page
 * of the next search is asked as soon as the last page of the one before has arrived, so it comes
 * while that page is read, validated and stored: a scoped pull makes hundreds of small searches
 * (a batch of 100 patients' allergies is one page), and each one asked only once the one before
 * was taken made the reader wait a whole round trip per search with central idle meanwhile. What
 * is held stays bounded as within a search: that first page takes the place of the next page the
 * ended search would have had on its way.
 *
 * A failure of one search alone (stopsOnlyTheSearch) ends that search and the next goes on; any
 * other failure ends the reading.
 */
export async function* readSearches(
  searches: readonly SearchToRead[],
  options: Omit<PageReadOptions, 'what' | 'onLastPage'>,
): AsyncGenerator<SearchRead> {
  interface Started {
    pages: AsyncGenerator<Page>;
    first: Promise<IteratorResult<Page>>;
    /** Its last page has arrived: nothing more of it is on its way. */
    ended: boolean;
  }
  let reading = 0;
  let next: Started | null = null;
  // Only the search being read asks for the one after it: one search ahead at most, however small.
  const askNext = () => {
    if (next === null && reading + 1 < searches.length) next = start(reading + 1);
  };
  const start = (index: number): Started => {
    const search = searches[index]!;
    const started: Started = {
      ended: false,
      pages: readPages(search.url, {
        ...options,
        what: search.what,
        onLastPage: () => {
          started.ended = true;
          if (index === reading) askNext();
        },
      }),
      first: Promise.resolve({ done: true, value: undefined }),
    };
    started.first = started.pages.next();
    started.first.catch(() => undefined); // awaited at its turn, where a failure is thrown
    return started;
  };
  for (; reading < searches.length; reading++) {
    const current: Started = next ?? start(reading);
    next = null;
    if (current.ended) askNext();
    try {
      for (let step = await current.first; !step.done; step = await current.pages.next())
        yield { index: reading, page: step.value };
      yield { index: reading, done: true };
    } catch (error) {
      if (!stopsOnlyTheSearch(error)) throw error;
      yield { index: reading, failed: error };
    } finally {
      await current.pages.return(undefined);
    }
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
  /** Central's clock when it sent the page (ms), as Page.centralNow. */
  centralNow: number | null;
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
  return { prepared, newest, future, centralNow: page.centralNow };
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
