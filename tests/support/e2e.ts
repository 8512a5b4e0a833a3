/**
 * Shared steps of the end-to-end scenarios: axe on a screen (no serious or critical violation of
 * WCAG 2.x A/AA), and a sign-in at dev central's own page in the popup the web host opens.
 */
import AxeBuilder from '@axe-core/playwright';
import { expect, type BrowserContext, type Page } from '@playwright/test';
import { passwordOf, type Central } from './central.ts';

const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

export async function expectNoSeriousAxeViolations(page: Page): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  const serious = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(' ')) }));
  expect(serious).toEqual([]);
}

/** "Sign in" opens the provider's page in a popup; the person signs in there, as at any clinic system. */
export async function signInAtProvider(page: Page, context: BrowserContext, central: Central, username: string): Promise<void> {
  const popupOpened = context.waitForEvent('page');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  const popup = await popupOpened;
  await popup.getByLabel('Username').fill(username);
  await popup.getByLabel('Password').fill(passwordOf(central, username));
  await popup.getByRole('button', { name: 'Sign in' }).click();
  await expect(popup.getByText('Sign-in received')).toBeVisible();
  await popup.close();
}
