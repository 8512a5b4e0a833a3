/**
 * A note too large for the cache (policy central.maxAttachmentKiB, 256 KiB by default) is pulled
 * by reference and read from central on demand, end to end: dev central holds a note with a
 * 700 KiB text (over the cap, and under the 1 MiB Medplum's validator allows a base64Binary) and
 * a small one; a real core with a real vault pulls them; the cache's stored JSON
 * holds the large one without its data (marked as stored on central) and the small one inline;
 * chart.read shows the large one as stored on central; chart.readNote returns central's text,
 * audited as a read of that DocumentReference; with central unreachable the answer is OFFLINE.
 */
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { ATTACHMENT_ON_CENTRAL_URL } from '../../src-shared/fhir/index.ts';
import { openDatabase, type Database } from '../../src-main/vault/sqlcipher.ts';
import { fhirFetch, signIn, startTestCentral, type Central } from '../support/central.ts';
import { PIN, signedInWithPin, startCore, type Harness, ok } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { tempVaultDir, type TempVaultDir } from '../support/vault-fixture.ts';
import { fillCache } from '../support/workstation.ts';

const CLINIC = { seed: 61, patients: 8 };
/** Over the attachment cap; its base64 (933 KiB) under the 1 MiB dev central's validator takes. */
const BIG_NOTE_BYTES = 700 * 1024;

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
  central.faults.clear();
  await h?.core.close();
  await dir?.remove();
  h = dir = null;
});

/** A synthetic note of `text`, put on central for `patientId`. */
async function noteOnCentral(patientId: string, title: string, text: string): Promise<string> {
  const id = randomUUID();
  const note = {
    resourceType: 'DocumentReference',
    id,
    status: 'current',
    type: { text: title },
    subject: { reference: `Patient/${patientId}` },
    date: '2026-01-02T03:04:05Z',
    content: [{ attachment: { contentType: 'text/plain', title, data: Buffer.from(text).toString('base64') } }],
  };
  const put = await fhirFetch(central, token, `DocumentReference/${id}`, { method: 'PUT', body: JSON.stringify(note) });
  expect(put.status, await put.clone().text()).toBeLessThan(300);
  return id;
}

/** A second connection to the cache file, with the key from the keychain: what IT's tools see. */
async function rawDb(dataDir: string): Promise<Database> {
  return openDatabase(path.join(dataDir, 'cache.db'), await keyStore.get(accountsFor(dataDir).current));
}

describe('a note larger than central.maxAttachmentKiB', () => {
  it('is stored by reference, shown as stored on central, and read from central on demand (audited)', async () => {
    dir = tempVaultDir({ prefix: 'clinic-note-on-central-' });
    const cache = await fillCache(dir.dataDir, CLINIC);
    const nurse1 = central.users.find((u) => u.username === 'nurse1')!.practitionerId;
    const patientId = cache.split(nurse1).mine[0]!;
    const bigText = 'Synthetic discharge summary, line after line. '
      .repeat(Math.ceil(BIG_NOTE_BYTES / 46))
      .slice(0, BIG_NOTE_BYTES);
    const bigId = await noteOnCentral(patientId, 'Synthetic discharge summary', bigText);
    const smallId = await noteOnCentral(patientId, 'Synthetic short note', 'Synthetic: feeling better today.');

    h = await startCore(central, dir.dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');

    // The cache: the large note without its data, marked; the small one whole.
    const db = await rawDb(dir.dataDir);
    let big: { content: { attachment: Record<string, unknown> }[] };
    let small: { content: { attachment: Record<string, unknown> }[] };
    try {
      const jsonOf = (id: string) =>
        (
          db.prepare("SELECT json FROM resources WHERE type = 'DocumentReference' AND id = ?").get(id) as
            { json: string } | undefined
        )?.json;
      big = JSON.parse(jsonOf(bigId) ?? 'null') as typeof big;
      small = JSON.parse(jsonOf(smallId) ?? 'null') as typeof small;
    } finally {
      db.close();
    }
    expect(big.content[0]!.attachment).toEqual({
      contentType: 'text/plain',
      title: 'Synthetic discharge summary',
      size: BIG_NOTE_BYTES,
      extension: [{ url: ATTACHMENT_ON_CENTRAL_URL, valueBoolean: true }],
    });
    expect(small.content[0]!.attachment['data']).toBe(
      Buffer.from('Synthetic: feeling better today.').toString('base64'),
    );

    const notes = (await ok<ChartSections>(h, 'chart.read', { patientId })).notes;
    expect(notes.find((n) => n.id === bigId)).toMatchObject({
      text: '',
      onCentral: { title: 'Synthetic discharge summary', size: BIG_NOTE_BYTES },
    });
    expect(notes.find((n) => n.id === smallId)).toMatchObject({
      text: 'Synthetic: feeling better today.',
      onCentral: null,
    });

    // On demand: central's text, not stored, and audited as a read of that note.
    const read = await ok<{ text: string }>(h, 'chart.readNote', { patientId, documentId: bigId });
    expect(read.text.length).toBe(bigText.length);
    expect(read.text === bigText).toBe(true);
    const after = await rawDb(dir.dataDir);
    try {
      const stillWithout = after
        .prepare("SELECT json FROM resources WHERE type = 'DocumentReference' AND id = ?")
        .get(bigId) as { json: string };
      expect(stillWithout.json).not.toContain('"data"');
      expect(
        after
          .prepare(
            "SELECT action, outcome, user_id, patient_id, resource_refs, detail FROM audit_log WHERE detail = 'chart.readNote' ORDER BY seq",
          )
          .all(),
      ).toEqual([
        expect.objectContaining({
          action: 'patient.read',
          outcome: 'success',
          patient_id: patientId,
          resource_refs: expect.stringContaining(`DocumentReference/${bigId}`),
        }),
      ]);
    } finally {
      after.close();
    }

    // Central unreachable: the typed error the window shows, and nothing about the note in it.
    central.faults.inject({ kind: 'unreachable', path: /\/DocumentReference\//, times: Infinity });
    expect(await h.call('chart.readNote', { patientId, documentId: bigId })).toEqual({
      ok: false,
      error: {
        code: 'OFFLINE',
        message: 'This note is stored on central; it can be shown when central can be reached.',
      },
    });

    // A PIN-only session (signed in offline) has no token for central: the same answer, unasked.
    central.faults.clear();
    const asked = central.faults.inject({ kind: 'latency', ms: 0, path: /\/DocumentReference\//, times: Infinity });
    await ok(h, 'session.end', { reason: 'signOut' });
    expect(await ok(h, 'session.signInOffline', { username: 'nurse1', pin: PIN })).toMatchObject({ state: 'active' });
    expect(await h.call('chart.readNote', { patientId, documentId: bigId })).toMatchObject({
      ok: false,
      error: { code: 'OFFLINE' },
    });
    expect(asked.hits, 'central was not asked without a token').toBe(0);
  });

  it("refuses a note that is not this patient's, and bad input, before asking central", async () => {
    dir = tempVaultDir({ prefix: 'clinic-note-on-central-' });
    const cache = await fillCache(dir.dataDir, CLINIC);
    const nurse1 = central.users.find((u) => u.username === 'nurse1')!.practitionerId;
    const [mine, other] = cache.split(nurse1).mine;
    const bigId = await noteOnCentral(other!, 'Synthetic letter', 'x'.repeat(300 * 1024));
    h = await startCore(central, dir.dataDir, { lock: { idleSeconds: 3600, warningSeconds: 30 } });
    await signedInWithPin(h, 'nurse1');
    await ok(h, 'sync.now');
    const asked = central.faults.inject({ kind: 'unreachable', path: /\/DocumentReference\//, times: Infinity });
    expect(await h.call('chart.readNote', { patientId: mine, documentId: bigId })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    // Bad input: a typed INVALID, central never asked, no read audited.
    for (const bad of [
      { patientId: mine, documentId: '../Patient/x' },
      { patientId: mine, documentId: bigId, extra: true },
      { patientId: mine },
      { patientId: mine, documentId: 'x'.repeat(65) },
    ])
      expect(await h.call('chart.readNote', bad), JSON.stringify(bad).slice(0, 80)).toMatchObject({
        ok: false,
        error: { code: 'INVALID' },
      });
    expect(asked.hits, 'central was not asked').toBe(0);
    const db = await rawDb(dir.dataDir);
    try {
      expect(
        db
          .prepare("SELECT count(*) FROM audit_log WHERE detail = 'chart.readNote' AND outcome = 'success'")
          .pluck()
          .get(),
      ).toBe(0);
    } finally {
      db.close();
    }
  });
});
