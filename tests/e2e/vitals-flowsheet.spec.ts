/**
 * Issue 16's vitals flowsheet in Chromium, against a real core and dev central: the time of a
 * reading entered and shown, °F and lb typed and stored as °C and kg, times as columns and vital
 * signs as rows in plain words, out-of-range values flagged in words, and trend charts with axes
 * and both blood-pressure lines. Synthetic patients only.
 */
import { expect, test, type Page } from '@playwright/test';
import type { WebHost } from '../../dev/web-host/server.ts';
import type { Central } from '../support/central.ts';
import {
  expectNoSeriousAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';
import type { ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 18, patients: 20 };
const PIN = '716204';

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;

test.beforeAll(async () => {
  stand = await startWorkstationStand({ clinic: CLINIC, policy: { lock: { idleSeconds: 3600, warningSeconds: 30 } } });
  ({ central, cache, host } = stand);
});
test.afterAll(async () => {
  await stand?.close();
});

/** An instant as the page writes it: the local date-and-time field's value, and the locale's words. */
async function inPage(page: Page, ms: number): Promise<{ field: string; shown: string }> {
  return page.evaluate((at) => {
    const d = new Date(at);
    const pad = (n: number) => String(n).padStart(2, '0');
    return {
      field: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`,
      shown: new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(d),
    };
  }, ms);
}

test('flowsheet: time taken, °F and lb converted, times as columns, flags in words, trends with axes and both blood pressures', async ({
  page,
  context,
}) => {
  test.setTimeout(120_000);
  const nurse = central.users.find((u) => u.username === 'nurse1')!;
  const [patientId] = cache.split(nurse.practitionerId).mine;
  const patient = cache.summaries.get(patientId!)!;

  await page.goto(host.url);
  await signInAtProvider(page, context, central, nurse.username);
  await page.getByLabel('New PIN').fill(PIN);
  await page.getByLabel('Confirm PIN').fill(PIN);
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.mrn!);
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: patient.name }).click();
  const vitals = page.getByRole('region', { name: 'Vitals' });
  await expect(vitals).toBeVisible();

  // Taken two hours ago, temperature in °F and weight in lb.
  const earlier = await inPage(page, Date.now() - 2 * 3_600_000);
  await vitals.getByRole('button', { name: 'Record vitals' }).click();
  const form = page.getByRole('form', { name: 'Record vitals' });
  await form.getByLabel('Time taken').fill(earlier.field);
  await form.getByLabel('Systolic blood pressure (mmHg)').fill('150');
  await form.getByLabel('Diastolic blood pressure (mmHg)').fill('95');
  await form.getByLabel('Heart rate (/min)').fill('72');
  await form.getByLabel('Body temperature unit').selectOption('°F');
  await form.getByLabel('Body temperature (°F)').fill('101.3');
  await form.getByLabel('Body weight unit').selectOption('lb');
  await form.getByLabel('Body weight (lb)').fill('154');
  await expectNoSeriousAxeViolations(page);
  await form.getByRole('button', { name: 'Save vitals' }).click();
  await expect(vitals.getByRole('status')).toContainText('4 vital signs recorded');

  // A time in the future is refused at its field, and nothing is saved.
  await vitals.getByRole('button', { name: 'Record vitals' }).click();
  await form.getByLabel('Time taken').fill((await inPage(page, Date.now() + 3_600_000)).field);
  await form.getByLabel('Heart rate (/min)').fill('80');
  await form.getByRole('button', { name: 'Save vitals' }).click();
  await expect(form).toContainText('The time taken cannot be in the future');
  await expect(form.getByLabel('Time taken')).toBeFocused();
  // Now: a second reading, so the trends have two points.
  const now = await inPage(page, Date.now());
  await form.getByLabel('Time taken').fill(now.field);
  await form.getByLabel('Systolic blood pressure (mmHg)').fill('118');
  await form.getByLabel('Diastolic blood pressure (mmHg)').fill('76');
  await form.getByLabel('Heart rate (/min)').fill('64');
  await form.getByRole('button', { name: 'Save vitals' }).click();
  await expect(vitals.getByRole('status')).toContainText('2 vital signs recorded');

  // The flowsheet: times as columns (newest first, in the locale's words), plain names as rows.
  const sheet = vitals.getByRole('table', { name: /Vitals flowsheet/ });
  const headers = sheet.getByRole('columnheader');
  await expect(headers.nth(0)).toHaveText('Vital sign');
  await expect(headers.nth(1)).toHaveText(now.shown);
  await expect(headers.nth(2)).toHaveText(earlier.shown);
  await expect(sheet.getByRole('rowheader')).toContainText([
    'Blood pressure (mmHg)',
    'Heart rate (/min)',
    'Temperature (°C)',
    'Weight (kg)',
  ]);
  await expect(sheet).not.toContainText('panel with all children');
  const row = (name: string) => sheet.getByRole('row', { name: new RegExp(`^${name.replace(/[()/]/g, '\\$&')}`) });
  // Converted to the record's units, flagged in words where outside the usual range.
  await expect(row('Blood pressure (mmHg)').getByRole('cell').nth(0)).toContainText('118/76');
  await expect(row('Blood pressure (mmHg)').getByRole('cell').nth(0)).not.toContainText('High');
  await expect(row('Blood pressure (mmHg)').getByRole('cell').nth(1)).toContainText('150/95 High');
  await expect(row('Temperature (°C)').getByRole('cell').nth(1)).toContainText('38.5 High');
  await expect(row('Weight (kg)').getByRole('cell').nth(1)).toContainText('69.9');
  await expect(row('Heart rate (/min)').getByRole('cell').nth(0)).toContainText('64');
  await expect(row('Heart rate (/min)').getByRole('cell').nth(0)).not.toContainText('Low');

  // Trends: both blood-pressure lines, said in words; axes drawn with their values and times.
  const bp = vitals.getByRole('img', {
    name: /^Blood pressure trend: systolic [0-9., ]*150, 118; diastolic [0-9., ]*95, 76 mmHg$/,
  });
  await expect(bp).toBeVisible();
  await expect(bp.locator('polyline')).toHaveCount(2);
  await expect(bp.locator('line.trend__axis')).toHaveCount(2);
  // The value axis's three ticks, then the first and the last reading's time (the newest: now).
  await expect(bp.locator('text')).toHaveCount(5);
  await expect(bp.locator('text').last()).toHaveText(now.shown);
  await expect(vitals.getByRole('img', { name: /^Heart rate trend: [0-9., ]*72, 64 \/min$/ })).toBeVisible();
  await expectNoSeriousAxeViolations(page);
  // The screen as a clinician sees it, attached to the test report.
  await sheet.scrollIntoViewIfNeeded();
  await test.info().attach('vitals flowsheet and trends', { body: await page.screenshot(), contentType: 'image/png' });
});
