/**
 * Dev central's identity provider over real HTTP: a real authorization code + PKCE sign-in as a
 * seeded user (the login form filled like a browser would), the claims the workstation relies
 * on, refresh with rotation, and access termination: a disabled user's refresh and sign-in fail.
 */
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clinicStaff } from '../../dev/synthetic/clinic.ts';
import { Role } from '../../src-shared/access/roles.ts';
import { discover, driveLogin, fhirFetch, passwordOf, signIn, startTestCentral } from '../support/central.ts';
import type { Central } from '../support/central.ts';

const SEED = 11;
const PATIENTS = 10;
let central: Central;

beforeAll(async () => {
  central = await startTestCentral({ seed: SEED, patients: PATIENTS });
});

afterAll(async () => {
  await central?.close();
});

async function authorizationUrl(params: Record<string, string>): Promise<URL> {
  const config = await discover(central);
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: 'http://127.0.0.1:50000/callback',
    scope: 'openid',
    state: 's',
    ...params,
  });
}

describe('discovery and client', () => {
  it('advertises code + PKCE S256 and refresh tokens', async () => {
    const config = await discover(central);
    const metadata = config.serverMetadata();
    expect(metadata.issuer).toBe(central.issuer);
    expect(metadata.code_challenge_methods_supported).toEqual(['S256']);
    expect(metadata.grant_types_supported).toEqual(expect.arrayContaining(['authorization_code', 'refresh_token']));
  });

  it('seeds one account per staff member with the practitioner ids of the FHIR data', () => {
    const staff = clinicStaff({ seed: SEED, patients: PATIENTS });
    expect(central.users.map((u) => [u.username, u.fhirUser, u.role])).toEqual(
      staff.map((s) => [s.username, `Practitioner/${s.practitionerId}`, s.role]),
    );
    expect(new Set(central.users.map((u) => u.role))).toEqual(new Set(Role.options));
  });

  it('refuses an authorization request without PKCE or with plain PKCE', async () => {
    for (const params of [
      {} as Record<string, string>,
      { code_challenge: 'x'.repeat(43), code_challenge_method: 'plain' },
    ]) {
      const response = await fetch(await authorizationUrl(params), { redirect: 'manual' });
      const location = new URL(response.headers.get('location') ?? 'http://none/');
      expect(location.searchParams.get('error')).toBe('invalid_request');
      expect(location.searchParams.get('code')).toBeNull();
    }
  });

  it('allows loopback redirects on any port, and no other host', async () => {
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const ok = await fetch(
      await authorizationUrl({
        code_challenge: challenge,
        code_challenge_method: 'S256',
        redirect_uri: 'http://127.0.0.1:61234/callback',
      }),
      { redirect: 'manual' },
    );
    expect(ok.status).toBe(303);
    expect(ok.headers.get('location')).toMatch(/^\/interaction\//);
    const evil = await fetch(
      await authorizationUrl({
        code_challenge: challenge,
        code_challenge_method: 'S256',
        redirect_uri: 'http://evil.example:61234/callback',
      }),
      { redirect: 'manual' },
    );
    expect(evil.status).toBe(400);
    expect(evil.headers.get('location')).toBeNull();
  });

  it('serves an accessible login form', async () => {
    const challenge = await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier());
    const start = await fetch(await authorizationUrl({ code_challenge: challenge, code_challenge_method: 'S256' }), {
      redirect: 'manual',
    });
    const cookie = start.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const page = await fetch(new URL(start.headers.get('location') ?? '', central.issuer), { headers: { cookie } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<html lang="en">');
    expect(html).toMatch(/<label for="username">Username<\/label>\s*<input id="username"/);
    expect(html).toMatch(/<label for="password">Password<\/label>\s*<input id="password"[^>]*type="password"/);
    expect(html).toContain('<button type="submit">Sign in</button>');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
  });
});

describe('164.312(d) sign-in, tokens and refresh', () => {
  it('signs in with PKCE and issues tokens the FHIR API accepts, with roles and fhirUser', async () => {
    const user = central.users.find((u) => u.role === 'physician')!;
    const session = await signIn(central, user.username);
    expect(session.claims).toMatchObject({
      sub: user.username,
      roles: ['physician'],
      fhirUser: user.fhirUser,
      iss: central.issuer,
      aud: central.clientId,
    });

    const { payload, protectedHeader } = await jwtVerify(
      session.accessToken,
      createRemoteJWKSet(new URL(`${central.issuer}/jwks`)),
      {
        issuer: central.issuer,
        audience: central.fhirBaseUrl,
      },
    );
    expect(protectedHeader.typ).toBe('at+jwt');
    expect(payload).toMatchObject({
      sub: user.username,
      roles: ['physician'],
      fhirUser: user.fhirUser,
      client_id: central.clientId,
    });
    expect(payload.exp! - payload.iat!).toBe(300);

    const practitioner = await fhirFetch(central, session.accessToken, user.fhirUser);
    expect(practitioner.status).toBe(200);
  });

  it('puts each role in the roles claim', async () => {
    for (const role of Role.options) {
      const user = central.users.find((u) => u.role === role)!;
      const session = await signIn(central, user.username);
      expect(decodeJwt(session.accessToken).roles).toEqual([role]);
      expect(session.claims.roles).toEqual([role]);
    }
  });

  it('refuses a wrong password on the form', async () => {
    await expect(signIn(central, 'nurse1', 'wrong-password')).rejects.toThrow(/HTTP 401/);
  });

  it('refreshes, rotating the refresh token (the old one stops working)', async () => {
    const session = await signIn(central, 'nurse2');
    const refreshed = await oidc.refreshTokenGrant(session.config, session.refreshToken);
    expect(refreshed.access_token).not.toBe(session.accessToken);
    expect(refreshed.refresh_token).toBeDefined();
    expect(refreshed.refresh_token).not.toBe(session.refreshToken);
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ aud: central.fhirBaseUrl, roles: ['nurse'] });
    expect((await fhirFetch(central, refreshed.access_token, 'Patient?_count=1')).status).toBe(200);
    await expect(oidc.refreshTokenGrant(session.config, session.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
  });
});

describe('164.312(d) access termination', () => {
  it('refuses the refresh and new sign-ins of a disabled user, through the function or the admin endpoint', async () => {
    const username = 'frontdesk1';
    const session = await signIn(central, username);
    central.disableUser(username);
    await expect(oidc.refreshTokenGrant(session.config, session.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    await expect(signIn(central, username)).rejects.toThrow(/HTTP 401/);

    central.enableUser(username);
    const again = await signIn(central, username);

    const wrongSecret = await fetch(`${central.issuer}/admin/users/${username}/disable`, {
      method: 'POST',
      headers: { authorization: 'Bearer nope' },
    });
    expect(wrongSecret.status).toBe(401);
    const viaAdmin = await fetch(`${central.issuer}/admin/users/${username}/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${central.adminSecret}` },
    });
    expect(viaAdmin.status).toBe(204);
    await expect(oidc.refreshTokenGrant(again.config, again.refreshToken)).rejects.toMatchObject({
      error: 'invalid_grant',
    });
    const unknown = await fetch(`${central.issuer}/admin/users/nobody/disable`, {
      method: 'POST',
      headers: { authorization: `Bearer ${central.adminSecret}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('keeps a browser session from signing a disabled user in again without the form', async () => {
    const username = 'privacy1';
    const verifier = oidc.randomPKCECodeVerifier();
    const url = await authorizationUrl({
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const callback = await driveLogin(url, username, passwordOf(central, username), 'http://127.0.0.1:50000/callback');
    expect(callback.searchParams.get('code')).toBeTruthy();
    central.disableUser(username);
    await expect(
      driveLogin(url, username, passwordOf(central, username), 'http://127.0.0.1:50000/callback'),
    ).rejects.toThrow(/HTTP 401/);
  });
});

describe('configuration', () => {
  it('names the roles claim as configured', async () => {
    const other = await startTestCentral({ patients: 1, rolesClaim: 'groups' });
    try {
      const session = await signIn(other, 'itadmin1');
      expect(decodeJwt(session.accessToken)).toMatchObject({ groups: ['itAdmin'] });
      expect(decodeJwt(session.accessToken).roles).toBeUndefined();
      expect(session.claims.groups).toEqual(['itAdmin']);
    } finally {
      await other.close();
    }
  });
});
