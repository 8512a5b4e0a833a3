/**
 * Vital signs at the time they were taken (issue 16's flowsheet): through the core with a real
 * sign-in, vault and keychain. The time is checked in the main process as in the form: within
 * the last 24 hours, at most five minutes ahead; anything else is refused and nothing is stored.
 */
import { describe, expect, it } from 'vitest';
import type { ChartSections } from '../../src-shared/chart/chart.ts';
import { ok, signedInWithPin, type Harness, useCoreStand } from '../support/core-harness.ts';

const CLINIC = { seed: 17, patients: 12 };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

const stand = useCoreStand({ clinic: CLINIC, prefix: 'clinic-vitals-time-' });

async function start(): Promise<Harness> {
  return stand.start({ lock: { idleSeconds: 3600, warningSeconds: 30 } });
}

describe('vital signs at the time taken', () => {
  it('stores the readings at the time given, shows their numbers in UCUM units, refuses a time out of bounds', async () => {
    const h = await start();
    await signedInWithPin(h, 'nurse1');
    const nurse = stand.central.users.find((u) => u.username === 'nurse1')!;
    const [patientId] = stand.cache.split(nurse.practitionerId).mine;
    const rowsBefore = (await ok<ChartSections>(h, 'chart.read', { patientId })).vitals.length;

    const takenAt = new Date(h.time.now() - 2 * HOUR).toISOString();
    expect(
      await ok(h, 'chart.recordVitals', {
        patientId,
        vitals: { systolic: 150, diastolic: 95, bodyTemperature: 38.5 },
        takenAt,
      }),
    ).toEqual({ recorded: 2 });
    const chart = await ok<ChartSections>(h, 'chart.read', { patientId });
    const mine = chart.vitals.filter((v) => v.effective === takenAt);
    expect(mine.map((v) => v.amounts).sort((a, b) => a.length - b.length)).toEqual([
      [{ value: 38.5, ucum: 'Cel' }],
      [
        { value: 150, ucum: 'mm[Hg]' },
        { value: 95, ucum: 'mm[Hg]' },
      ],
    ]);

    for (const [when, message] of [
      [h.time.now() + 10 * MINUTE, 'cannot be in the future'],
      [h.time.now() - 25 * HOUR, 'within the last 24 hours'],
    ] as const) {
      const refused = await h.call('chart.recordVitals', {
        patientId,
        vitals: { heartRate: 80 },
        takenAt: new Date(when).toISOString(),
      });
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'INVALID', message: expect.stringContaining(message) },
      });
    }
    // A local time without its offset is not an instant: refused by the contract.
    expect(
      await h.call('chart.recordVitals', { patientId, vitals: { heartRate: 80 }, takenAt: '2026-12-03T14:05' }),
    ).toMatchObject({ ok: false, error: { code: 'INVALID', message: expect.stringContaining('takenAt') } });
    expect((await ok<ChartSections>(h, 'chart.read', { patientId })).vitals).toHaveLength(rowsBefore + 2);

    // Without a time: now, as before.
    await ok(h, 'chart.recordVitals', { patientId, vitals: { heartRate: 80 } });
    const now = new Date(h.time.now()).toISOString();
    expect((await ok<ChartSections>(h, 'chart.read', { patientId })).vitals.some((v) => v.effective === now)).toBe(
      true,
    );
  });
});
