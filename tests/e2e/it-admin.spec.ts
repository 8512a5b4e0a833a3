/**
 * Issue 16's IT screens in Chromium through the dev web host, against dev central: the IT admin's
 * home is the workstation's status in words (vault and cipher settings read back, keychain,
 * escrow, policy, backlogs, last contact, fleet, remote wipe; no patient data), and Settings is
 * each setting in words, grouped, with its description, its value in units and where it comes
 * from. axe: no violation of any impact; screenshots attached to the report.
 */
import { generateKeyPairSync } from 'node:crypto';
import { expect, test, type BrowserContext, type Page, type TestInfo } from '@playwright/test';
import { APP_VERSION } from '../../src-shared/app-info.ts';
import type { WebHost } from '../../dev/web-host/server.ts';
import type { Central } from '../support/central.ts';
import {
  expectNoAxeViolations,
  signInAtProvider,
  startWorkstationStand,
  type WorkstationStand,
} from '../support/e2e.ts';
import type { ClinicCache } from '../support/workstation.ts';

const CLINIC = { seed: 53, patients: 15 };
const PIN = '573920';
const recovery = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

let stand: WorkstationStand;
let central: Central;
let cache: ClinicCache;
let host: WebHost;

test.use({ locale: 'en-US', timezoneId: 'UTC' });

test.beforeAll(async () => {
  stand = await startWorkstationStand({
    clinic: CLINIC,
    policy: {
      lock: { idleSeconds: 900, warningSeconds: 30 },
      cache: { maxOfflineDays: 10 },
      vault: { recoveryPublicKeyPem: recovery },
    },
  });
  ({ central, cache, host } = stand);
});

test.afterAll(async () => {
  await stand?.close();
});

// The core's session outlives a page: each scenario starts signed out, whatever the one before left.
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

const itAdmin = () => central.users.find((u) => u.role === 'itAdmin')!.username;

async function signInAsItAdmin(page: Page, context: BrowserContext): Promise<void> {
  await signInAtProvider(page, context, central, itAdmin());
  const setPin = page.getByRole('heading', { name: 'Set your PIN' });
  const status = page.getByRole('heading', { level: 1, name: 'Workstation status' });
  await expect(setPin.or(status)).toBeVisible();
  if (await setPin.isVisible()) {
    await page.getByLabel('New PIN').fill(PIN);
    await page.getByLabel('Confirm PIN').fill(PIN);
    await page.getByRole('button', { name: 'Set PIN' }).click();
  }
  await expect(status).toBeVisible();
}

test("the IT admin's home is the workstation status, in words, with no patient data", async ({
  page,
  context,
}, testInfo) => {
  await signInAsItAdmin(page, context);
  const panel = page.getByRole('region', { name: 'Workstation status' });
  const fact = (group: string, term: string) =>
    panel
      .getByRole('region', { name: group })
      .locator('.facts__row')
      .filter({ has: page.getByText(term, { exact: true }) });

  await expect(fact('This workstation', 'App version')).toContainText(APP_VERSION);
  await expect(fact('This workstation', 'Workstation id')).toContainText(/ws-/);
  await expect(fact('Encrypted cache', 'Cache')).toContainText(/Open \(schema version \d+\)/);
  await expect(fact('Encrypted cache', 'Encryption')).toContainText('sqlcipher 4 (HMAC-SHA512');
  await expect(fact('Encrypted cache', 'Encryption')).toContainText('whole file encrypted');
  await expect(fact('Encrypted cache', 'Keychain')).toContainText('Reachable; holds the cache key');
  await expect(fact('Encrypted cache', 'Key escrow')).toContainText('Present and verified');
  // The stand's policy is the web host's own, not one from the OS's managed location.
  await expect(fact('Policy', 'Source')).toContainText('the development web host');
  await expect(fact('Policy', 'Managed')).toContainText('No');
  await expect(fact('Sync and audit', 'Changes held')).toHaveText(/None/);
  await expect(fact('Sync and audit', 'Audit entries')).toContainText(/\d+ recorded, \d+ not yet sent to central/);
  await expect(fact('Central', 'Central services')).toContainText('Configured in policy');
  await expect(fact('Central', 'Offline expiry')).toContainText('of the 10 days allowed');
  await expect(fact('Central', 'Remote wipe')).toBeVisible();
  await expect(fact('Central', 'Fleet status')).toBeVisible();
  // No problem is flagged on a healthy workstation.
  await expect(panel.getByText('Needs IT:')).toHaveCount(0);

  // Nothing of any patient on the screen.
  const text = await page.locator('body').innerText();
  for (const [id, summary] of cache.summaries) {
    expect(text).not.toContain(id);
    expect(text).not.toContain(summary.name);
  }
  await expect(page.getByRole('searchbox')).toHaveCount(0);

  await page.getByRole('button', { name: 'Refresh status' }).click();
  await expect(fact('Encrypted cache', 'Keychain')).toContainText('Reachable; holds the cache key');

  await expectNoAxeViolations(page);
  await screenshot(page, testInfo, 'it-status');
});

test('Settings: each setting in words, grouped, with its description, value in units and where it comes from', async ({
  page,
  context,
}, testInfo) => {
  await signInAsItAdmin(page, context);
  await page.getByRole('button', { name: 'Settings' }).click();
  const panel = page.getByRole('region', { name: 'Settings' });
  await expect(panel.getByRole('heading', { level: 1, name: 'Settings' })).toBeFocused();
  for (const group of ['Lock', 'Sign-in', 'Break-glass', 'Sync and central', 'Cache', 'Audit', 'Alerts'])
    await expect(panel.getByRole('heading', { level: 2, name: group })).toBeVisible();
  const row = (group: string, label: string) =>
    panel
      .getByRole('region', { name: group })
      .getByRole('row')
      .filter({ has: page.getByText(label, { exact: true }) });

  // Changed by this workstation's policy: said as such, in units.
  await expect(row('Lock', 'Lock after idle')).toContainText('15 minutes');
  await expect(row('Lock', 'Lock after idle')).toContainText('Set by policy');
  await expect(row('Lock', 'Lock after idle')).toContainText('Idle time (OS-wide where the OS reports it)');
  await expect(row('Cache', 'Longest time without central')).toContainText('10 days');
  await expect(row('Encryption and escrow', 'IT recovery key (escrow)')).toContainText('Set');
  // Left out of the policy: the built-in default, in words.
  await expect(row('Sign-in', 'Shortest PIN')).toContainText('6 characters');
  await expect(row('Sign-in', 'Shortest PIN')).toContainText('Built-in default');
  await expect(row('Audit', 'Keep shipped entries for')).toContainText('2,190 days (6 years)');
  await expect(row('Sync and central', 'Largest answer read')).toContainText('64 MiB');
  await expect(row('Alerts', 'Alert on a shared family name')).toContainText('On');
  // The web host's policy is not a managed one: nothing claims to be locked by it.
  await expect(panel).toContainText('(not a managed policy)');
  await expect(panel.getByText(/locked by managed policy/)).toHaveCount(0);
  // No JSON on screen, and the recovery key is never shown.
  await expect(panel).not.toContainText('BEGIN PUBLIC KEY');
  await expect(panel.locator('td.setting-value').filter({ hasText: /^[[{]/ })).toHaveCount(0);

  await expectNoAxeViolations(page);
  await screenshot(page, testInfo, 'settings');

  await page.getByRole('button', { name: 'Close settings' }).click();
  await expect(page.getByRole('button', { name: 'Settings' })).toBeFocused();
});

test('the web host survives a reload: signed in comes back signed in, locked comes back locked', async ({
  page,
  context,
}, testInfo) => {
  await signInAsItAdmin(page, context);
  const status = page.getByRole('heading', { level: 1, name: 'Workstation status' });
  await page.reload();
  await expect(status).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Cannot reach the workstation service' })).toHaveCount(0);
  expect(page.url()).not.toContain('secret');

  await page.getByRole('button', { name: 'Lock now' }).click();
  const locked = page.getByRole('region', { name: 'Workstation locked' });
  await expect(locked).toBeVisible();
  await page.reload();
  await expect(locked).toBeVisible();
  await expect(page.getByRole('heading', { level: 1, name: 'Workstation status' })).toHaveCount(0);
  await expectNoAxeViolations(page);
  await screenshot(page, testInfo, 'lock-screen');
  await page.getByLabel('PIN', { exact: true }).fill(PIN);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await expect(status).toBeVisible();
});
