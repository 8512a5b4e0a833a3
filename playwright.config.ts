/**
 * End-to-end tests: the built renderer (out/renderer, `npx electron-vite build`) in Debian's
 * Chromium, through the development web host, against a real core. Needs a keychain: run inside
 * `bash scripts/with-keyring.sh npx playwright test`. Never `npx playwright install`: browsers are
 * not downloaded on these machines.
 */
import { defineConfig } from '@playwright/test';

export default defineConfig({
  testDir: 'tests/e2e',
  outputDir: 'test-results',
  workers: 1,
  fullyParallel: false,
  retries: 0,
  // The JSON report is the last run's automated evidence for `ws compliance report`.
  reporter: [['list'], ['json', { outputFile: 'test-reports/playwright.json' }]],
  forbidOnly: Boolean(process.env.CI),
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
    viewport: { width: 1280, height: 800 },
    serviceWorkers: 'block',
    trace: 'off',
    video: 'off',
    screenshot: 'only-on-failure',
  },
});
