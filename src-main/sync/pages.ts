import { prepareResource, type Prepared } from '../../src-shared/fhir/prepare.ts';
import { fetchWithRetry, SyncHttpError, type HttpDeps } from './http.ts';

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
}

async function fetchBundle(url: string, options: PageReadOptions): Promise<Bundle> {
  const response = await fetchWithRetry(
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
  );
  if (!response.ok) {
    await response.body?.cancel();
    throw new SyncHttpError(
      `http-${response.status}`,
      `The central FHIR API refused the ${options.what} (HTTP ${response.status}).`,
      response.status,
    );
  }
  let bundle: Bundle;
  try {
    bundle = (await response.json()) as Bundle;
  } catch {
    throw new SyncHttpError('malformed-response', `The central FHIR API sent a ${options.what} page that is not JSON.`);
  }
  if (bundle.resourceType !== 'Bundle')
    throw new SyncHttpError(
      'malformed-response',
      `The central FHIR API sent a ${options.what} page that is not a Bundle.`,
    );
  return bundle;
}

export async function* readPages(first: string, options: PageReadOptions): AsyncGenerator<Bundle> {
  const base = new URL(first);
  let pending: Promise<Bundle> | null = fetchBundle(first, options);
  while (pending) {
    const bundle: Bundle = await pending;
    const next = nextLink(bundle, base);
    pending = next ? fetchBundle(next, options) : null;
    pending?.catch(() => undefined); // awaited on the next turn, where a failure is thrown
    yield bundle;
  }
}

/**
 * One search page of a type, validated: its resources ready to store or rejected, and how far it
 * moves the pull's cursor: its newest lastUpdated, but never past the time the search ran.
 */
export interface PreparedPage {
  prepared: Prepared[];
  newest: string | null;
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

export function preparePage(bundle: Bundle, type: string): PreparedPage {
  const prepared: Prepared[] = [];
  let newest: string | null = null;
  let newestMs = -Infinity;
  for (const entry of bundle.entry ?? []) {
    const resource = entry.resource as { resourceType?: unknown; meta?: { lastUpdated?: unknown } } | undefined;
    if (!resource || resource.resourceType !== type) continue; // included or outcome entries: not this type's
    const lastUpdated = resource.meta?.lastUpdated;
    const ms = typeof lastUpdated === 'string' ? Date.parse(lastUpdated) : Number.NaN;
    if (ms > newestMs) {
      newestMs = ms;
      newest = lastUpdated as string;
    }
    prepared.push(prepareResource(resource));
  }
  const searchedAt = searchTimeMs(bundle);
  if (searchedAt !== null && newestMs > searchedAt) newest = bundle.meta?.lastUpdated as string;
  return { prepared, newest };
}
