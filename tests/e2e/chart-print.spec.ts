/**
 * Printing a chart summary (issue 16) in Chromium through the dev web host, against dev central:
 * "Print summary" in the chart asks the core, which records the print in the audit trail before
 * it answers; the page then prints (window.print) a print view that print CSS shows alone.
 * window.print is swapped for an observer (headless Chromium has no dialog to show) that asks the
 * trail, at the moment of the call, whether the print is already recorded. axe on the workspace
 * with the chart; screenshots of the main screens (sign-in, workspace with chart, print view,
 * review queue; the lock screen, IT status and settings are in it-admin.spec.ts).
 */
import path from 'node:path';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import type { WebHost } from '../../dev/web-host/server.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import type { Central } from '../support/central.ts';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import type { ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 59, patients: 20 };
const PIN = { physician: '604172', privacyOfficer: '918273' };

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;

test.use({ locale: 'en-US', timezoneId: 'UTC' });

test.beforeAll(async () => {
  stand = await startWorkstationStand({ clinic: CLINIC, policy: { lock: { idleSeconds: 3600, warningSeconds: 30 } } });
  ({ central, cache, host } = stand);
});

test.afterAll(async () => {
  await stand?.close();
});

test.beforeEach(async ({ page }) => {
  await page.goto(host.url);
  const signInHeading = page.getByRole('heading', { level: 1, name: 'Sign in' });
  const switchButton = page.getByRole('button', { name: 'Switch user' }).first();
  await expect(signInHeading.or(switchButton)).toBeVisible();
  if (await signInHeading.isVisible()) return;
  await switchButton.click();
  await expect(signInHeading).toBeVisible();
});

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/** The audit trail's print entries, read from the cache as it is now. */
async function printEntries(): Promise<{ patient_id: string; purpose_of_use: string }[]> {
  const dataDir = stand.dataDir;
  const db = openDatabase(path.join(dataDir, 'cache.db'), (await keyStore.get(accountsFor(dataDir).current))!);
  try {
    return db
      .prepare("SELECT patient_id, purpose_of_use FROM audit_log WHERE action = 'chart.print' ORDER BY seq")
      .all() as { patient_id: string; purpose_of_use: string }[];
  } finally {
    db.close();
  }
}

test('Print summary: audited as a print before the page prints, and the print view shows only the summary', async ({
  page,
  context,
}, testInfo) => {
  const physician = central.users.find((u) => u.role === 'physician')!;
  const [patientId] = cache.split(physician.practitionerId).mine;
  const patient = cache.summaries.get(patientId!)!;

  // The browser's print, observed: each call asks the test (in Node) what the trail holds then.
  const trailAtPrint: number[] = [];
  await page.exposeFunction('__printCalled', async () => trailAtPrint.push((await printEntries()).length));
  await page.addInitScript(() => {
    window.print = () => void (window as unknown as { __printCalled(): Promise<void> }).__printCalled();
  });
  // A new document (the same address would only move to its fragment), so the observer is in it.
  await page.goto('about:blank');
  await page.goto(host.url);

  await expectNoAxeViolations(page);
  await screenshot(page, testInfo, 'sign-in');
  await signInAtProvider(page, context, central, physician.username);
  const setPin = page.getByRole('heading', { name: 'Set your PIN' });
  const search = page.getByRole('searchbox', { name: 'Search patients' });
  await expect(setPin.or(search)).toBeVisible();
  if (await setPin.isVisible()) {
    await page.getByLabel('New PIN').fill(PIN.physician);
    await page.getByLabel('Confirm PIN').fill(PIN.physician);
    await page.getByRole('button', { name: 'Set PIN' }).click();
  }
  await page.getByRole('list', { name: 'My patients' }).getByRole('button', { name: patient.name }).click();
  await expect(page.getByRole('heading', { level: 2, name: patient.name })).toBeVisible();
  await expectNoAxeViolations(page);
  await screenshot(page, testInfo, 'workspace-with-chart');

  expect(await printEntries()).toEqual([]);
  // The browser's own print of the screen (Ctrl+P) is not an unaudited copy: without a summary
  // there is nothing on paper.
  await page.emulateMedia({ media: 'print' });
  await expect(page.getByRole('heading', { level: 2, name: patient.name })).toBeHidden();
  await expect(page.getByRole('searchbox', { name: 'Search patients' })).toBeHidden();
  await page.emulateMedia({ media: 'screen' });
  await page.getByRole('button', { name: 'Print summary' }).click();
  await expect.poll(() => trailAtPrint.length).toBe(1);
  // When the page printed, the print was already in the trail, with the patient and the purpose.
  expect(trailAtPrint).toEqual([1]);
  expect(await printEntries()).toEqual([{ patient_id: patientId, purpose_of_use: 'TREAT' }]);

  // On screen the print view is not shown; on paper it is the only thing.
  const view = page.getByRole('article', { name: 'Chart summary for printing' });
  await expect(view).toBeHidden();
  await page.emulateMedia({ media: 'print' });
  await expect(view).toBeVisible();
  await expect(view.getByRole('heading', { level: 1, name: patient.name })).toBeVisible();
  await expect(view).toContainText(`MRN ${patient.mrn}`);
  for (const section of ['Allergies', 'Problems', 'Medications', 'Recent vitals'])
    await expect(view.getByRole('heading', { level: 2, name: section })).toBeVisible();
  await expect(view).toContainText(`Printed by ${physician.displayName}`);
  await expect(page.getByRole('searchbox', { name: 'Search patients' })).toBeHidden();
  await expect(page.getByRole('button', { name: 'Print summary' })).toBeHidden();
  await expectNoAxeViolations(page);
  await screenshot(page, testInfo, 'print-view');

  // The print dialog closed: the summary leaves the page.
  await page.evaluate(() => window.dispatchEvent(new Event('afterprint')));
  await expect(view).toHaveCount(0);
  await page.emulateMedia({ media: 'screen' });
  await expect(page.getByRole('searchbox', { name: 'Search patients' })).toBeVisible();
});

test('screenshots of the review queue (privacy officer)', async ({ page, context }, testInfo) => {
  const officer = central.users.find((u) => u.role === 'privacyOfficer')!;
  await signInAtProvider(page, context, central, officer.username);
  const setPin = page.getByRole('heading', { name: 'Set your PIN' });
  const review = page.getByRole('region', { name: 'Break-glass review' });
  await expect(setPin.or(review)).toBeVisible();
  if (await setPin.isVisible()) {
    await page.getByLabel('New PIN').fill(PIN.privacyOfficer);
    await page.getByLabel('Confirm PIN').fill(PIN.privacyOfficer);
    await page.getByRole('button', { name: 'Set PIN' }).click();
  }
  await expect(review).toBeVisible();
  await expectNoAxeViolations(page);
  await screenshot(page, testInfo, 'review-queue');
});
