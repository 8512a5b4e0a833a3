import { Worker } from 'node:worker_threads';
import { SyncHttpError } from './http.ts';
import type { PageLimits, PreparedPage } from './pages.ts';
import { fromWire, type WirePage } from './page-wire.ts';
import type { PageJob, SearchFailure } from './page-worker.ts';

export type { SearchFailure };

/** A page of the search at `index` in the job, that search's end, or its failure alone (the next goes on). */
export type ReadItem =
  { index: number; page: PreparedPage } | { index: number; done: true } | { index: number; failed: SearchFailure };

/**
 * The core's side of the page worker (page-worker.ts): one worker thread, reading a pull's
 * searches one after another (one read at a time; the sync engine keeps it across its rounds);
 * their pages arrive validated (preparePage), in order, as an async iterable, the worker staying
 * `ahead` pages in front of the reader. Close ends the thread.
 */
export interface PageReader {
  read(job: Omit<PageJob, 'ahead' | 'limits'>): AsyncGenerator<ReadItem>;
  /**
   * Whether it can take another read: not left in the middle of one (its worker may still be
   * sending that read's pages), its thread neither stopped nor closed.
   */
  usable(): boolean;
  close(): Promise<void>;
}

const WORKER_URL = new URL(`./page-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);
const AHEAD = 4;

/** What the worker sends: its pages in their wire form (page-wire.ts). */
type Message =
  { index: number; page: WirePage } | Exclude<ReadItem, { page: unknown }> | { end: true } | { error: SearchFailure };

/**
 * The worker's heap holds a page as text and as parsed objects at once, and the next page
 * arriving: room for three answers at the size cap, and the worker's own.
 */
function workerHeapMb(limits: PageLimits): number {
  return Math.max(96, Math.ceil((3 * limits.maxResponseBytes) / 1048576) + 64);
}

export function startPageReader(limits: PageLimits): PageReader {
  // No loader flags from the parent (tsx in development): built, the worker is plain JavaScript;
  // from source, Node strips the types of it and its imports by itself.
  // A bounded heap: the worker holds a few pages at a time, and the limit keeps the garbage of
  // parsed pages from growing the app's memory. The young generation is sized for a page's worth
  // of short-lived objects (measured: 16 MiB made the worker the pull's bottleneck in scavenges).
  const worker = new Worker(WORKER_URL, {
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: workerHeapMb(limits), maxYoungGenerationSizeMb: 32 },
  });
  worker.unref();
  const queue: (Message | { crashed: Error })[] = [];
  let wake: (() => void) | null = null;
  const push = (item: Message | { crashed: Error }) => {
    queue.push(item);
    wake?.();
    wake = null;
  };
  let busy = false;
  // A search left before its end leaves its worker mid-way: its later pages must not be taken
  // for the next search's, so such a reader takes no more searches. Nor one whose thread stopped.
  let broken = false;
  worker.on('message', (message: Message) => push(message));
  worker.on('error', (error) => {
    broken = true;
    push({ crashed: error });
  });
  worker.on('exit', (code) => {
    broken = true;
    push({ crashed: new Error(`The page worker exited (${code}).`) });
  });

  return {
    async *read(job) {
      if (busy || broken) throw new Error('This page reader cannot take another search.');
      busy = true;
      let ended = false;
      try {
        worker.postMessage({ read: { ...job, limits, ahead: AHEAD } });
        for (;;) {
          while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          const item = queue.shift()!;
          // Not "offline": central answered, and this workstation could not read it (its memory cap).
          if ('crashed' in item)
            throw new SyncHttpError('reader-failed', `The pull's page reader stopped (${item.crashed.message}).`);
          if ('error' in item) throw new SyncHttpError(item.error.reason, item.error.message, item.error.status);
          if ('end' in item) {
            ended = true;
            return;
          }
          if ('page' in item) {
            worker.postMessage({ credit: 1 });
            yield { index: item.index, page: fromWire(item.page) };
          } else yield item;
        }
      } finally {
        busy = false;
        if (!ended) broken = true;
      }
    },
    usable: () => !busy && !broken,
    async close() {
      broken = true;
      await worker.terminate();
    },
  };
}
