/**
 * Issue 15's scenario in Chromium through the dev web host, against dev central: a workstation
 * scoped to the clinic panel Group does not hold a patient of the physician's who is outside the
 * panel. Online, the search lists them under "Not on this workstation"; opening the chart brings
 * it from central (the chart says so), audited as a fetch and a view, cached; retention removes it
 * once cache.retentionDays have passed since it was last opened. Accessible names as selectors;
 * axe on the search and on the chart.
 */
import { expect, test } from '@playwright/test';
import { CLINIC_PANEL_GROUP } from '../../dev/central/central.ts';
import { generateClinic } from '../../dev/synthetic/clinic.ts';
import { cacheRows } from '../support/cache-rows.ts';
import {
  expectNoAxeViolations,
  signInWithNewPin,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';

const CLINIC = { seed: 53, patients: 30 };
const RETENTION_DAYS = 30;
const DAY = 86_400_000;
const clinic = generateClinic(CLINIC);
const physician = clinic.staff.find((s) => s.role === 'physician')!;
const panel = new Set(
  clinic.patients.filter((p) => p.generalPractitionerId === physician.practitionerId).map((p) => p.id),
);
let outsider: (typeof clinic.patients)[number];

let stand: WorkstationStand;

test.beforeAll(async () => {
  stand = await startWorkstationStand({
    clinic: CLINIC,
    shiftableTime: true,
    policy: {
      lock: { idleSeconds: 3600, warningSeconds: 30 },
      cache: { scope: { kind: 'group', group: CLINIC_PANEL_GROUP }, retentionDays: RETENTION_DAYS },
    },
    leaveOut: (cache) => {
      const id = cache.split(physician.practitionerId).mine.find((p) => !panel.has(p));
      if (!id) throw new Error('the clinic has no patient of this physician outside the panel');
      outsider = clinic.patients.find((p) => p.id === id)!;
      return [id];
    },
  });
});

test.afterAll(async () => {
  await stand?.close();
});

const rows = <T>(sql: string, ...args: unknown[]) => cacheRows<T>(stand.dataDir, sql, ...args);
const heldOf = async (patientId: string) =>
  (await rows<{ n: number }>('SELECT count(*) AS n FROM resources WHERE patient_id = ?', patientId))[0]!.n;

test('a physician opens a patient not on this workstation: brought from central, audited, cached, then removed by retention', async ({
  page,
}) => {
  test.setTimeout(150_000);
  await page.goto(stand.host.url);
  await signInWithNewPin(page, stand.central, physician.username, '602913');
  expect(await heldOf(outsider.id)).toBe(0);

  await page.getByRole('searchbox', { name: 'Search patients' }).fill(outsider.family);
  const onCentral = page.getByRole('list', { name: 'Patients on central' });
  await expect(onCentral.getByRole('button', { name: outsider.displayName })).toBeVisible({ timeout: 15_000 });
  await expect(page.getByRole('heading', { name: 'Not on this workstation' })).toBeVisible();
  await expect(
    page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: outsider.displayName }),
  ).toHaveCount(0);
  await expectNoAxeViolations(page);

  await onCentral.getByRole('button', { name: outsider.displayName }).click();
  await expect(page.getByRole('heading', { level: 2, name: outsider.displayName })).toBeVisible({ timeout: 15_000 });
  const notice = page.getByRole('region', { name: 'Not kept on this workstation' });
  await expect(notice).toContainText('Brought from central just now');
  for (const section of ['Allergies', 'Problems', 'Medications', 'Notes'])
    await expect(page.getByRole('region', { name: section })).toBeVisible();
  await expect(page.getByText('Restricted record')).toHaveCount(0);
  await expectNoAxeViolations(page);

  // Cached, and audited: the fetch (relationships, then the clinical records) and the view.
  expect(await heldOf(outsider.id)).toBe(outsider.resources.length + 1);
  const audited = await rows<{ action: string; detail: string }>(
    `SELECT action, detail FROM audit_log WHERE patient_id = ? AND action IN ('chart.fetch', 'patient.read') ORDER BY seq`,
    outsider.id,
  );
  expect(audited.map((a) => `${a.action} ${a.detail.split(';')[0]}`)).toEqual([
    'chart.fetch part:relationships',
    'chart.fetch part:clinical',
    'patient.read patients.open',
  ]);

  // Central unreachable: the copy kept here opens and says so; the search says central was not asked.
  await page.getByRole('button', { name: 'Close chart' }).click();
  stand.host.advanceTime(2 * 60_000);
  const unreachable = stand.central.faults.inject({ kind: 'unreachable', times: Infinity });
  try {
    await page.getByRole('searchbox', { name: 'Search patients' }).fill(outsider.given[0]!);
    await expect(page.getByText('Central cannot be reached: only this workstation')).toBeVisible({ timeout: 15_000 });
    await page.getByRole('searchbox', { name: 'Search patients' }).fill(outsider.mrn);
    await page
      .getByRole('list', { name: 'Patients found' })
      .getByRole('button', { name: outsider.displayName })
      .click();
    await expect(notice).toContainText('Central cannot be reached: this is the copy kept here');
    await expect(page.getByRole('region', { name: 'Allergies' })).toBeVisible();
    await expectNoAxeViolations(page);
  } finally {
    unreachable.remove();
  }

  // Retention: still here a day before retentionDays have passed since the open; gone after.
  stand.host.advanceTime((RETENTION_DAYS - 1) * DAY);
  expect(await heldOf(outsider.id)).toBe(outsider.resources.length + 1);
  stand.host.advanceTime(2 * DAY);
  await expect.poll(() => heldOf(outsider.id), { timeout: 15_000 }).toBe(0);
  expect(await rows('SELECT 1 FROM patients WHERE id = ?', outsider.id)).toEqual([]);
  const removed = await rows<{ detail: string }>(`SELECT detail FROM audit_log WHERE action = 'cache.retention'`);
  expect(removed.at(-1)!.detail).toMatch(/^patients-removed:[1-9]/);
});
