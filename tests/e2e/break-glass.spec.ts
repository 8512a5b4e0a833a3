/**
 * Issue 5's scenario in Chromium through the dev web host, against dev central: a nurse's
 * emergency access to a patient outside her care team, its expiry on a clock the test moves, the
 * privacy officer's review, the AuditEvents at the central FHIR API, and `ws audit verify` passing
 * and then failing at the entry edited in the file.
 */
import path from 'node:path';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import type { WebHost } from '../../dev/web-host/server.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { fhirFetch, signIn, type Central } from '../support/central.ts';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';
import { runTs } from '../support/child.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import type { ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 31, patients: 40 };
const JUSTIFICATION = 'Found unresponsive in the waiting area; need allergies and medications before treating';

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;
let dataDir: string;

test.beforeAll(async () => {
  stand = await startWorkstationStand({
    clinic: CLINIC,
    shiftableTime: true,
    policy: {
      lock: { idleSeconds: 3600, warningSeconds: 30 },
      breakGlass: { durationMinutes: 10 },
      alerts: { failedAuthMax: 1 },
    },
  });
  ({ central, cache, host, dataDir } = stand);
});

test.afterAll(async () => {
  await stand?.close();
});

async function signInWithNewPin(page: Page, context: BrowserContext, username: string, pin: string): Promise<void> {
  await signInAtProvider(page, context, central, username);
  await page.getByLabel('New PIN').fill(pin);
  await page.getByLabel('Confirm PIN').fill(pin);
  await page.getByRole('button', { name: 'Set PIN' }).click();
}

const ws = (...args: string[]) => runTs('src-main/cli/main.ts', [...args, '--data-dir', dataDir, '--json']);

test('164.312(a)(2)(ii) 164.312(b): emergency access: restricted, granted with reason, justification and PIN, expires; reviewed; shipped; verified', async ({
  page,
  context,
}) => {
  test.setTimeout(150_000);
  const nurse = central.users.find((u) => u.role === 'nurse')!;
  const officer = central.users.find((u) => u.role === 'privacyOfficer')!;
  const [patientId] = cache.split(nurse.practitionerId).others;
  const patient = cache.summaries.get(patientId!)!;

  await page.goto(host.url);
  await signInWithNewPin(page, context, nurse.username, '530917');
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.mrn!);
  await page.keyboard.press('Enter');
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: patient.name }).click();
  await expect(page.getByRole('heading', { name: 'Restricted record' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Allergies' })).toHaveCount(0);

  // The emergency door: reason, justification, PIN.
  await page.getByRole('button', { name: 'Emergency access' }).click();
  const dialog = page.getByRole('dialog', { name: 'Emergency access' });
  await expect(dialog).toBeVisible();
  await dialog.getByLabel('Reason').selectOption('ETREAT');
  await dialog.getByLabel('Justification').fill('need it');
  await dialog.getByLabel('PIN').fill('530917');
  await dialog.getByRole('button', { name: 'Grant emergency access' }).click();
  await expect(dialog.getByRole('alert')).toContainText('at least 20 characters');
  await dialog.getByLabel('Justification').fill(JUSTIFICATION);
  // Two wrong PINs: more failures than policy's alerts.failedAuthMax (1) alert the privacy officer.
  for (const left of ['4 attempts left', '3 attempts left']) {
    await dialog.getByLabel('PIN').fill('284619');
    await dialog.getByRole('button', { name: 'Grant emergency access' }).click();
    await expect(dialog.getByRole('alert')).toContainText(left);
  }
  await dialog.getByLabel('PIN').fill('530917');
  await expectNoAxeViolations(page);
  await dialog.getByRole('button', { name: 'Grant emergency access' }).click();

  const banner = page.getByRole('banner', { name: 'Emergency access active' });
  await expect(banner).toBeVisible();
  await expect(banner).toContainText('10 minutes left');
  for (const section of ['Allergies', 'Problems', 'Medications', 'Vitals', 'Notes']) {
    await expect(page.getByRole('heading', { level: 3, name: section })).toBeVisible();
  }
  await expect(page.getByRole('heading', { name: 'Restricted record' })).toHaveCount(0);
  await expectNoAxeViolations(page);

  // The grant expires: the chart is restricted again at once, without a click.
  host.advanceTime(10 * 60_000);
  await expect(page.getByRole('heading', { name: 'Restricted record' })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Allergies' })).toHaveCount(0);
  await expect(banner).toHaveCount(0);

  // The privacy officer reviews it: who, which patient, why, what was viewed.
  await page.getByRole('button', { name: 'Switch user' }).click();
  await signInWithNewPin(page, context, officer.username, '864203');
  const review = page.getByRole('region', { name: 'Break-glass review' });
  await expect(review).toBeVisible();
  const item = review.getByRole('article', { name: new RegExp(patient.name) });
  await expect(item).toContainText(nurse.displayName);
  await expect(item).toContainText('Emergency treatment (ETREAT)');
  await expect(item).toContainText(JUSTIFICATION);
  await expect(item).toContainText('Chart opened');
  await expect(item).toContainText('10 min, expired');
  await expectNoAxeViolations(page);
  await item.getByLabel('Review comment').fill('Confirmed with the charge nurse: genuine emergency.');
  await item.getByRole('button', { name: 'Mark reviewed' }).click();
  await expect(review.getByText('No emergency access waits for review.')).toBeVisible();

  // And the unusual access alert the wrong PINs raised, reviewed the same way.
  const alerts = page.getByRole('region', { name: 'Unusual access alerts' });
  const alert = alerts.getByRole('article', { name: nurse.displayName });
  await expect(alert).toContainText('2 failed sign-ins or PINs in 15 minutes');
  await expectNoAxeViolations(page);
  await alert.getByLabel('Review comment').fill('Mistyped PIN in a hurry; confirmed with the nurse.');
  await alert.getByRole('button', { name: 'Mark reviewed' }).click();
  await expect(alerts.getByText('No unusual access alert waits for review.')).toBeVisible();

  // The central FHIR API holds the AuditEvents: start, stop, the view under the grant, the review.
  const token = (await signIn(central, officer.username)).accessToken;
  await expect
    .poll(
      async () => {
        const response = await fhirFetch(central, token, 'AuditEvent?_count=200');
        const bundle = (await response.json()) as {
          entry?: { resource: { subtype?: { code: string }[]; purposeOfEvent?: unknown } }[];
        };
        return (bundle.entry ?? [])
          .map((e) => e.resource.subtype?.[0]?.code)
          .filter((code) => code === '110127' || code === '110138' || code === 'emergency-override-reviewed');
      },
      { timeout: 45_000, intervals: [1000] },
    )
    .toEqual(expect.arrayContaining(['110127', '110138', 'emergency-override-reviewed']));

  // The trail verifies; then an entry edited in the file is found and located.
  const ok = await ws('audit', 'verify');
  expect(ok.code).toBe(0);
  const { lastSeq } = JSON.parse(ok.stdout) as { lastSeq: number };
  expect(lastSeq).toBeGreaterThan(10);
  const db = openDatabase(path.join(dataDir, 'cache.db'), await keyStore.get(accountsFor(dataDir).current));
  const grantSeq = (db.prepare(`SELECT seq FROM audit_log WHERE action = 'breakGlass.start'`).get() as { seq: number })
    .seq;
  db.exec('DROP TRIGGER audit_log_no_update');
  db.prepare('UPDATE audit_log SET justification = ? WHERE seq = ?').run('routine look-up', grantSeq);
  db.close();
  const broken = await ws('audit', 'verify');
  expect(broken.code).toBe(1);
  expect(JSON.parse(broken.stdout)).toMatchObject({ ok: false, kind: 'altered', seq: grantSeq });
});
