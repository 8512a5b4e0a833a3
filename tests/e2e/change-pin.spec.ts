/**
 * Issue 17's "PIN replaced without the current PIN", as a clinician meets it in Chromium through
 * the dev web host: "Change PIN" in the header asks for the current PIN; a wrong one is refused
 * (and counts toward the lockout), the right one changes it, and the lock screen then takes only
 * the new PIN. axe on the panel; focus goes back to the header button.
 */
import { expect, test } from '@playwright/test';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';

const OLD_PIN = '530917';
const NEW_PIN = '864215';

let stand: WorkstationStand;

test.beforeAll(async () => {
  stand = await startWorkstationStand({
    clinic: { seed: 43, patients: 10 },
    policy: { lock: { idleSeconds: 3600, warningSeconds: 30 } },
  });
});

test.afterAll(async () => {
  await stand?.close();
});

test('164.312(d): Change PIN needs the current PIN; the lock screen then takes only the new one', async ({
  page,
  context,
}) => {
  const nurse = stand.central.users.find((u) => u.role === 'nurse')!;
  await page.goto(stand.host.url);
  await signInAtProvider(page, context, stand.central, nurse.username);
  await page.getByLabel('New PIN').fill(OLD_PIN);
  await page.getByLabel('Confirm PIN').fill(OLD_PIN);
  await page.getByRole('button', { name: 'Set PIN' }).click();

  const header = page.getByRole('region', { name: 'Session' });
  await header.getByRole('button', { name: 'Change PIN' }).click();
  const panel = page.getByRole('region', { name: 'Change PIN' });
  await expect(panel.getByRole('heading', { name: 'Change PIN' })).toBeFocused();
  const form = panel.getByRole('form', { name: 'Change PIN' });
  await form.getByLabel('Current PIN').fill('284619');
  await form.getByLabel('New PIN', { exact: true }).fill(NEW_PIN);
  await form.getByLabel('Confirm new PIN').fill(NEW_PIN);
  await form.getByRole('button', { name: 'Change PIN' }).click();
  await expect(panel.getByRole('alert')).toContainText('attempts left');
  await expectNoAxeViolations(page);

  await form.getByLabel('Current PIN').fill(OLD_PIN);
  await form.getByLabel('New PIN', { exact: true }).fill(NEW_PIN);
  await form.getByLabel('Confirm new PIN').fill(NEW_PIN);
  await form.getByRole('button', { name: 'Change PIN' }).click();
  await expect(panel.getByRole('status')).toContainText('Your PIN was changed');
  await expect(form.getByLabel('Current PIN')).toHaveValue('');
  await expectNoAxeViolations(page);
  await panel.getByRole('button', { name: 'Close change PIN' }).click();
  await expect(header.getByRole('button', { name: 'Change PIN' })).toBeFocused();

  // The old PIN no longer unlocks; the new one does.
  await header.getByRole('button', { name: 'Lock now' }).click();
  const lock = page.getByRole('region', { name: 'Workstation locked' });
  await lock.getByLabel('PIN').fill(OLD_PIN);
  await lock.getByRole('button', { name: 'Unlock' }).click();
  await expect(lock.getByRole('alert')).toBeVisible();
  await lock.getByLabel('PIN').fill(NEW_PIN);
  await lock.getByRole('button', { name: 'Unlock' }).click();
  await expect(header.getByRole('button', { name: 'Change PIN' })).toBeVisible();
});
