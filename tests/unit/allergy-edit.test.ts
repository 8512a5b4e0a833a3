/**
 * An allergy edit loses nothing: over random allergies that carry everything central may send
 * (extensions, identifiers, several notes with authors, reactions, narrative, primitive
 * extensions, contained resources) and random edits, the PUT body equals the base resource except
 * exactly the paths the edit changes: criticality, clinical status, one appended note, and the
 * narrative, which goes once it no longer matches (unless it is `empty`).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AllergyEdit } from '../../src-shared/chart/vitals.ts';
import { ALLERGY_CLINICAL_SYSTEM, AllergyIntolerance } from '../../src-shared/fhir/index.ts';
import { allergyEditOf, editedAllergy, mergedAllergy, type Author } from '../../src-main/records/index.ts';
import { withoutServerMeta } from '../../src-main/sync/outbox.ts';

const at = new Date('2026-11-29T10:00:00.000Z');
const XHTML = 'http://www.w3.org/1999/xhtml';

const statusCode = fc.constantFrom('active', 'inactive', 'resolved');
const criticality = fc.constantFrom('low', 'high', 'unable-to-assess');
const word = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,30}$/);

const annotation = fc
  .record(
    {
      author: fc.oneof(
        fc.record({
          authorReference: fc.constant({ reference: 'Practitioner/pract-9', display: 'Dr Synthetic Nine' }),
        }),
        fc.record({ authorString: word.map((w) => `Synthetic ${w}`) }),
        fc.constant({}),
      ),
      time: fc.constantFrom('2024-02-03T04:05:06Z', '2025-07-01', '2023-12-24T08:00:00+01:00'),
      text: word.map((w) => `Synthetic note: ${w}`),
      extension: fc.constant([{ url: 'http://example.org/fhir/StructureDefinition/note-source', valueString: 'ehr' }]),
    },
    { requiredKeys: ['author', 'text'] },
  )
  .map(({ author, ...rest }) => ({ ...author, ...rest }));

const clinicalStatus = fc
  .record(
    {
      code: statusCode,
      translation: fc.constant({ system: 'http://example.org/local-allergy-status', code: 'L1' }),
      text: word,
      extension: fc.constant([{ url: 'http://example.org/fhir/StructureDefinition/status-source', valueCode: 'x' }]),
    },
    { requiredKeys: ['code'] },
  )
  .map(({ code, translation, ...rest }) => ({
    coding: [{ system: ALLERGY_CLINICAL_SYSTEM, code }, ...(translation ? [translation] : [])],
    ...rest,
  }));

/** An allergy with everything an R4 server may store, each part present or not. */
const baseAllergy = fc
  .record(
    {
      meta: fc.constant({
        versionId: '7',
        lastUpdated: '2026-01-02T03:04:05.000Z',
        source: '#central',
        profile: ['http://example.org/fhir/StructureDefinition/synthetic-allergy'],
        tag: [{ system: 'http://example.org/tags', code: 'synthetic' }],
      }),
      language: fc.constant('en'),
      text: fc.record({
        status: fc.constantFrom('generated', 'extensions', 'additional', 'empty'),
        div: word.map((w) => `<div xmlns="${XHTML}"><p>Synthetic narrative: ${w}</p></div>`),
      }),
      contained: fc.constant([{ resourceType: 'Practitioner', id: 'c1', name: [{ family: 'Synthetic' }] }]),
      extension: fc.constant([{ url: 'http://example.org/fhir/StructureDefinition/allergy-origin', valueString: 'x' }]),
      identifier: fc.constant([{ system: 'urn:oid:1.2.3.4.5', value: 'ALG-0001' }]),
      clinicalStatus,
      verificationStatus: fc.constantFrom('unconfirmed', 'confirmed', 'refuted').map((code) => ({
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code }],
      })),
      type: fc.constantFrom('allergy', 'intolerance'),
      category: fc.constant(['medication']),
      criticality,
      _criticality: fc.constant({ extension: [{ url: 'http://example.org/criticality-source', valueCode: 'x' }] }),
      code: fc.constant({ coding: [{ system: 'http://snomed.info/sct', code: '764146007' }], text: 'Penicillin' }),
      encounter: fc.constant({ reference: 'Encounter/enc-1' }),
      onsetDateTime: fc.constant('2019-05-01'),
      recordedDate: fc.constant('2019-05-02T10:00:00Z'),
      _recordedDate: fc.constant({ extension: [{ url: 'http://example.org/recorded-source', valueCode: 'y' }] }),
      recorder: fc.constant({ reference: 'Practitioner/pract-9' }),
      asserter: fc.constant({ reference: 'Patient/pat-1' }),
      lastOccurrence: fc.constant('2024-01-01'),
      note: fc.array(annotation, { minLength: 1, maxLength: 4 }),
      reaction: fc.constant([
        {
          manifestation: [{ coding: [{ system: 'http://snomed.info/sct', code: '247472004' }], text: 'Hives' }],
          severity: 'moderate',
          note: [{ authorString: 'Synthetic Nurse', text: 'Synthetic reaction note' }],
          extension: [{ url: 'http://example.org/reaction-x', valueBoolean: true }],
        },
      ]),
    },
    { requiredKeys: ['meta'] },
  )
  .map((parts) =>
    AllergyIntolerance.parse({
      resourceType: 'AllergyIntolerance',
      id: 'allergy-prop',
      ...parts,
      patient: { reference: 'Patient/pat-1' },
    }),
  );

const edit = fc
  .record({
    criticality,
    clinicalStatus: statusCode,
    note: fc.oneof(
      fc.constant(''),
      fc.constant('   '),
      word.map((w) => `  Synthetic comment: ${w} `),
    ),
  })
  .map((raw) => AllergyEdit.parse(raw));

const author: fc.Arbitrary<Author> = fc.oneof(
  fc.constant({ practitionerId: 'pract-1', displayName: 'Test Nurse' }),
  fc.constant({ practitionerId: null, displayName: 'Test Physician' }),
);

/** What the outbox sends for this resource: its JSON without what only central sets. */
const putBody = (resource: AllergyIntolerance) =>
  JSON.parse(JSON.stringify(withoutServerMeta(resource))) as Record<string, unknown>;
const statusOf = (allergy: AllergyIntolerance) =>
  allergy.clinicalStatus?.coding?.find((c) => c.system === ALLERGY_CLINICAL_SYSTEM)?.code;

describe('an allergy edit loses nothing', () => {
  it('the PUT body is the base except exactly the changed paths, over random allergies and edits', () => {
    fc.assert(
      fc.property(baseAllergy, edit, author, (base, change, who) => {
        const frozen = structuredClone(base);
        const edited = editedAllergy(base, change, who, at);
        expect(base, 'the base is not changed in place').toEqual(frozen);
        expect(AllergyIntolerance.safeParse(edited).success).toBe(true);
        const body = putBody(edited);
        const expected = putBody(base);
        let changed = false;

        if (base.criticality !== change.criticality) {
          expected['criticality'] = change.criticality;
          delete expected['_criticality'];
          changed = true;
        }
        if (statusOf(base) !== change.clinicalStatus) {
          expect(body['clinicalStatus']).toEqual({
            coding: [{ system: ALLERGY_CLINICAL_SYSTEM, code: change.clinicalStatus, display: expect.any(String) }],
          });
          expected['clinicalStatus'] = body['clinicalStatus'];
          changed = true;
        }
        if (change.note !== '') {
          const notes = body['note'] as Record<string, unknown>[];
          const added = notes.at(-1);
          expect(added).toEqual({
            text: change.note,
            time: at.toISOString(),
            ...(who.practitionerId
              ? { authorReference: { reference: `Practitioner/${who.practitionerId}`, display: who.displayName } }
              : { authorString: who.displayName }),
          });
          expected['note'] = [...((expected['note'] as unknown[] | undefined) ?? []), added];
          changed = true;
        }
        // A narrative that may now contradict the data goes; an `empty` one says nothing and stays.
        if (changed && base.text?.status !== 'empty') delete expected['text'];

        expect(body).toEqual(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('an edit that changes nothing gives back the base as it was, narrative included', () => {
    fc.assert(
      fc.property(baseAllergy, author, (base, who) => {
        fc.pre(base.criticality !== undefined && statusOf(base) !== undefined);
        const same = AllergyEdit.parse({ criticality: base.criticality, clinicalStatus: statusOf(base), note: ' ' });
        expect(editedAllergy(base, same, who, at)).toEqual(base);
      }),
      { numRuns: 100 },
    );
  });

  it('existing notes stay exactly as they were through successive edits; each comment is one new note', () => {
    const base = AllergyIntolerance.parse({
      resourceType: 'AllergyIntolerance',
      id: 'allergy-1',
      patient: { reference: 'Patient/pat-1' },
      criticality: 'low',
      note: [
        { authorString: 'Synthetic Nurse', time: '2024-01-01T00:00:00Z', text: 'Synthetic: first note' },
        { authorReference: { reference: 'Practitioner/pract-9' }, text: 'Synthetic: second note' },
      ],
    });
    const nurse = { practitionerId: 'pract-1', displayName: 'Test Nurse' };
    const once = editedAllergy(
      base,
      AllergyEdit.parse({ criticality: 'high', clinicalStatus: 'active', note: 'Synthetic: third' }),
      nurse,
      at,
    );
    const twice = editedAllergy(
      once,
      AllergyEdit.parse({ criticality: 'low', clinicalStatus: 'active', note: '' }),
      nurse,
      at,
    );
    expect(twice.note).toEqual([
      ...base.note!,
      {
        authorReference: { reference: 'Practitioner/pract-1', display: 'Test Nurse' },
        time: at.toISOString(),
        text: 'Synthetic: third',
      },
    ]);
  });

  it('the form starts with an empty comment: saving it unchanged adds no note', () => {
    const base = AllergyIntolerance.parse({
      resourceType: 'AllergyIntolerance',
      id: 'allergy-1',
      patient: { reference: 'Patient/pat-1' },
      criticality: 'high',
      clinicalStatus: { coding: [{ system: ALLERGY_CLINICAL_SYSTEM, code: 'active' }] },
      note: [{ authorString: 'Synthetic Nurse', text: 'Synthetic: existing note' }],
    });
    const initial = allergyEditOf(base);
    expect(initial).toEqual({ criticality: 'high', clinicalStatus: 'active' });
    const saved = editedAllergy(
      base,
      AllergyEdit.parse(initial),
      { practitionerId: null, displayName: 'Test Nurse' },
      at,
    );
    expect(saved.note).toEqual(base.note);
  });
});

describe('a hand merge of a conflict loses nothing either', () => {
  const base = AllergyIntolerance.parse({
    resourceType: 'AllergyIntolerance',
    id: 'allergy-1',
    meta: { versionId: '3' },
    text: { status: 'generated', div: `<div xmlns="${XHTML}">Synthetic: low, active</div>` },
    patient: { reference: 'Patient/pat-1' },
    criticality: 'low',
    clinicalStatus: { coding: [{ system: ALLERGY_CLINICAL_SYSTEM, code: 'active' }] },
    note: [{ authorString: 'Synthetic Nurse', time: '2024-01-01T00:00:00Z', text: 'Synthetic: first note' }],
  });
  const nurse = { practitionerId: 'pract-1', displayName: 'Test Nurse' };
  const physician = { practitionerId: 'pract-2', displayName: 'Test Physician' };
  const earlier = new Date('2026-11-28T09:00:00.000Z');

  it("keeps central's notes, carries the clinician's own notes as written, then adds the merge's comment", () => {
    const theirs = editedAllergy(
      base,
      AllergyEdit.parse({ criticality: 'high', clinicalStatus: 'active', note: 'Synthetic: theirs' }),
      nurse,
      earlier,
    );
    const mine = editedAllergy(
      base,
      AllergyEdit.parse({ criticality: 'unable-to-assess', clinicalStatus: 'inactive', note: 'Synthetic: mine' }),
      physician,
      earlier,
    );
    const merged = mergedAllergy(
      { ...theirs, meta: { versionId: '4' } },
      mine,
      AllergyEdit.parse({ criticality: 'high', clinicalStatus: 'inactive', note: 'Synthetic: merged' }),
      physician,
      at,
    );
    expect(merged.note).toEqual([
      ...theirs.note!,
      mine.note!.at(-1),
      expect.objectContaining({ text: 'Synthetic: merged', time: at.toISOString() }),
    ]);
    expect(mine.note!.at(-1)).toMatchObject({
      time: earlier.toISOString(),
      authorReference: { reference: 'Practitioner/pract-2' },
    });
    expect(merged).toMatchObject({
      criticality: 'high',
      meta: { versionId: '4' },
      clinicalStatus: { coding: [{ code: 'inactive' }] },
    });
    expect(merged).not.toHaveProperty('text');
  });

  it('a merge with no comment and nothing of mine to carry is central’s version with the chosen fields', () => {
    const theirs = { ...base, meta: { versionId: '4' } };
    const merged = mergedAllergy(
      theirs,
      base,
      AllergyEdit.parse({ criticality: 'low', clinicalStatus: 'active' }),
      nurse,
      at,
    );
    expect(merged).toEqual(theirs);
  });
});
