/**
 * The pull's quick check (src-shared/fhir/quick-check.ts) says yes only where zod's safeParse
 * would: over HL7's R4 examples and the synthetic clinic as they are, and over random damage to
 * them (an element replaced, removed, added or nulled anywhere in the tree). A yes must also mean
 * that what is stored (the value itself) holds what zod's parsed copy holds.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { FhirResource } from '../../src-shared/fhir/resources.ts';
import { compileQuickCheck } from '../../src-shared/fhir/quick-check.ts';
import { prepareResource } from '../../src-shared/fhir/prepare.ts';
import { hl7Examples } from '../support/hl7-examples.ts';

type Json = Record<string, unknown>;

const quick = compileQuickCheck(FhirResource);
const seeds: Json[] = [
  ...hl7Examples().map((example) => example.resource),
  ...[...generateResources({ patients: 40, seed: 15 })].map((resource) => JSON.parse(JSON.stringify(resource)) as Json),
];

/** Every place in a resource an element can be changed: the path of each object key and array item. */
function pathsOf(
  value: unknown,
  at: (string | number)[] = [],
  into: (string | number)[][] = [],
): (string | number)[][] {
  const children: [string | number, unknown][] = Array.isArray(value)
    ? value.map((item, i) => [i, item])
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : [];
  for (const [key, item] of children) {
    into.push([...at, key]);
    pathsOf(item, [...at, key], into);
  }
  return into;
}

type Damage =
  | { kind: 'replace'; with: unknown }
  | { kind: 'remove' }
  | { kind: 'add'; key: string; with: unknown }
  | { kind: 'proto' };

/** The seed with one element damaged at `path` (a copy; the seed is untouched). */
function damaged(seed: Json, path: (string | number)[], damage: Damage): unknown {
  const copy = JSON.parse(JSON.stringify(seed)) as Json;
  if (damage.kind === 'proto') {
    // As JSON.parse makes it: an own "__proto__" key, which zod leaves out of its copy.
    const text = JSON.stringify(copy).replace(/^\{/, '{"__proto__":{"x":1},');
    return JSON.parse(text) as unknown;
  }
  const parent = path.slice(0, -1).reduce<unknown>((node, key) => (node as Json)[key as string], copy) as Json;
  const key = path.at(-1)!;
  if (damage.kind === 'replace') parent[key as string] = damage.with;
  else if (damage.kind === 'remove') {
    if (Array.isArray(parent)) parent.splice(key as number, 1);
    else delete parent[key as string];
  } else if (typeof parent === 'object' && parent !== null && !Array.isArray(parent)) parent[damage.key] = damage.with;
  return copy;
}

/** Values that break FHIR's rules in the ways central might: wrong types, empty or spaced text, bad dates and codes. */
const badValue = fc.oneof(
  fc.constantFrom(
    null,
    '',
    ' ',
    'a  b',
    ' lead',
    '2023-02-31',
    '2023-13-01',
    '2026-01-01T10:00:00',
    'not a date',
    'Patient/',
    'Practitioner/x y',
    '#',
    0,
    -1,
    1.5,
    2 ** 31,
    true,
    false,
    [],
    [null],
    {},
    { id: 'x' },
    'x'.repeat(65),
    '\u00a0',
    'final',
    'http://loinc.org',
  ),
  fc.string(),
  fc.integer(),
  fc.double(),
  fc.jsonValue({ maxDepth: 2 }),
);

const damage: fc.Arbitrary<Damage> = fc.oneof(
  { weight: 6, arbitrary: badValue.map((value): Damage => ({ kind: 'replace', with: value })) },
  { weight: 3, arbitrary: fc.constant<Damage>({ kind: 'remove' }) },
  {
    weight: 2,
    arbitrary: fc
      .record({
        key: fc.constantFrom('_given', '_family', 'extension', 'unknownElement', 'valueString', 'id'),
        with: badValue,
      })
      .map((add): Damage => ({ kind: 'add', ...add })),
  },
  { weight: 1, arbitrary: fc.constant<Damage>({ kind: 'proto' }) },
);

/** Whether the quick check agrees with zod on `value`: never a yes zod refuses, and a yes stores what zod's copy holds. */
function agrees(value: unknown): boolean {
  const parsed = FhirResource.safeParse(value);
  if (!quick(value)) return true; // zod decides (prepareResource runs it)
  return (
    parsed.success && isDeepStrictEqual(JSON.parse(JSON.stringify(value)), JSON.parse(JSON.stringify(parsed.data)))
  );
}

describe('the quick check says yes only where zod does', () => {
  it('accepts every seed zod accepts, and no other (HL7 examples and the synthetic clinic, as they are)', () => {
    for (const seed of seeds) expect(quick(seed)).toBe(FhirResource.safeParse(seed).success);
    // It is quick only if it says yes to what central sends: nearly every seed is valid.
    expect(seeds.filter((seed) => quick(seed)).length).toBeGreaterThan(seeds.length * 0.95);
  });

  it('over random damage anywhere in a resource, never says yes where zod says no', () => {
    const damagedResource = fc
      .nat({ max: seeds.length - 1 })
      .chain((i) => {
        const paths = pathsOf(seeds[i]);
        return fc.tuple(fc.constant(i), fc.nat({ max: Math.max(0, paths.length - 1) }), damage, fc.constant(paths));
      })
      .map(([i, p, how, paths]) => damaged(seeds[i]!, paths[p] ?? ['id'], how));
    fc.assert(fc.property(damagedResource, agrees), { numRuns: 3000 });
  });

  it('refuses the damage zod refuses, case by case', () => {
    const patient = seeds.find((seed) => seed['resourceType'] === 'Patient' && quick(seed))!;
    const cases: unknown[] = [
      { ...patient, id: 'has space' },
      { ...patient, birthDate: '2023-02-31' },
      { ...patient, gender: 'F' },
      { ...patient, name: [{ given: [null] }] }, // a null with no _given beside it
      { ...patient, resourceType: 'Pateint' },
      { ...patient, meta: { lastUpdated: '2026-01-01' } },
      { ...patient, active: 'true' },
      [patient],
      null,
    ];
    for (const value of cases) {
      expect(FhirResource.safeParse(value).success).toBe(false);
      expect(quick(value)).toBe(false);
    }
  });

  it('leaves a resource with a "__proto__" key to zod, whose copy (without it) is what is stored', () => {
    const patient = seeds.find((seed) => seed['resourceType'] === 'Patient' && quick(seed))!;
    const hostile = JSON.parse(JSON.stringify(patient).replace(/^\{/, '{"__proto__":{"polluted":true},')) as unknown;
    expect(quick(hostile)).toBe(false);
    const outcome = prepareResource(hostile);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.resource.json).not.toContain('__proto__');
  });

  it('refuses, when compiled, a schema feature it does not walk (so a new one fails here, not in the field)', () => {
    expect(() => compileQuickCheck(z.union([z.string(), z.number()]))).toThrow(/union without a discriminator/);
    expect(() => compileQuickCheck(z.strictObject({ a: z.string() }))).toThrow(/never catchall/);
    expect(() => compileQuickCheck(z.object({ a: z.string() }))).toThrow(/catchall/);
    expect(() => compileQuickCheck(z.record(z.string(), z.string()))).toThrow(/record is not walked/);
  });
});
