/**
 * The built renderer in Chromium, through the development web host (started as its own process,
 * as a developer would), against a real core: real router, real keychain, real SQLCipher cache.
 * Selectors are the accessible names of PRODUCT.md; axe checks WCAG 2.x A/AA on every screen.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { APP_NAME, APP_VERSION } from '../../src-shared/app-info.ts';
import { vaultErrorGuide } from '../../src-main/vault/errors.ts';
import { keychainAccounts } from '../../src-main/vault/key-material.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { eraseVault } from '../../src-main/vault/vault.ts';
import { markWiped } from '../../src-main/workstation-keys.ts';
import { spawnTs } from '../support/child.ts';
import { expectNoAxeViolations } from '../support/e2e.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const keyStore = createKeytarKeyStore();

interface RunningHost {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** `node --import tsx dev/web-host/main.ts --data-dir <dir> --port 0`, and its one JSON line. */
async function startHost(dataDir: string): Promise<RunningHost> {
  const child: ChildProcess = spawnTs('dev/web-host/main.ts', ['--data-dir', dataDir, '--port', '0']);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const line = await new Promise<string>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => reject(new Error(`the web host printed nothing in time: ${stderr}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const end = stdout.indexOf('\n');
      if (end >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, end));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the web host exited (${code}) before printing its URL: ${stderr}`));
    });
  });
  const { url, port, dataDir: printed } = JSON.parse(line) as { url: string; port: number; dataDir: string };
  expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/#secret=[A-Za-z0-9_-]{43}$`));
  // The data folder it runs on, absolute, so a developer knows where the cache is.
  expect(printed).toBe(path.resolve(dataDir));
  return {
    url,
    port,
    // SIGTERM: the host closes the core (and the vault) before it exits.
    stop: () =>
      new Promise<void>((resolve, reject) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`the web host did not stop on SIGTERM: ${stderr}`));
        }, 10_000);
        child.once('exit', (code) => {
          clearTimeout(timer);
          if (code === 0) resolve();
          else reject(new Error(`the web host exited with ${code}: ${stderr}`));
        });
        child.kill('SIGTERM');
      }),
  };
}

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const file = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/** WCAG 1.4.10 reflow: no horizontal scrolling at 320 CSS px (1280 px at 400% zoom). */
async function expectReflowAt(page: Page, width: number): Promise<void> {
  await page.setViewportSize({ width, height: 640 });
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow).toBeLessThanOrEqual(0);
}

let root: string;
let dataDir: string;

test.beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-e2e-'));
  dataDir = path.join(root, 'cache');
});

test.afterEach(async () => {
  await eraseVault({ dataDir, keyStore });
  fs.rmSync(root, { recursive: true, force: true });
});

test('sign-in screen: name and version from the core; without an identity provider in policy it says to contact IT', async ({
  page,
}, testInfo) => {
  const host = await startHost(dataDir);
  try {
    await page.goto(host.url);

    // Name and version as the core's workstation.status returned them.
    await expect(page.getByText(APP_NAME, { exact: true })).toBeVisible();
    await expect(page.getByText(`Version ${APP_VERSION}`)).toBeVisible();
    await expect(page).toHaveTitle(APP_NAME);
    // The bridge took the secret out of the address bar.
    expect(page.url()).toBe(`http://127.0.0.1:${host.port}/`);

    await expect(page.getByRole('main')).toBeVisible();
    const signIn = page.getByRole('region', { name: 'Sign in' });
    await expect(signIn).toContainText("clinic's identity provider");
    // This host was started without a policy: nowhere to sign in, and it says so.
    await expect(signIn).toContainText('no identity provider configured');
    await expect(page.getByRole('button', { name: 'Sign in', exact: true })).toHaveCount(0);
    // No patient data can be asked for before a sign-in: there is no search at all.
    await expect(page.getByRole('searchbox')).toHaveCount(0);

    // Keyboard only: the PIN sign-in's fields are reachable, and a wrong PIN is refused by the core.
    await page.getByLabel('Username').fill('nobody');
    await page.getByLabel('PIN', { exact: true }).fill('482913');
    await page.keyboard.press('Enter');
    await expect(page.getByRole('alert')).toContainText('The username or PIN is not right.');

    await expectNoAxeViolations(page);
    await screenshot(page, testInfo, 'sign-in-screen');

    await page.setViewportSize({ width: 640, height: 400 });
    await screenshot(page, testInfo, 'sign-in-screen-200-percent');
    await expectReflowAt(page, 320);

    // A reload reconnects (the tab keeps the secret), and the secret stays out of the address bar.
    await page.reload();
    await expect(page.getByRole('region', { name: 'Sign in' })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Cannot reach the workstation service' })).toHaveCount(0);
    expect(page.url()).toBe(`http://127.0.0.1:${host.port}/`);
  } finally {
    await host.stop();
  }
});

test('window.clinic is the contract and nothing else', async ({ page }) => {
  const host = await startHost(dataDir);
  try {
    await page.goto(host.url);
    await expect(page.getByText(APP_NAME, { exact: true })).toBeVisible();
    const shape = await page.evaluate(async () => {
      const descriptor = Object.getOwnPropertyDescriptor(window, 'clinic');
      const clinic = window.clinic;
      const original = clinic.invoke;
      try {
        (clinic as unknown as Record<string, unknown>).invoke = () => null;
      } catch {
        // strict-mode code would throw here; either way the bridge must keep its own function
      }
      const assigned = clinic.invoke !== original;
      let subscribeUnknown = 'no error';
      try {
        clinic.on('no.such.event' as never, () => undefined);
      } catch (error) {
        subscribeUnknown = (error as Error).name;
      }
      return {
        keys: Object.keys(clinic).sort(),
        frozen: Object.isFrozen(clinic),
        writable: descriptor?.writable,
        configurable: descriptor?.configurable,
        assigned,
        leakedConfig: '__CLINIC_WEB_HOST__' in window,
        status: await clinic.invoke('workstation.status', {}),
        unknown: await clinic.invoke('no.such.channel' as never, {} as never),
        subscribeUnknown,
      };
    });
    expect(shape).toMatchObject({
      keys: ['invoke', 'on'],
      frozen: true,
      writable: false,
      configurable: false,
      assigned: false,
      leakedConfig: false,
      status: { ok: true, data: { appName: APP_NAME, appVersion: APP_VERSION, vault: { state: 'ready' } } },
      unknown: { ok: false, error: { code: 'INVALID' } },
      subscribeUnknown: 'TypeError',
    });
  } finally {
    await host.stop();
  }
});

test('IT error screen: cache present, key deleted from the keychain (KEY_MISSING)', async ({ page }, testInfo) => {
  // Create the cache as a workstation would, then lose its key.
  const first = await startHost(dataDir);
  await first.stop();
  expect(await keyStore.delete(keychainAccounts(path.resolve(dataDir)).current)).toBe(true);

  const host = await startHost(dataDir);
  try {
    await page.goto(host.url);
    const region = page.getByRole('region', { name: 'Encrypted cache unavailable' });
    await expect(region).toBeVisible();
    await expect(region.getByRole('heading', { level: 1, name: 'Encrypted cache unavailable' })).toBeVisible();
    await expect(region).toContainText('KEY_MISSING');
    // The guide marks commands with backticks; the screen shows them as code.
    await expect(region).toContainText(vaultErrorGuide.KEY_MISSING.title.replaceAll('`', ''));
    await expect(region).toContainText(vaultErrorGuide.KEY_MISSING.action.replaceAll('`', ''));

    // Fail closed: nothing to search, nothing to sign in to.
    await expect(page.getByRole('searchbox')).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Sign in' })).toHaveCount(0);
    await expect(page.getByRole('button')).toHaveCount(0);

    await expectNoAxeViolations(page);
    await screenshot(page, testInfo, 'it-error-screen');
    await page.setViewportSize({ width: 640, height: 400 });
    await screenshot(page, testInfo, 'it-error-screen-200-percent');
    await expectReflowAt(page, 320);
  } finally {
    await host.stop();
  }
});

test('a workstation wiped by IT shows so, finishes an interrupted erase and never starts afresh', async ({
  page,
}, testInfo) => {
  // A cache as a workstation leaves it, then a remote wipe that got as far as its marker (the
  // marker is written before the keys go, remote-wipe.ts): the next start finishes the erase.
  const first = await startHost(dataDir);
  await first.stop();
  markWiped(dataDir, { wipedAt: '2026-12-03T18:00:00.000Z', workstationId: 'ws-e2e', taskId: 'wipe-e2e' });

  const host = await startHost(dataDir);
  try {
    await page.goto(host.url);
    const region = page.getByRole('region', { name: 'This workstation was wiped by IT' });
    await expect(region).toBeVisible();
    await expect(region).toContainText('WIPED');
    await expect(region).toContainText(vaultErrorGuide.WIPED.action.replaceAll('`', ''));
    await expect(page.getByRole('searchbox')).toHaveCount(0);
    await expect(page.getByRole('region', { name: 'Sign in' })).toHaveCount(0);
    await expect(page.getByRole('button')).toHaveCount(0);
    expect(await keyStore.get(keychainAccounts(path.resolve(dataDir)).current)).toBeNull();
    expect(fs.existsSync(path.join(dataDir, 'cache.db'))).toBe(false);
    await expectNoAxeViolations(page);
    await screenshot(page, testInfo, 'wiped-by-it');
  } finally {
    await host.stop();
  }
  // Restarting shows the same screen: no new cache was created.
  expect(fs.existsSync(path.join(dataDir, 'cache.db'))).toBe(false);
});

test('without the secret the page cannot reach the core, and says so', async ({ page }, testInfo) => {
  const host = await startHost(dataDir);
  try {
    // The printed URL without its fragment: the bridge has no secret to offer.
    await page.goto(`http://127.0.0.1:${host.port}/`);
    await expect(page.getByRole('heading', { level: 1, name: 'Cannot reach the workstation service' })).toBeVisible();
    await expect(page.getByRole('searchbox')).toHaveCount(0);
    await expect(page.getByRole('button', { name: 'Try again' })).toBeVisible();
    await expectNoAxeViolations(page);
    await screenshot(page, testInfo, 'core-unreachable');
  } finally {
    await host.stop();
  }
});

test('the production renderer bundle knows nothing of the web host', () => {
  const outDir = path.join(ROOT, 'out/renderer');
  const files = fs
    .readdirSync(outDir, { recursive: true, encoding: 'utf8' })
    .filter((name) => /\.(html|js|css)$/.test(name));
  expect(files.some((name) => name.endsWith('.js'))).toBe(true);
  for (const name of files) {
    const text = fs.readFileSync(path.join(outDir, name), 'utf8');
    for (const needle of [
      '__web-host',
      '__CLINIC_WEB_HOST__',
      'clinic-secret',
      'WebSocket',
      '#secret',
      'localStorage',
      'sessionStorage',
      'indexedDB',
    ]) {
      expect(text.includes(needle), `${name} contains ${needle}`).toBe(false);
    }
  }
});
