/**
 * An allergy edit loses nothing, end to end: an allergy that carries everything (extensions,
 * identifiers, two notes by other authors, a reaction, a narrative, primitive extensions, a
 * contained resource) is put on dev central, pulled by a real core with a real vault, edited
 * through `chart.editAllergy` and pushed; central's stored version then equals the one the edit
 * was based on except exactly the changed paths: criticality, clinical status, one appended note,
 * the narrative that no longer matched, and what central sets itself (meta.versionId, lastUpdated).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { ALLERGY_CLINICAL_SYSTEM } from '../../src-shared/fhir/index.ts';
import type { SyncStatus } from '../../src-shared/sync/status.ts';
import { fhirFetch, signIn, startTestCentral, type Central } from '../support/central.ts';
import { signedInWithPin, startCore, type Harness, ok } from '../support/core-harness.ts';
import { tempVaultDir, type TempVaultDir } from '../support/vault-fixture.ts';
import { fillCache } from '../support/workstation.ts';

const CLINIC = { seed: 57, patients: 8 };
const XHTML = 'http://www.w3.org/1999/xhtml';

let central: Central;
let h: Harness | null = null;
let dir: TempVaultDir | null = null;
let token: string;

beforeAll(async () => {
  central = await startTestCentral(CLINIC);
  token = (await signIn(central, 'nurse2')).accessToken;
});
afterAll(async () => {
  await central?.close();
});
afterEach(async () => {
  await h?.core.close();
  await dir?.remove();
  h = dir = null;
});

type Json = Record<string, unknown>;

async function onCentral(id: string): Promise<Json> {
  const response = await fhirFetch(central, token, `AllergyIntolerance/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Json;
}

/** A resource without what central sets on every write, to compare two of its versions. */
function withoutWriteMeta(resource: Json): Json {
  const { versionId: _v, lastUpdated: _l, ...meta } = (resource['meta'] ?? {}) as Json;
  return { ...resource, meta };
}

/** An allergy with everything an R4 server may hold, for one of nurse1's patients (synthetic). */
function richAllergy(patientId: string): Json {
  return {
    resourceType: 'AllergyIntolerance',
    id: randomUUID(),
    meta: {
      profile: ['http://example.org/fhir/StructureDefinition/synthetic-allergy'],
      tag: [{ system: 'http://example.org/tags', code: 'synthetic' }],
    },
    language: 'en',
    text: {
      status: 'generated',
      div: `<div xmlns="${XHTML}"><p>Synthetic: latex allergy, criticality low, active.</p></div>`,
    },
    contained: [{ resourceType: 'Practitioner', id: 'src', name: [{ family: 'Synthetic', given: ['Source'] }] }],
    extension: [{ url: 'http://example.org/fhir/StructureDefinition/allergy-origin', valueString: 'imported' }],
    identifier: [{ system: 'urn:oid:1.2.3.4.5', value: `ALG-${randomUUID().slice(0, 8)}` }],
    clinicalStatus: {
      coding: [
        { system: ALLERGY_CLINICAL_SYSTEM, code: 'active', display: 'Active' },
        { system: 'http://example.org/local-allergy-status', code: 'A1' },
      ],
      text: 'Active (synthetic)',
    },
    verificationStatus: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'confirmed' }],
    },
    type: 'allergy',
    category: ['environment'],
    criticality: 'low',
    _criticality: { extension: [{ url: 'http://example.org/fhir/StructureDefinition/assessed-by', valueString: 'x' }] },
    code: { coding: [{ system: 'http://snomed.info/sct', code: '300916003' }], text: 'Latex (synthetic)' },
    patient: { reference: `Patient/${patientId}` },
    onsetDateTime: '2019-05-01',
    recordedDate: '2019-05-02T10:00:00Z',
    _recordedDate: {
      extension: [{ url: 'http://example.org/fhir/StructureDefinition/recorded-via', valueCode: 'fax' }],
    },
    asserter: { reference: `Patient/${patientId}` },
    lastOccurrence: '2024-01-01',
    note: [
      { authorString: 'Synthetic Nurse Alpha', time: '2024-02-03T04:05:06Z', text: 'Synthetic: first note.' },
      {
        authorReference: { reference: '#src', display: 'Synthetic Source' },
        time: '2025-07-01',
        text: 'Synthetic: second note.',
        extension: [{ url: 'http://example.org/fhir/StructureDefinition/note-kind', valueCode: 'history' }],
      },
    ],
    reaction: [
      {
        manifestation: [{ coding: [{ system: 'http://snomed.info/sct', code: '247472004' }], text: 'Hives' }],
        severity: 'moderate',
        note: [{ authorString: 'Synthetic Nurse Alpha', text: 'Synthetic reaction note.' }],
        extension: [{ url: 'http://example.org/fhir/StructureDefinition/reaction-flag', valueBoolean: true }],
      },
    ],
  };
}

describe('an allergy edit through the core, against dev central', () => {
  it('central keeps everything the edit did not change; notes are appended; the stale narrative goes', async () => {
    dir = tempVaultDir({ prefix: 'clinic-allergy-edit-' });
    const cache = await fillCache(dir.dataDir, CLINIC);
    const nurse1 = central.users.find((u) => u.username === 'nurse1')!.practitionerId;
    const patientId = cache.split(nurse1).mine[0]!;
    const sent = richAllergy(patientId);
    const put = await fhirFetch(central, token, `AllergyIntolerance/${String(sent['id'])}`, {
      method: 'PUT',
      body: JSON.stringify(sent),
    });
    expect(put.status, await put.clone().text()).toBeLessThan(300);
    const id = String(sent['id']);
    const base = await onCentral(id);
    // Central keeps all of it (so what follows tests the workstation, not central).
    expect(withoutWriteMeta(base)).toMatchObject(sent);

    h = await startCore(central, dir.dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');
    const row = (await ok<ChartSections>(h, 'chart.read', { patientId })).allergies.find((a) => a.id === id);
    expect(row, 'the allergy reached the workstation').toBeDefined();

    // The first edit changes all three fields.
    await ok(h, 'chart.editAllergy', {
      patientId,
      allergyId: id,
      edit: { criticality: 'high', clinicalStatus: 'inactive', note: 'Synthetic: reaction worse than recorded.' },
    });
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ pending: 0, conflicts: 0, held: 0 });
    const first = await onCentral(id);
    const notes = first['note'] as Json[];
    const added = notes.at(-1)!;
    expect(added).toMatchObject({ text: 'Synthetic: reaction worse than recorded.', time: expect.any(String) });
    expect(added['authorReference'] ?? added['authorString']).toBeTruthy();
    const { text: _text, _criticality: _c, ...unchanged } = withoutWriteMeta(base);
    expect(withoutWriteMeta(first)).toEqual({
      ...unchanged,
      criticality: 'high',
      clinicalStatus: {
        coding: [{ system: ALLERGY_CLINICAL_SYSTEM, code: 'inactive', display: 'Inactive' }],
      },
      note: [...(base['note'] as Json[]), added],
    });

    // A second edit with an empty comment changes the criticality only: every note stays as it was.
    await ok(h, 'chart.editAllergy', {
      patientId,
      allergyId: id,
      edit: { criticality: 'unable-to-assess', clinicalStatus: 'inactive', note: '   ' },
    });
    expect(await ok<SyncStatus>(h, 'sync.now')).toMatchObject({ pending: 0, conflicts: 0, held: 0 });
    const second = await onCentral(id);
    expect(withoutWriteMeta(second)).toEqual({ ...withoutWriteMeta(first), criticality: 'unable-to-assess' });

    // The chart shows every comment, oldest first.
    const shown = (await ok<ChartSections>(h, 'chart.read', { patientId })).allergies.find((a) => a.id === id);
    expect(shown?.notes.map((n) => n.text)).toEqual([
      'Synthetic: first note.',
      'Synthetic: second note.',
      'Synthetic: reaction worse than recorded.',
    ]);
  });
});
