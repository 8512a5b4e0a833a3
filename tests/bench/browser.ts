import { chromium, type Browser } from '@playwright/test';

/** The system's Chromium as the benchmarks drive it (CHROMIUM_PATH to use another). */
export function launchBenchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu'],
  });
}

/**
 * A script for page.evaluate: `(args) => Promise<ms>`. It clicks the button `button` finds, and
 * resolves with the ms from the click to the first animation frame after `complete` holds (-1
 * after 10 s). Both are JS expressions over `args` and `region(label)`, the chart section named
 * `label`. A string, not a function: tsx would wrap a function's inner names in a helper the page
 * does not have.
 */
export function timeToRendered(params: string, button: string, complete: string): string {
  return `(${params}) => new Promise((resolve) => {
  const button = ${button};
  const region = (label) => [...document.querySelectorAll('section[aria-labelledby]')].find((el) => document.getElementById(el.getAttribute('aria-labelledby'))?.textContent === label);
  const complete = () => ${complete};
  const started = performance.now();
  const observer = new MutationObserver(() => {
    if (!complete()) return;
    observer.disconnect();
    requestAnimationFrame(() => resolve(performance.now() - started));
  });
  observer.observe(document.body, { childList: true, subtree: true });
  setTimeout(() => { observer.disconnect(); resolve(-1); }, 10000);
  button.click();
})`;
}
