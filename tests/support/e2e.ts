/**
 * Shared steps of the end-to-end scenarios: axe on a screen (no serious or critical violation of
 * WCAG 2.x A/AA), and a sign-in at dev central's own page in the popup the web host opens.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { expect, type BrowserContext, type Page } from '@playwright/test';
import { workstationPolicyFor, type CentralOptions } from '../../dev/central/central.ts';
import { startWebHost, type WebHost } from '../../dev/web-host/server.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { bulkStoreResources } from '../../src-main/records/repository.ts';
import { eraseVault } from '../../src-main/vault/vault.ts';
import type { PolicyInput } from '../../src-shared/policy/schema.ts';
import { passwordOf, startTestCentral, type Central } from './central.ts';
import { keyStore } from './keychain.ts';
import { fillCache, leaveOutPatients, withVault, type ClinicCache } from './workstation.ts';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export async function expectNoSeriousAxeViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  expect(serious).toEqual([]);
}

/**
 * axe on the screen as it is: no violation of any impact (minor and moderate included) of WCAG 2.x
 * A/AA. The screens of the clinical workstation (issue 16) are held to this.
 */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const found = violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    targets: v.nodes.map((n) => n.target.join(' ')),
  }));
  expect(found).toEqual([]);
}

/** "Sign in" opens the provider's page in a popup; the person signs in there, as at any clinic system. */
export async function signInAtProvider(
  page: Page,
  context: BrowserContext,
  central: Central,
  username: string,
): Promise<void> {
  const popupOpened = context.waitForEvent('page');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const popup = await popupOpened;
  await popup.getByLabel('Username').fill(username);
  await popup.getByLabel('Password').fill(passwordOf(central, username));
  // The redirect's page closes the popup itself (oidc-loopback.ts): nothing is left for the person to close.
  const closed = popup.waitForEvent('close', { timeout: 15_000 });
  await popup.getByRole('button', { name: 'Sign in' }).click();
  await closed;
}

/**
 * A first sign-in of the day on the workstation: at the provider, then a new PIN, until the first
 * sync round has ended ("last synced"), so what follows meets a workstation at rest.
 */
export async function signInWithNewPin(
  page: Page,
  central: Central,
  username: string,
  pin: string,
  syncTimeoutMs = 30_000,
): Promise<void> {
  await signInAtProvider(page, page.context(), central, username);
  await page.getByLabel('New PIN').fill(pin);
  await page.getByLabel('Confirm PIN').fill(pin);
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await page
    .getByRole('status', { name: 'Sync status' })
    .filter({ hasText: 'last synced' })
    .waitFor({ timeout: syncTimeoutMs });
}

/**
 * Dev central with a synthetic clinic, and a workstation (web host, real core, encrypted cache
 * holding the same clinic) whose policy points at it: the stand the end-to-end scenarios and the
 * lock benchmark run against. `close()` stops both and crypto-erases the cache.
 */
export interface WorkstationStand {
  central: Central;
  cache: ClinicCache;
  host: WebHost;
  dataDir: string;
  close(): Promise<void>;
}

export async function startWorkstationStand(options: {
  clinic: { seed: number; patients: number };
  central?: CentralOptions;
  policy?: Omit<PolicyInput, 'central'>;
  shiftableTime?: boolean;
  extraResources?: (cache: ClinicCache, central: Central) => unknown[];
  leaveOut?: (cache: ClinicCache) => string[];
}): Promise<WorkstationStand> {
  const central = await startTestCentral({ ...options.clinic, ...options.central });
  try {
    const workstation = await startWorkstation(central, options);
    return {
      ...workstation,
      central,
      close: async () => {
        await workstation.close();
        await central.close();
      },
    };
  } catch (error) {
    await central.close();
    throw error;
  }
}

/** One more workstation (web host, real core, its own encrypted cache) on a running dev central. */
export async function startWorkstation(
  central: Central,
  options: {
    clinic: { seed: number; patients: number };
    policy?: Omit<PolicyInput, 'central'>;
    shiftableTime?: boolean;
    /** More for the cache before the workstation opens it (a benchmark's large chart). */
    extraResources?: (cache: ClinicCache, central: Central) => unknown[];
    /** Patients the cache does not hold (as a workstation scoped to a panel does not): only central has them. */
    leaveOut?: (cache: ClinicCache) => string[];
  },
): Promise<Omit<WorkstationStand, 'central'>> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-stand-'));
  const dataDir = path.join(root, 'cache');
  const close = async (host?: WebHost) => {
    await host?.close();
    await eraseVault({ dataDir, keyStore });
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    const cache = await fillCache(dataDir, options.clinic);
    const extra = options.extraResources;
    if (extra) await withVault(dataDir, (vault) => bulkStoreResources(vault.db, [extra(cache, central)]));
    await leaveOutPatients(dataDir, options.leaveOut?.(cache) ?? []);
    const host = await startWebHost({
      dataDir,
      logger: createMemoryLogger(),
      ...(options.shiftableTime ? { shiftableTime: true } : {}),
      policy: { ...options.policy, central: workstationPolicyFor(central) },
    });
    return { cache, host, dataDir, close: () => close(host) };
  } catch (error) {
    await close();
    throw error;
  }
}
