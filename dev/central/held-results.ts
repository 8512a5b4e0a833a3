/**
 * Search and history results held server-side, the way HAPI FHIR's JPA server pages: a search
 * runs once, its matches (ids, or history versions) are kept under an opaque UUID, and the
 * Bundle's next link asks for a slice of them (`?_getpages=<uuid>&_getpagesoffset=<n>`). Later
 * writes do not add to or reorder what is held (hapifhir/hapi-fhir#481: "by design"); a page
 * shows each held resource as it is when the page is read, and leaves out those deleted since.
 * Held results expire some time after they were last read (HAPI's search expiry, tracked by last
 * access since hapifhir/hapi-fhir#7220); a page asked of an expired or unknown search is 410 Gone.
 *
 * HAPI also answers an identical search made within a minute from the results it holds
 * (its "search result caching"; a client opts out with `Cache-Control: no-cache`): `recent()`.
 */
import { randomUUID } from 'node:crypto';
import type { BundleEntry } from '@medplum/fhirtypes';

/** How long held results outlive their last read (HAPI keeps them about an hour; tests shorten it). */
export const DEFAULT_HELD_TTL_MS = 60 * 60 * 1000;
/** Searches held at once; the least recently read goes first. */
const MAX_HELD = 500;

export interface Held {
  id: string;
  /** 'searchset' or 'history': the Bundle type of every page. */
  bundleType: 'searchset' | 'history';
  /** When the search ran: Bundle.meta.lastUpdated of every page. */
  created: string;
  /** What identifies the search for reuse (its type and query), if it may be reused. */
  key?: string;
  total: number;
  /** The page size chosen by the first request, kept for the links. */
  count: number;
  /** The entries at [offset, offset + count), as they are now. */
  entries(offset: number, count: number): BundleEntry[];
}

export class HeldResults {
  private readonly held = new Map<string, { held: Held; lastRead: number; createdMs: number }>();

  constructor(
    private readonly ttlMs = DEFAULT_HELD_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  hold(held: Omit<Held, 'id' | 'created'>): Held {
    this.expire();
    const createdMs = this.now();
    const entry: Held = { ...held, id: randomUUID(), created: new Date(createdMs).toISOString() };
    this.held.set(entry.id, { held: entry, lastRead: createdMs, createdMs });
    while (this.held.size > MAX_HELD) this.held.delete(this.held.keys().next().value as string);
    return entry;
  }

  /** The held results, their expiry pushed back; undefined when unknown or expired. */
  get(id: string): Held | undefined {
    this.expire();
    const found = this.held.get(id);
    if (!found) return undefined;
    // Re-inserted: the map's order is the order of last reads, oldest first.
    this.held.delete(id);
    this.held.set(id, { ...found, lastRead: this.now() });
    return found.held;
  }

  /** The newest held results of the search `key` that ran at most `maxAgeMs` ago, read again. */
  recent(key: string, maxAgeMs: number): Held | undefined {
    this.expire();
    let newest: { held: Held; createdMs: number } | undefined;
    for (const found of this.held.values()) {
      if (found.held.key !== key || this.now() - found.createdMs > maxAgeMs) continue;
      if (!newest || found.createdMs >= newest.createdMs) newest = found;
    }
    return newest ? this.get(newest.held.id) : undefined;
  }

  private expire(): void {
    const cutoff = this.now() - this.ttlMs;
    for (const [id, { lastRead }] of this.held) {
      if (lastRead > cutoff) break;
      this.held.delete(id);
    }
  }
}
