/**
 * Issue 4's scenario in Chromium: the built renderer through the dev web host, a real core (real
 * vault, real keychain), dev central's identity provider signing people in through its own page
 * in a popup, and the same synthetic clinic in both. Selectors are PRODUCT.md's accessible names.
 */
import { expect, test, type Page } from '@playwright/test';
import type { WebHost } from '../../dev/web-host/server.ts';
import type { Central } from '../support/central.ts';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';
import type { ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 21, patients: 40 };
const PIN = { physician: '583920', nurse: '716204', frontDesk: '940318' };

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;

test.beforeAll(async () => {
  // 20-second access tokens: refreshed every ten seconds, so a disabled account is noticed quickly.
  stand = await startWorkstationStand({
    clinic: CLINIC,
    central: { accessTokenTtlSeconds: 20 },
    policy: { lock: { idleSeconds: 30, warningSeconds: 10 } },
  });
  ({ central, cache, host } = stand);
});

test.afterAll(async () => {
  await stand?.close();
});

async function setPin(page: Page, pin: string): Promise<void> {
  await expect(page.getByRole('heading', { name: 'Set your PIN' })).toBeVisible();
  await page.getByLabel('New PIN').fill(pin);
  await page.getByLabel('Confirm PIN').fill(pin);
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search patients' })).toBeVisible();
}

async function openPatient(page: Page, patientId: string): Promise<string> {
  const patient = cache.summaries.get(patientId)!;
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.mrn!);
  await page.keyboard.press('Enter');
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: patient.name }).click();
  await expect(page.getByRole('heading', { level: 2, name: patient.name })).toBeVisible();
  return patient.name;
}

/**
 * No patient name in the DOM, and none in the page's JavaScript heap either (after a garbage
 * collection): the renderer's stores were cleared, not just hidden.
 */
async function expectNoPhiAnywhere(page: Page, names: string[]): Promise<void> {
  const html = await page.content();
  for (const name of names) expect(html.includes(name), 'patient name in the DOM').toBe(false);
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    let snapshot = '';
    cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => (snapshot += chunk));
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    for (const name of names) expect(snapshot.includes(name), 'patient name in the page heap').toBe(false);
  } finally {
    await cdp.detach();
  }
}

test('164.312(a)(2)(iii) 164.312(d): sign in, PIN, care-team chart, idle warning and lock, unlock, hotkey, switch user, front desk, lockout, access termination', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  const physician = central.users.find((u) => u.username === 'physician1')!;
  const nurse = central.users.find((u) => u.role === 'nurse')!;
  const frontDesk = central.users.find((u) => u.role === 'frontDesk')!;
  const [carePatient] = cache.split(physician.practitionerId).mine;
  expect(carePatient).toBeDefined();

  // Sign in as the physician through the provider's page.
  await page.goto(host.url);
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expectNoAxeViolations(page);
  await signInAtProvider(page, context, central, physician.username);
  await expectNoAxeViolations(page);
  // Trivial PINs are refused by the main process.
  await page.getByLabel('New PIN').fill('123456');
  await page.getByLabel('Confirm PIN').fill('123456');
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await expect(page.getByRole('alert')).toContainText('Choose another PIN');
  await setPin(page, PIN.physician);
  await expect(page.getByText(`${physician.displayName} · Physician`)).toBeVisible();

  // Settings are IT's, shown read-only.
  await page.getByRole('button', { name: 'Settings' }).click();
  const settings = page.getByRole('region', { name: 'Settings' });
  await expect(settings).toContainText('Managed by your organization.');
  // In words and units (issue 16), with the dotted name IT writes in the policy.
  await expect(
    settings.getByRole('row').filter({ has: page.getByText('lock.idleSeconds', { exact: true }) }),
  ).toContainText('30 seconds');
  await expect(settings.getByRole('textbox')).toHaveCount(0);
  await page.getByRole('button', { name: 'Close settings' }).click();

  // A care-team patient: the whole chart.
  const name = await openPatient(page, carePatient!);
  for (const section of ['Allergies', 'Problems', 'Medications', 'Vitals', 'Notes']) {
    await expect(page.getByRole('heading', { level: 3, name: section })).toBeVisible();
  }
  await expect(page.getByText('Restricted record')).toHaveCount(0);
  await expectNoAxeViolations(page);

  // Idle: the warning, then the lock. Nobody touches anything.
  const dialog = page.getByRole('alertdialog', { name: 'Locking soon' });
  await expect(dialog).toBeVisible({ timeout: 30_000 });
  await expect(dialog).toContainText('The workstation locks in');
  await expect(page.getByRole('heading', { name: name })).toBeVisible(); // still working until the lock
  const lockRegion = page.getByRole('region', { name: 'Workstation locked' });
  await expect(lockRegion).toBeVisible({ timeout: 15_000 });
  await expect(lockRegion).toContainText(physician.displayName);
  await expect(lockRegion.getByRole('button', { name: 'Unlock' })).toBeVisible();
  await expect(lockRegion.getByRole('button', { name: 'Switch user' })).toBeVisible();
  await expectNoPhiAnywhere(page, [name]);
  await expectNoAxeViolations(page);

  // Unlock with the PIN: the chart was cleared, not hidden (above), and is opened again from the
  // main process on the same patient (issue 16); the search box stays empty (its text was PHI).
  await page.getByLabel('PIN').fill(PIN.physician);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search patients' })).toHaveValue('');
  await expect(page.getByRole('region', { name: 'Patient banner' })).toContainText(name);
  await expect(page.getByRole('list', { name: 'Patients found' })).toHaveCount(0);
  await expect(page.getByRole('list', { name: 'Recent' }).getByRole('button', { name })).toBeVisible();

  // The hotkey locks at once.
  await openPatient(page, carePatient!);
  await page.keyboard.press('Control+Shift+L');
  await expect(lockRegion).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);

  // Switch user to a nurse: the physician's session and patient are gone.
  await page.getByRole('button', { name: 'Switch user' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await signInAtProvider(page, context, central, nurse.username);
  await setPin(page, PIN.nurse);
  await expect(page.getByText(`${nurse.displayName} · Nurse`)).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
  await expect(page.getByText(physician.displayName)).toHaveCount(0);
  // A patient outside the nurse's care team is restricted.
  const [notNurses] = cache.split(nurse.practitionerId).others;
  const otherName = await openPatient(page, notNurses!);
  await expect(page.getByRole('heading', { name: 'Restricted record' })).toBeVisible();
  await expect(page.getByRole('heading', { level: 3, name: 'Allergies' })).toHaveCount(0);
  await expect(page.getByText(otherName).first()).toBeVisible();

  // Front desk: demographics, no clinical section at all.
  await page.getByRole('button', { name: 'Switch user' }).click();
  await signInAtProvider(page, context, central, frontDesk.username);
  await setPin(page, PIN.frontDesk);
  await openPatient(page, carePatient!);
  await expect(page.getByText('Your role shows demographics only.')).toBeVisible();
  for (const section of ['Allergies', 'Problems', 'Medications', 'Vitals', 'Notes']) {
    await expect(page.getByRole('heading', { name: section })).toHaveCount(0);
  }

  // Five wrong PINs: a full sign-in is required.
  await page.getByRole('button', { name: 'Lock now' }).click();
  for (let attempt = 1; attempt <= 5; attempt++) {
    await page.getByLabel('PIN').fill('000111');
    await page.getByRole('button', { name: 'Unlock' }).click();
    if (attempt < 5)
      await expect(page.getByRole('alert')).toContainText(
        `${5 - attempt} ${5 - attempt === 1 ? 'attempt' : 'attempts'} left`,
      );
  }
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await expect(page.getByText('Too many wrong PINs. Sign in again with your password.')).toBeVisible();

  // The nurse signs in again (PIN already set), is disabled at the provider, and is signed out at the next refresh.
  await signInAtProvider(page, context, central, nurse.username);
  await expect(page.getByText(`${nurse.displayName} · Nurse`)).toBeVisible();
  central.disableUser(nurse.username);
  try {
    await expect(page.getByText('The identity provider no longer accepts this account')).toBeVisible({
      timeout: 20_000,
    });
    await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  } finally {
    central.enableUser(nurse.username);
  }
});
