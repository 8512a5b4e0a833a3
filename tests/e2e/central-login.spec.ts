/**
 * Dev central's sign-in page in real Chromium: a person (here Playwright) signs in through the
 * identity provider's form with a seeded user, the redirect lands on a loopback receiver
 * (RFC 8252, as the workstation will receive it), and the code is exchanged with PKCE for tokens
 * that carry the user's role and practitioner.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expectNoSeriousAxeViolations } from '../support/e2e.ts';
import { expect, test } from '@playwright/test';
import * as oidc from 'openid-client';
import { discover, passwordOf, startTestCentral, type Central } from '../support/central.ts';

let central: Central;
test.beforeAll(async () => {
  central = await startTestCentral();
});
test.afterAll(async () => {
  await central?.close();
});

/** The app's side of RFC 8252: a one-shot HTTP receiver on a free loopback port. */
async function loopbackReceiver(): Promise<{ redirectUri: string; callback: Promise<URL>; close(): void }> {
  let deliver!: (url: URL) => void;
  const callback = new Promise<URL>((resolve) => (deliver = resolve));
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('Signed in. You can close this window.');
    deliver(new URL(req.url ?? '/', `http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return { redirectUri: `http://127.0.0.1:${port}/callback`, callback, close: () => server.close() };
}

test('a seeded physician signs in through the login form; PKCE code exchange yields their role', async ({ page }) => {
  const receiver = await loopbackReceiver();
  try {
    const config = await discover(central);
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: receiver.redirectUri,
      scope: `openid profile fhirUser offline_access ${central.apiScope}`,
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      resource: central.fhirBaseUrl,
    });

    await page.goto(authorizationUrl.href);
    await expectNoSeriousAxeViolations(page);
    await page.getByLabel('Username').fill('physician1');
    await page.getByLabel('Password').fill(passwordOf(central, 'physician1'));
    await page.getByRole('button', { name: 'Sign in' }).click();

    const callback = await receiver.callback;
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    const claims = tokens.claims() as Record<string, unknown>;
    expect(claims[central.rolesClaim]).toEqual(['physician']);
    expect(claims.fhirUser).toMatch(/^Practitioner\/[A-Za-z0-9\-.]+$/);
    expect(tokens.refresh_token).toBeTruthy();

    const patients = await fetch(`${central.fhirBaseUrl}/Patient?_count=1`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(patients.status).toBe(200);
  } finally {
    receiver.close();
  }
});

test('a wrong password is refused on the form, and no code is issued', async ({ page }) => {
  const receiver = await loopbackReceiver();
  try {
    const config = await discover(central);
    const authorizationUrl = oidc.buildAuthorizationUrl(config, {
      redirect_uri: receiver.redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    });
    await page.goto(authorizationUrl.href);
    await page.getByLabel('Username').fill('nurse1');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.getByLabel('Password')).toBeVisible();
    await expect(page.getByRole('alert')).toBeVisible();
    const landed = await Promise.race([
      receiver.callback.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), 500)),
    ]);
    expect(landed).toBe(false);
  } finally {
    receiver.close();
  }
});
