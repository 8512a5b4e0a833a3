/**
 * Issue 17's "Conflicts outlive access" in Chromium through the dev web host, against dev
 * central: a nurse's allergy edit under emergency access meets a newer version at central; the
 * grant expires, so the conflict is restricted for her and goes to the privacy officer, who sees
 * whose change, the patient and both versions, and releases it with a comment; central then holds
 * the nurse's change. Then issue 16's review history: the emergency access reviewed, found in the
 * history with its reviewer and comment, filtered, and exported by the main process. axe on the
 * officer's screen.
 */
import fs from 'node:fs';
import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { fhirFetch, signIn, type Central } from '../support/central.ts';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';
import type { ClinicCache } from '../support/workstation.ts';
import type { WebHost } from '../../dev/web-host/server.ts';

const CLINIC = { seed: 41, patients: 40 };
const JUSTIFICATION = 'Synthetic: found unresponsive in the waiting area, allergy history needed now';

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;

test.beforeAll(async () => {
  stand = await startWorkstationStand({
    clinic: CLINIC,
    shiftableTime: true,
    policy: { lock: { idleSeconds: 3600, warningSeconds: 30 }, breakGlass: { durationMinutes: 10 } },
  });
  ({ central, cache, host } = stand);
});

test.afterAll(async () => {
  await stand?.close();
});

async function signInWithNewPin(page: Page, context: BrowserContext, username: string, pin: string): Promise<void> {
  await signInAtProvider(page, context, central, username);
  await page.getByLabel('New PIN').fill(pin);
  await page.getByLabel('Confirm PIN').fill(pin);
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await expect(page.getByRole('status', { name: 'Sync status' })).toContainText('last synced', { timeout: 30_000 });
}

type Json = Record<string, unknown>;

test('164.312(a)(1) 164.312(c)(1): a conflict made under emergency access goes to the privacy officer once the access ends, who releases it; 164.312(b): the review history, filtered and exported', async ({
  page,
  context,
}) => {
  test.setTimeout(150_000);
  const nurse = central.users.find((u) => u.role === 'nurse')!;
  const officer = central.users.find((u) => u.role === 'privacyOfficer')!;
  // Another clinician, elsewhere, who edits at central.
  const token = (await signIn(central, 'nurse2')).accessToken;

  // A patient outside the nurse's care team with an allergy on central.
  let target: { patientId: string; allergy: Json } | null = null;
  for (const patientId of cache.split(nurse.practitionerId).others) {
    const bundle = (await (await fhirFetch(central, token, `AllergyIntolerance?patient=${patientId}`)).json()) as {
      entry?: { resource: Json }[];
    };
    const allergy = bundle.entry?.[0]?.resource;
    if (allergy) {
      target = { patientId, allergy };
      break;
    }
  }
  expect(target, 'a patient outside the care team with an allergy').not.toBeNull();
  const { patientId, allergy } = target!;
  const patient = cache.summaries.get(patientId)!;

  await page.goto(host.url);
  await signInWithNewPin(page, context, nurse.username, '530917');
  await page.getByRole('searchbox', { name: 'Search patients' }).fill(patient.mrn!);
  await page.getByRole('list', { name: 'Patients found' }).getByRole('button', { name: patient.name }).click();
  await page.getByRole('button', { name: 'Emergency access' }).click();
  const dialog = page.getByRole('dialog', { name: 'Emergency access' });
  await dialog.getByLabel('Reason').selectOption('ETREAT');
  await dialog.getByLabel('Justification').fill(JUSTIFICATION);
  await dialog.getByLabel('PIN').fill('530917');
  await dialog.getByRole('button', { name: 'Grant emergency access' }).click();
  await expect(page.getByRole('banner', { name: 'Emergency access active' })).toBeVisible();

  // Central's allergy changes under the workstation's feet; the nurse's edit then meets a conflict.
  const put = await fhirFetch(central, token, `AllergyIntolerance/${String(allergy.id)}`, {
    method: 'PUT',
    body: JSON.stringify({ ...allergy, criticality: 'high' }),
  });
  expect(put.status).toBeLessThan(300);
  const allergies = page.getByRole('region', { name: 'Allergies' });
  const editButton = allergies.getByRole('button', { name: /^Edit allergy / }).first();
  const substance = ((await editButton.getAttribute('aria-label')) ?? '').replace('Edit allergy ', '');
  await editButton.click();
  const form = page.getByRole('form', { name: `Edit allergy: ${substance}` });
  await form.getByLabel('Criticality').selectOption('low');
  await form.getByLabel('Comment').fill('Synthetic: tolerated a test dose.');
  await form.getByRole('button', { name: 'Save allergy' }).click();
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect(page.getByRole('status', { name: 'Sync status' })).toContainText('1 conflict', { timeout: 30_000 });

  // The grant expires: the nurse may no longer see the conflict; it waits for the privacy officer.
  host.advanceTime(10 * 60_000);
  await expect(page.getByRole('banner', { name: 'Emergency access active' })).toHaveCount(0);
  await page.getByRole('button', { name: 'Review sync conflicts (1)' }).click();
  await expect(page.getByText(/privacy officer\u2019s review queue/)).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Sync conflicts' }).locator('..')).not.toContainText(patient.name);

  await page.getByRole('button', { name: 'Switch user' }).click();
  await signInWithNewPin(page, context, officer.username, '864203');
  const queue = page.getByRole('region', { name: 'Restricted sync conflicts' });
  const item = queue.getByRole('article', { name: new RegExp(`${nurse.displayName}.*${patient.name}`) });
  await expect(item).toBeVisible();
  // The privacy officer decides on the access, never seeing what the record says (no clinical data).
  await expect(item).toContainText('Allergy record');
  await expect(item).not.toContainText(substance);
  await expect(item).not.toContainText(/criticality/i);
  await expectNoAxeViolations(page);

  await item.getByRole('button', { name: 'Release change' }).click();
  await expect(item.getByRole('alert')).toContainText('Write a comment');
  await item.getByLabel('Review comment').fill('Synthetic: confirmed with the nurse, the edit stands.');
  await item.getByRole('button', { name: 'Release change' }).click();
  await expect(queue.getByText('No restricted sync conflict waits for a decision.')).toBeVisible();
  await expectNoAxeViolations(page);

  // Central holds the nurse's change, sent in her name.
  await page.getByRole('button', { name: 'Sync now' }).click();
  await expect
    .poll(
      async () =>
        ((await (await fhirFetch(central, token, `AllergyIntolerance/${String(allergy.id)}`)).json()) as Json)
          .criticality,
      { timeout: 30_000, intervals: [1000] },
    )
    .toBe('low');

  await test.step('the emergency access is reviewed, then found in the history, filtered, and exported', async () => {
    const REVIEW = 'Synthetic: genuine emergency, confirmed with the charge nurse.';
    const queue = page.getByRole('region', { name: 'Break-glass review' });
    const access = queue.getByRole('article', { name: new RegExp(patient.name) });
    await access.getByLabel('Review comment').fill(REVIEW);
    await access.getByRole('button', { name: 'Mark reviewed' }).click();
    await expect(queue.getByText('No emergency access waits for review.')).toBeVisible();

    const history = page.getByRole('region', { name: 'Review history' });
    const row = history.getByRole('row', { name: new RegExp(patient.name) });
    await expect(row).toContainText(`Reviewed by ${officer.displayName}`);
    await expect(row).toContainText(REVIEW);
    await expect(row).toContainText(nurse.displayName);

    const filters = history.getByRole('form', { name: 'Filter review history' });
    await filters.getByLabel('Status').selectOption('awaiting');
    await filters.getByRole('button', { name: 'Show' }).click();
    await expect(history.getByText('No emergency access matches these filters.')).toBeVisible();
    await filters.getByLabel('Status').selectOption('reviewed');
    await filters.getByLabel('User').selectOption({ label: nurse.displayName });
    await filters.getByRole('button', { name: 'Show' }).click();
    await expect(row).toBeVisible();
    await expectNoAxeViolations(page);

    await history.getByRole('button', { name: 'Export CSV' }).click();
    const saved = history.getByRole('status').filter({ hasText: 'Exported 1 emergency access to' });
    await expect(saved).toBeVisible();
    const file = ((await saved.textContent()) ?? '').replace(/^Exported 1 emergency access to /, '').trim();
    const csv = fs.readFileSync(file, 'utf8');
    expect(csv).toContain(patient.name);
    expect(csv).toContain(REVIEW);
    expect(csv.trim().split('\r\n')).toHaveLength(2);
  });
});
