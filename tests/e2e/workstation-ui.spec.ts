/**
 * Issue 16's first slice in Chromium through the dev web host, against dev central: the
 * workstation layout (a patient banner that stays while the chart scrolls, the patient pane with
 * "My patients", "Recent" and search results that show age and a restricted marker), dates in the
 * browser's locale (en-US here) and birth-date search in that format, a sync status that tells the
 * truth (no "Online" without central, "Sign in fully to send N changes" in a PIN-only session,
 * pending notices gone once sent), emergency access that names the patient and its end and can be
 * ended by the user, and the keyboard: PIN typed at once on the lock screen, search focused after
 * sign-in and unlock, focus back on the result after closing a chart, Ctrl+Shift+F to search.
 * Every screen touched is checked with axe: no violation of any impact.
 */
import { expect, test, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import type { WebHost } from '../../dev/web-host/server.ts';
import type { Central } from '../support/central.ts';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';
import type { ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 47, patients: 40 };
const PIN = { physician: '640271', nurse: '735102', privacyOfficer: '820461' };
const JUSTIFICATION = 'Collapsed in the corridor; need allergies and medications before treating';

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;

test.use({ locale: 'en-US', timezoneId: 'UTC' });

test.beforeAll(async () => {
  stand = await startWorkstationStand({
    clinic: CLINIC,
    policy: { lock: { idleSeconds: 3600, warningSeconds: 30 }, breakGlass: { durationMinutes: 30 } },
  });
  ({ central, cache, host } = stand);
});

test.afterAll(async () => {
  await stand?.close();
});

// The core's session outlives a page: each scenario starts signed out, whatever the one before left.
test.beforeEach(async ({ page }) => {
  central.faults.clear();
  await page.goto(host.url);
  const signInHeading = page.getByRole('heading', { level: 1, name: 'Sign in' });
  const switchButton = page.getByRole('button', { name: 'Switch user' }).first();
  await expect(signInHeading.or(switchButton)).toBeVisible();
  if (await signInHeading.isVisible()) return;
  await switchButton.click();
  const confirm = page.getByRole('button', { name: 'End access and switch user' });
  await expect(signInHeading.or(confirm)).toBeVisible();
  if (await confirm.isVisible()) await confirm.click();
  await expect(signInHeading).toBeVisible();
});

/** Signs in at the provider; sets the PIN the first time this user signs in here. */
async function signIn(page: Page, context: BrowserContext, username: string, pin: string): Promise<void> {
  await signInAtProvider(page, context, central, username);
  const setPin = page.getByRole('heading', { name: 'Set your PIN' });
  const search = page.getByRole('searchbox', { name: 'Search patients' });
  const review = page.getByRole('region', { name: 'Break-glass review' });
  await expect(setPin.or(search).or(review)).toBeVisible();
  if (await setPin.isVisible()) {
    await page.getByLabel('New PIN').fill(pin);
    await page.getByLabel('Confirm PIN').fill(pin);
    await page.getByRole('button', { name: 'Set PIN' }).click();
  }
}

async function switchUser(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Switch user' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
}

async function screenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  await info.attach(name, { body: await page.screenshot({ fullPage: false }), contentType: 'image/png' });
}

const usDate = (iso: string) =>
  new Intl.DateTimeFormat('en-US', { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' }).format(
    new Date(`${iso}T00:00:00Z`),
  );
const usNumeric = (iso: string) => `${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(0, 4)}`;
const yearsSince = (iso: string) => {
  const now = new Date();
  const [y, m, d] = iso.split('-').map(Number) as [number, number, number];
  let years = now.getUTCFullYear() - y;
  if (now.getUTCMonth() + 1 < m || (now.getUTCMonth() + 1 === m && now.getUTCDate() < d)) years--;
  return years;
};

interface Allergy {
  patient: { reference: string };
  criticality?: string;
  code?: { text?: string; coding?: { display?: string }[] };
}

/** The clinic's allergies by patient id (the same generator dev central and the cache were filled from). */
function allergiesByPatient(): Map<string, Allergy[]> {
  const byPatient = new Map<string, Allergy[]>();
  for (const resource of generateResources(CLINIC) as Iterable<{ resourceType: string }>) {
    if (resource.resourceType !== 'AllergyIntolerance') continue;
    const allergy = resource as unknown as Allergy;
    const id = allergy.patient.reference.replace('Patient/', '');
    byPatient.set(id, [...(byPatient.get(id) ?? []), allergy]);
  }
  return byPatient;
}

test('workstation layout: banner stays while the chart scrolls; My patients, Recent, search with age and restriction', async ({
  page,
  context,
}, info) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 640 });
  const physician = central.users.find((u) => u.role === 'physician')!;
  const { mine, others } = cache.split(physician.practitionerId);
  const allergies = allergiesByPatient();
  // A patient of hers with a high-criticality allergy, so the banner has something to say.
  const patientId =
    mine.find((id) => (allergies.get(id) ?? []).some((a) => a.criticality === 'high')) ??
    mine.find((id) => (allergies.get(id) ?? []).length > 0)!;
  const patient = cache.summaries.get(patientId)!;
  const stranger = cache.summaries.get(others[0]!)!;

  await page.goto(host.url);
  await signIn(page, context, physician.username, PIN.physician);

  // The patient pane: her care team's patients, nothing recent yet.
  const myPatients = page.getByRole('list', { name: 'My patients' });
  await expect(myPatients).toBeVisible();
  await expect(myPatients.getByRole('listitem')).toHaveCount(Math.min(mine.length, 50));
  await expect(myPatients.getByRole('button', { name: patient.name })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Recent' })).toContainText('No charts opened yet');
  await expectNoAxeViolations(page);
  await screenshot(page, info, 'patient pane');

  // Search results say age, sex in words and whether the record is restricted, before opening.
  const search = page.getByRole('searchbox', { name: 'Search patients' });
  await search.fill(stranger.mrn!);
  const found = page.getByRole('list', { name: 'Patients found' });
  const strangerRow = found.getByRole('listitem').filter({ hasText: stranger.name });
  await expect(strangerRow).toContainText('Restricted record');
  await expect(strangerRow).toContainText(`${yearsSince(stranger.birthDate!)} years`);
  await search.fill(patient.mrn!);
  const row = found.getByRole('listitem').filter({ hasText: patient.name });
  await expect(row).toContainText(`${yearsSince(patient.birthDate!)} years`);
  await expect(row).not.toContainText('Restricted record');
  const sex = patient.gender === 'male' ? 'Male' : 'Female';
  await expect(row).toContainText(sex);
  await expectNoAxeViolations(page);

  await found.getByRole('button', { name: patient.name }).click();
  const banner = page.getByRole('region', { name: 'Patient banner' });
  await expect(banner.getByRole('heading', { level: 2, name: patient.name })).toBeVisible();
  await expect(banner).toContainText(`${yearsSince(patient.birthDate!)} years`);
  await expect(banner).toContainText(sex);
  await expect(banner).toContainText(usDate(patient.birthDate!));
  await expect(banner).toContainText(patient.mrn!);
  await expect(banner).toContainText('Care team');
  const theirs = allergies.get(patientId)!;
  const top = theirs.find((a) => a.criticality === 'high') ?? theirs[0]!;
  await expect(banner).toContainText(top.code?.text ?? top.code?.coding?.[0]?.display ?? '');
  if (top.criticality === 'high') await expect(banner).toContainText('high criticality');
  // The same words for sex everywhere: nothing lower-case left in the chart.
  await expect(page.getByRole('main')).not.toContainText(new RegExp(`\\b${patient.gender}\\b`));

  // Scrolled to the notes, the banner is still in view (and the allergies section is not).
  await page.getByRole('heading', { level: 3, name: 'Notes' }).scrollIntoViewIfNeeded();
  await page.getByRole('main').evaluate((main) => {
    const scroller = main.querySelector('.chart-scroll') ?? main;
    scroller.scrollTop = scroller.scrollHeight;
  });
  await expect(page.getByRole('heading', { level: 3, name: 'Allergies' })).not.toBeInViewport();
  await expect(banner).toBeInViewport();
  await expect(banner.getByRole('heading', { level: 2, name: patient.name })).toBeInViewport();
  await expectNoAxeViolations(page);
  await screenshot(page, info, 'chart scrolled, banner in view');

  // Closing the chart gives focus back to the result it was opened from; Recent lists it.
  await banner.getByRole('button', { name: 'Close chart' }).click();
  await expect(found.getByRole('button', { name: patient.name })).toBeFocused();
  const recent = page.getByRole('list', { name: 'Recent' });
  await expect(recent.getByRole('button', { name: patient.name })).toBeVisible();
  await switchUser(page);
});

test('dates in the locale: birth-date search as MM/DD/YYYY with a hint, chart dates in en-US words', async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  const physician = central.users.find((u) => u.role === 'physician')!;
  const patientId = cache.split(physician.practitionerId).mine[1]!;
  const patient = cache.summaries.get(patientId)!;

  await page.goto(host.url);
  await signIn(page, context, physician.username, PIN.physician);
  await expect(page.getByText('birth date as MM/DD/YYYY')).toBeVisible();
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(usNumeric(patient.birthDate!));
  const found = page.getByRole('list', { name: 'Patients found' });
  await expect(found.getByRole('button', { name: patient.name })).toBeVisible();
  await expect(found).toContainText(usDate(patient.birthDate!));
  await found.getByRole('button', { name: patient.name }).click();
  const chart = page.getByRole('region', { name: 'Vitals' });
  await expect(chart).toBeVisible();
  // No ISO date left in what the workstation writes (a note's own text is the author's words).
  const iso = /\b\d{4}-\d{2}-\d{2}\b/;
  await expect(page.getByRole('region', { name: 'Patient banner' })).not.toContainText(iso);
  await expect(page.getByRole('complementary', { name: 'Patients' })).not.toContainText(iso);
  for (const section of ['Allergies', 'Problems', 'Medications', 'Vitals'])
    await expect(page.getByRole('region', { name: section })).not.toContainText(iso);
  await expect(page.locator('.note__meta').first()).not.toContainText(iso);
  await expect(page.locator('.note__meta').first()).toContainText(/[A-Z][a-z]{2} \d{1,2}, \d{4}/);
  await expectNoAxeViolations(page);
  await switchUser(page);
});

test('keyboard: search focused after sign-in and unlock, a PIN typed at once unlocks, Ctrl+Shift+F searches', async ({
  page,
  context,
}) => {
  test.setTimeout(90_000);
  const physician = central.users.find((u) => u.role === 'physician')!;
  await page.goto(host.url);
  await signIn(page, context, physician.username, PIN.physician);
  const search = page.getByRole('searchbox', { name: 'Search patients' });
  await expect(search).toBeFocused();

  // Lock, and type the PIN at once: not one digit is lost.
  await page.keyboard.press('Control+Shift+L');
  await expect(page.getByRole('region', { name: 'Workstation locked' })).toBeVisible();
  await page.keyboard.type(PIN.physician);
  await page.keyboard.press('Enter');
  await expect(search).toBeFocused();
  await expectNoAxeViolations(page);

  // The documented shortcut brings focus back to search from anywhere.
  await page.getByRole('button', { name: 'Settings' }).focus();
  await page.keyboard.press('Control+Shift+F');
  await expect(search).toBeFocused();
  await expect(search).toHaveAttribute('aria-keyshortcuts', /Control\+Shift\+F/);

  // The lock screen itself, checked while the PIN field has focus.
  await page.getByRole('button', { name: 'Lock now' }).click();
  await expect(page.getByLabel('PIN')).toBeFocused();
  await expectNoAxeViolations(page);
  await page.keyboard.type(PIN.physician);
  await page.keyboard.press('Enter');
  await expect(search).toBeFocused();
  await switchUser(page);
});

test('emergency access: banner names the patient and its end, ended by the user, switch user confirms; review in words', async ({
  page,
  context,
}) => {
  test.setTimeout(150_000);
  const nurse = central.users.find((u) => u.role === 'nurse')!;
  const officer = central.users.find((u) => u.role === 'privacyOfficer')!;
  const [firstId, secondId] = cache.split(nurse.practitionerId).others;
  const first = cache.summaries.get(firstId!)!;
  const second = cache.summaries.get(secondId!)!;

  const grant = async (patient: typeof first) => {
    await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.mrn!);
    await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: patient.name }).click();
    await page.getByRole('button', { name: 'Emergency access' }).click();
    const dialog = page.getByRole('dialog', { name: 'Emergency access' });
    await dialog.getByLabel('Reason').selectOption('ETREAT');
    await dialog.getByLabel('Justification').fill(JUSTIFICATION);
    await dialog.getByLabel('PIN').fill(PIN.nurse);
    await dialog.getByRole('button', { name: 'Grant emergency access' }).click();
  };

  await page.goto(host.url);
  await signIn(page, context, nurse.username, PIN.nurse);
  await grant(first);
  const banner = page.getByRole('banner', { name: 'Emergency access active' });
  await expect(banner).toContainText(first.name);
  await expect(banner).toContainText(/until \d{1,2}:\d{2}\s?[AP]M/);
  await expect(banner).toContainText('30 minutes left');
  await expect(page.getByRole('region', { name: 'Patient banner' })).toContainText('Emergency access');
  await expectNoAxeViolations(page);

  // Ended by the user: the chart is restricted again at once.
  await banner.getByRole('button', { name: 'End emergency access' }).click();
  await expect(page.getByRole('heading', { name: 'Restricted record' })).toBeVisible();
  await expect(banner).toHaveCount(0);
  await expect(page.getByRole('heading', { level: 3, name: 'Allergies' })).toHaveCount(0);

  // Switching user with access active asks first; Cancel keeps everything as it was.
  await grant(second);
  await expect(banner).toContainText(second.name);
  await page.getByRole('button', { name: 'Switch user' }).click();
  const confirm = page.getByRole('alertdialog', { name: 'End emergency access and switch user?' });
  await expect(confirm).toBeVisible();
  await expect(confirm).toContainText(second.name);
  await expectNoAxeViolations(page);
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await expect(banner).toBeVisible();
  await page.getByRole('button', { name: 'Switch user' }).click();
  await confirm.getByRole('button', { name: 'End access and switch user' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();

  // The privacy officer reads why each ended, in words.
  await signIn(page, context, officer.username, PIN.privacyOfficer);
  const review = page.getByRole('region', { name: 'Break-glass review' });
  await expect(review.getByRole('article', { name: new RegExp(first.name) })).toContainText('ended by the user');
  await expect(review.getByRole('article', { name: new RegExp(second.name) })).toContainText('switched user');
  await expect(review).not.toContainText('endedByUser');
  await expect(review).not.toContainText('switchUser');
  await expect(review).not.toContainText(/\b\d{4}-\d{2}-\d{2}\b/);
  await expectNoAxeViolations(page);
  await switchUser(page);
});

test('sync status tells the truth: no "Online" without central, PIN-only changes wait for a full sign-in, notices cleared', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  const physician = central.users.find((u) => u.role === 'physician')!;
  const patient = cache.summaries.get(cache.split(physician.practitionerId).mine[2]!)!;
  const status = page.getByRole('status', { name: 'Sync status' });
  const vitals = page.getByRole('region', { name: 'Vitals' });
  const recordHeartRate = async (value: string) => {
    await vitals.getByRole('button', { name: 'Record vitals' }).click();
    await page.getByRole('form', { name: 'Record vitals' }).getByLabel('Heart rate (/min)').fill(value);
    await page.getByRole('form', { name: 'Record vitals' }).getByRole('button', { name: 'Save vitals' }).click();
  };

  // A full sign-in first (within the offline window); then central goes down and she comes back
  // with her PIN. (A quiet moment after the sign-out: a session ended while its token refresh is
  // in flight makes the provider's refusal of the retired token revoke the PIN sign-in.)
  await signIn(page, context, physician.username, PIN.physician);
  await expect(status).toContainText('last synced', { timeout: 30_000 });
  await switchUser(page);
  const down = central.faults.inject({ kind: 'unreachable', times: Infinity });
  const idpDown = central.faults.inject({ kind: 'unreachable', times: Infinity, service: 'idp' });
  await page.getByLabel('Username').fill(physician.username);
  await page.getByLabel('PIN', { exact: true }).fill(PIN.physician);
  await page.getByRole('button', { name: 'Sign in with PIN' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search patients' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Offline' })).toBeVisible({ timeout: 30_000 });
  await expect(status).toContainText('Offline');
  await expect(status).not.toContainText('Online');

  await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.mrn!);
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: patient.name }).click();
  await recordHeartRate('71');
  await expect(status).toContainText('Sign in fully to send 1 change', { timeout: 30_000 });
  await expectNoAxeViolations(page);

  // Central's FHIR API answers again (the identity provider not yet): "Online", and still the
  // change cannot leave without a token.
  down.remove();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(status).toContainText('Online', { timeout: 30_000 });
  await expect(status).toContainText('Sign in fully to send 1 change');
  await expect(page.getByRole('region', { name: 'Offline' })).toHaveCount(0);

  // The provider is back: the PIN session gets its token (the session retries every 30 s), and
  // the change goes; the notice that said it was pending goes with it.
  idpDown.remove();
  await expect
    .poll(
      async () => {
        await page.getByRole('button', { name: 'Sync now' }).click();
        return status.textContent();
      },
      { timeout: 60_000, intervals: [3_000] },
    )
    .not.toMatch(/Sign in fully|pending/);
  await expect(vitals.getByText('Pending sync', { exact: true })).toHaveCount(0, { timeout: 30_000 });
  await recordHeartRate('74');
  await expect(vitals.getByRole('status')).toContainText('pending sync');
  await expect(vitals.getByText('Pending sync', { exact: true })).toHaveCount(0, { timeout: 30_000 });
  await expect(vitals.getByRole('status')).not.toContainText('pending sync');
  await expect(status).toContainText('Online · last synced');
  await switchUser(page);
});
