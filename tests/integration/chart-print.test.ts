/**
 * Printing a chart summary (issue 16) through a real core's router: care team only (like the
 * chart), audited as a print with the patient and the purpose of use before the answer leaves the
 * core, and nothing written anywhere: no new file in the temporary folder or beside the cache.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PrintSummary } from '../../src-shared/chart/print.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { ok, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';

const CLINIC = { seed: 37, patients: 20 };

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-print-' });

async function start(): Promise<Harness> {
  return stand.start({ lock: { idleSeconds: 3600, warningSeconds: 30 } });
}

const staff = (username: string) => stand.central.users.find((u) => u.username === username)!;
const firstOfRole = (role: string) => stand.central.users.find((u) => u.role === role)!.username;

async function auditRows(sql: string): Promise<unknown[]> {
  const db = openDatabase(
    path.join(stand.dataDir, 'cache.db'),
    (await keyStore.get(accountsFor(stand.dataDir).current))!,
  );
  try {
    return db.prepare(sql).all();
  } finally {
    db.close();
  }
}

/** Every file under a folder with its size and modification time: what a write would change. */
function snapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  for (const name of fs.readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    try {
      const stat = fs.statSync(path.join(dir, name));
      if (stat.isFile()) files.set(name, `${stat.size}`);
    } catch {
      // gone meanwhile (another process's temporary file): not ours
    }
  }
  return files;
}

describe('chart.printSummary', () => {
  it('gives the care team the summary, audited as a print before it is answered, writing no file', async () => {
    const h = await start();
    const physician = 'physician1';
    await signedInWithPin(h, physician);
    const [patientId] = stand.cache.split(staff(physician).practitionerId).mine;
    const summary = stand.cache.summaries.get(patientId!)!;
    const chart = await ok<{
      allergies: unknown[];
      problems: unknown[];
      medications: unknown[];
      vitals: { name: string }[];
    }>(h, 'chart.read', { patientId });

    const tmpBefore = new Set(fs.readdirSync(os.tmpdir()));
    const dataBefore = snapshot(stand.dataDir);
    const printed = await ok<PrintSummary>(h, 'chart.printSummary', { patientId });

    expect(printed.patient).toEqual({
      name: summary.name,
      mrn: summary.mrn,
      birthDate: summary.birthDate,
      gender: summary.gender,
    });
    expect(printed.accessBasis).toBe('careTeam');
    expect(printed.allergies).toHaveLength(chart.allergies.length);
    expect(printed.problems).toHaveLength(chart.problems.length);
    expect(printed.medications).toHaveLength(chart.medications.length);
    // The latest reading of each kind of vital sign, each kind once.
    const names = printed.vitals.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    expect(new Set(names)).toEqual(new Set(chart.vitals.map((v) => v.name)));
    expect(printed.printedBy).toBe(staff(physician).displayName);

    // The print is in the trail, with the patient and the purpose of use.
    expect(
      await auditRows(
        "SELECT user_id, role, patient_id, purpose_of_use, detail FROM audit_log WHERE action = 'chart.print'",
      ),
    ).toEqual([
      {
        user_id: physician,
        role: 'physician',
        patient_id: patientId,
        purpose_of_use: 'TREAT',
        detail: 'chart.printSummary',
      },
    ]);

    // Nothing written for it: no new temporary file, and beside the cache only the database's own
    // files moved (the audit entry went into the encrypted cache and its log).
    // (Other test runs on this machine may make their own fixture folders, clinic-*XXXXXX, meanwhile.)
    const fixtureFolder = (name: string) =>
      /^clinic-[a-z-]+-[A-Za-z0-9]{6}$/.test(name) && fs.statSync(path.join(os.tmpdir(), name)).isDirectory();
    const tmpAfter = fs.readdirSync(os.tmpdir()).filter((name) => !tmpBefore.has(name));
    expect(tmpAfter.filter((name) => !fixtureFolder(name))).toEqual([]);
    const dataAfter = snapshot(stand.dataDir);
    expect([...dataAfter.keys()].filter((name) => !dataBefore.has(name))).toEqual([]);
  });

  it('refuses a clinician outside the care team and the front desk (audited), and a bad request', async () => {
    const h = await start();
    const physician = 'physician1';
    await signedInWithPin(h, physician);
    const [other] = stand.cache.split(staff(physician).practitionerId).others;
    expect(await h.call('chart.printSummary', { patientId: other })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await h.call('chart.printSummary', { patientId: '../x' })).toMatchObject({
      ok: false,
      error: { code: 'INVALID' },
    });
    expect(await h.call('session.end', { reason: 'switchUser' })).toMatchObject({ ok: true });
    await signedInWithPin(h, firstOfRole('frontDesk'));
    expect(await h.call('chart.printSummary', { patientId: other })).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
    expect(await auditRows("SELECT seq FROM audit_log WHERE action = 'chart.print'")).toEqual([]);
    const denied = (await auditRows(
      "SELECT role, patient_id FROM audit_log WHERE action = 'access.denied' AND detail LIKE 'chart.printSummary:%' ORDER BY seq",
    )) as { role: string; patient_id: string }[];
    expect(denied).toEqual([
      { role: 'physician', patient_id: other },
      // The front desk is refused by role, before any patient is looked at.
      { role: 'frontDesk', patient_id: null },
    ]);
  });
});
