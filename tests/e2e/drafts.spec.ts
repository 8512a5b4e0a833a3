/**
 * Issue 16's drafts in Chromium: the built renderer through the dev web host, a real core (real
 * vault and keychain), dev central's provider signing people in. A half-written note survives the
 * idle lock and the hotkey lock, the chart reopens on the same patient at unlock with the note
 * filled in, and "Switch user" with a draft asks to keep or discard it. Synthetic text only.
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

const CLINIC = { seed: 16, patients: 30 };
const PIN = { physician: '583920', nurse: '716204' };
const TYPED = 'Synthetic draft: cough for two days, no fever.';
const MORE = ' Lungs clear.';

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;

test.beforeAll(async () => {
  // A short idle timeout, so the idle lock comes within the test.
  stand = await startWorkstationStand({ clinic: CLINIC, policy: { lock: { idleSeconds: 30, warningSeconds: 10 } } });
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

async function unlock(page: Page, pin: string): Promise<void> {
  await page.getByLabel('PIN').fill(pin);
  await page.getByRole('button', { name: 'Unlock' }).click();
}

test('a note survives the idle lock and the hotkey; the chart reopens on the same patient; switch user asks to keep or discard', async ({
  page,
  context,
}) => {
  test.setTimeout(180_000);
  const physician = central.users.find((u) => u.username === 'physician1')!;
  const nurse = central.users.find((u) => u.role === 'nurse')!;
  // One of the physician's patients the nurse does not care for (so not in the nurse's "My patients").
  const nursesOwn = cache.split(nurse.practitionerId).mine;
  const patientId = cache.split(physician.practitionerId).mine.find((id) => !nursesOwn.includes(id));
  expect(patientId).toBeDefined();

  await page.goto(host.url);
  await signInAtProvider(page, context, central, physician.username);
  await setPin(page, PIN.physician);
  const name = await openPatient(page, patientId!);
  await page.getByRole('button', { name: 'Write note' }).click();
  const note = page.getByRole('textbox', { name: 'Note', exact: true });
  await note.fill(TYPED);

  // Nobody touches anything: the warning, then the idle lock, and nothing of the chart is left.
  await expect(page.getByRole('alertdialog', { name: 'Locking soon' })).toBeVisible({ timeout: 30_000 });
  const lockRegion = page.getByRole('region', { name: 'Workstation locked' });
  await expect(lockRegion).toBeVisible({ timeout: 15_000 });
  const html = await page.content();
  expect(html.includes(name), 'patient name in the DOM while locked').toBe(false);
  expect(html.includes(TYPED), 'note text in the DOM while locked').toBe(false);

  // Unlock: the same chart, the note form open with the text as it was.
  await unlock(page, PIN.physician);
  await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
  await expect(note).toHaveValue(TYPED);
  await expectNoSeriousAxeViolations(page);

  // Typed and locked at once (well within the second before a save): the lock itself hands it over.
  await note.press('End');
  await note.pressSequentially(MORE);
  await page.keyboard.press('Control+Shift+L');
  await expect(lockRegion).toBeVisible();
  await unlock(page, PIN.physician);
  await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
  await expect(note).toHaveValue(TYPED + MORE);

  // Switch user with a draft: asked. Cancel changes nothing.
  await page.getByRole('button', { name: 'Switch user' }).click();
  const ask = page.getByRole('alertdialog', { name: 'Keep your unsaved drafts?' });
  await expect(ask).toBeVisible();
  await expect(ask).toContainText('You have an unsaved draft.');
  await expectNoSeriousAxeViolations(page);
  await ask.getByRole('button', { name: 'Cancel' }).click();
  await expect(ask).toHaveCount(0);
  await expect(note).toHaveValue(TYPED + MORE);

  // Keep: signed out; the next user sees nothing of it.
  await page.getByRole('button', { name: 'Switch user' }).click();
  await ask.getByRole('button', { name: 'Keep drafts' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await signInAtProvider(page, context, central, nurse.username);
  await setPin(page, PIN.nurse);
  await expect(page.getByText(`${nurse.displayName} · Nurse`)).toBeVisible();
  await expect(page.getByText(name)).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'Note', exact: true })).toHaveCount(0);
  // The nurse has no drafts: switching user does not ask.
  await page.getByRole('button', { name: 'Switch user' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();

  // The physician again (PIN already set): the chart and the note come back.
  await signInAtProvider(page, context, central, physician.username);
  await expect(page.getByRole('heading', { level: 2, name })).toBeVisible();
  await expect(note).toHaveValue(TYPED + MORE);

  // Discard: gone for good.
  await page.getByRole('button', { name: 'Switch user' }).click();
  await ask.getByRole('button', { name: 'Discard drafts' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Sign in' })).toBeVisible();
  await signInAtProvider(page, context, central, physician.username);
  await expect(page.getByText(`${physician.displayName} · Physician`)).toBeVisible();
  await expect(page.getByRole('region', { name: 'Patient banner' })).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'Note', exact: true })).toHaveCount(0);
});
