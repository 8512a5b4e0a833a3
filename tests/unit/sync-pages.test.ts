import { describe, expect, it } from 'vitest';
import { preparePage, type Bundle } from '../../src-main/sync/pages.ts';
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
