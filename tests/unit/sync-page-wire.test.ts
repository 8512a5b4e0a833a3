/**
 * A validated page crosses from the page worker to the core's thread in its wire form
 * (page-wire.ts): the same resources, columns and JSON come out as went in, the refused ones too.
 */
import { describe, expect, it } from 'vitest';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { fromWire, toWire } from '../../src-main/sync/page-wire.ts';
import { preparePage } from '../../src-main/sync/pages.ts';
import { DEFAULT_PAGE_LIMITS } from '../../src-main/sync/pull.ts';

describe('a page in its wire form', () => {
  it("gives back every accepted resource as prepared (columns, JSON, a Patient's search columns), then the refused", () => {
    const resources = [...generateResources({ patients: 3, seed: 2 })].map(
      (r) => JSON.parse(JSON.stringify(r)) as object,
    );
    const patients = resources.filter((r) => (r as { resourceType: string }).resourceType === 'Patient');
    const entry = [
      ...patients.slice(0, 2).map((resource) => ({ resource })),
      { resource: { resourceType: 'Patient', id: 'bad one' } },
      { resource: { ...patients[2], name: [{ family: 'Ünïcödé-名前' }] } },
    ];
    const page = preparePage(
      { bundle: { resourceType: 'Bundle', entry }, centralNow: Date.now() },
      'Patient',
      DEFAULT_PAGE_LIMITS,
    );
    const wire = toWire(page);
    // What crosses is one string and flat arrays, structured-clonable as the worker sends them.
    const back = fromWire(structuredClone(wire));
    const accepted = page.prepared.filter((outcome) => outcome.ok);
    expect(back.prepared).toEqual([...accepted, ...page.prepared.filter((outcome) => !outcome.ok)]);
    expect(accepted).toHaveLength(3);
    expect(back.prepared.at(-1)).toMatchObject({ ok: false, rejected: { resourceType: 'Patient', id: null } });
    expect({ newest: back.newest, future: back.future, centralNow: back.centralNow }).toEqual({
      newest: page.newest,
      future: page.future,
      centralNow: page.centralNow,
    });
  });

  it('carries a page with nothing accepted', () => {
    const page = preparePage(
      { bundle: { resourceType: 'Bundle' }, centralNow: null },
      'Condition',
      DEFAULT_PAGE_LIMITS,
    );
    expect(fromWire(structuredClone(toWire(page)))).toEqual(page);
  });
});
