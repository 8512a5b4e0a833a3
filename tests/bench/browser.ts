import { chromium, type Browser } from '@playwright/test';

/** The system's Chromium as the benchmarks drive it (CHROMIUM_PATH to use another). */
export function launchBenchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
}
