/**
 * The page worker: reads searches from central in its own thread (readSearches, pages.ts), one
 * after the other, so the pages keep coming while the core's thread validates and stores the ones
 * before (a pull's storing blocks that thread, and would otherwise leave central idle), also
 * across the end of one search and the start of the next (the next search's first page is asked
 * as the last page of the one before arrives). Pages are sent as they arrive, at most `ahead`
 * pages before the reader has taken them (credits), which bounds the memory they hold.
 *
 * The worker also validates each page's resources (preparePage): that work is off the core's
 * thread too, and what crosses is strings (the resources as stored), cheap to copy.
 *
 * Messages in: { read: PageJob } to start, { credit: n } as pages are taken.
 * Messages out: { index, page: PreparedPage } and { index, done: true } per search, or
 * { index, failed: { reason, message, status } } for a search that failed alone (the next goes
 * on), then { end: true }; or { error: { reason, message, status } }, which ends the read.
 */
import { parentPort } from 'node:worker_threads';
import { createCentralFetch } from '../net/index.ts';
import { preparePage, readSearches, type PageLimits } from './pages.ts';
import { toWire } from './page-wire.ts';
import type { RetryPolicy } from './http.ts';

export interface PageSearch {
  url: string;
  /** The resource type searched: only its resources are kept from each page. */
  type: string;
  /** What is read, for error messages ("Observation pull"). */
  what: string;
}

export interface PageJob {
  searches: PageSearch[];
  accessToken: string;
  allowLoopbackHttp: boolean;
  tlsPins: readonly string[];
  retry?: Partial<RetryPolicy>;
  limits: PageLimits;
  ahead: number;
}

/** What central said of a search that failed (the wire form of a SyncHttpError). */
export interface SearchFailure {
  reason: string;
  status: number | null;
  message: string;
}

function failureOf(error: unknown): SearchFailure {
  const { reason, status, message } = error as { reason?: unknown; status?: unknown; message?: unknown };
  return {
    reason: typeof reason === 'string' ? reason : 'network',
    status: typeof status === 'number' ? status : null,
    message: typeof message === 'string' ? message : 'The page reader failed.',
  };
}

if (!parentPort) throw new Error('page-worker runs as a worker thread');
const port = parentPort;
let credits = 0;
let wake: (() => void) | null = null;

port.on('message', (message: { read?: PageJob; credit?: number }) => {
  if (message.credit !== undefined) {
    credits += message.credit;
    wake?.();
    wake = null;
  }
  if (message.read) void run(message.read);
});

async function run(job: PageJob): Promise<void> {
  credits = job.ahead;
  try {
    const options = {
      accessToken: job.accessToken,
      allowLoopbackHttp: job.allowLoopbackHttp,
      fetch: createCentralFetch({ tlsPins: job.tlsPins }),
      limits: job.limits,
      // The pull's searches are sorted by _lastUpdated: their offset pages are seeks (pages.ts).
      sortedByLastUpdated: true,
      ...(job.retry ? { retry: job.retry } : {}),
    };
    for await (const item of readSearches(job.searches, options)) {
      if ('page' in item) {
        while (credits <= 0) await new Promise<void>((resolve) => (wake = resolve));
        credits--;
        const search = job.searches[item.index]!;
        port.postMessage({ index: item.index, page: toWire(preparePage(item.page, search.type, job.limits)) });
      } else if ('failed' in item) port.postMessage({ index: item.index, failed: failureOf(item.failed) });
      else port.postMessage(item);
    }
    port.postMessage({ end: true });
  } catch (error) {
    port.postMessage({ error: failureOf(error) });
  }
}
