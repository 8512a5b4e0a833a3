/**
 * OIDC sign-in against dev central over real HTTP: authorization code + PKCE through a loopback
 * receiver, the login form driven like a browser (tests/support/central.ts), real tokens, a real
 * vault (SQLCipher + the OS keychain) for the refresh token, and access termination.
 */
import { decodeJwt } from 'jose';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Policy } from '../../src-shared/policy/schema.ts';
import type { Role } from '../../src-shared/access/roles.ts';
import { discoverProvider, refresh, signIn } from '../../src-main/identity/oidc.ts';
import type { SignInOptions } from '../../src-main/identity/oidc.ts';
import type { AuthBrowser } from '../../src-main/ports.ts';
import { OidcError } from '../../src-main/identity/oidc-errors.ts';
import { pinStatus, recordFullSignIn, setPin } from '../../src-main/identity/pin-store.ts';
import {
  deleteRefreshToken,
  loadRefreshToken,
  refreshStoredSession,
  storeRefreshToken,
} from '../../src-main/identity/tokens-store.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import type { Clock } from '../../src-main/ports.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { driveLogin, fhirFetch, passwordOf, startTestCentral } from '../support/central.ts';
import type { Central } from '../support/central.ts';
import { keyStore } from '../support/keychain.ts';
import { filesContaining } from '../support/temp.ts';
import { openTempVault, type TempVault } from '../support/vault-fixture.ts';
import { refuses } from '../support/net.ts';

const identityRoles = {
  physician: 'physician',
  nurse: 'nurse',
  frontDesk: 'frontDesk',
  privacyOfficer: 'privacyOfficer',
  itAdmin: 'itAdmin',
} as const satisfies Record<string, Role>;
const clock: Clock = { now: () => Date.now() };
const logger = createMemoryLogger();
let central: Central;

beforeAll(async () => {
  central = await startTestCentral({ seed: 5, patients: 5 });
});
afterAll(async () => {
  await central?.close();
});

function userWithRole(role: Role, index = 0): string {
  const user = central.users.filter((u) => u.role === role)[index];
  if (!user) throw new Error(`no ${role} #${index} in dev central`);
  return user.username;
}

/** The receiver's port from the authorization URL the browser was given. */
function portOf(url: URL): number {
  return Number(new URL(url.searchParams.get('redirect_uri') ?? '').port);
}

/** A browser stand-in that signs in as `username` and then requests the redirect, as a browser would. */
function drivenBrowser(username: string): AuthBrowser & { opened: URL[]; closed: number; answer?: string } {
  const browser: AuthBrowser & { opened: URL[]; closed: number; answer?: string } = {
    opened: [],
    closed: 0,
    async open(url) {
      browser.opened.push(url);
      const redirectUri = url.searchParams.get('redirect_uri') ?? '';
      const redirect = await driveLogin(url, username, passwordOf(central, username), redirectUri);
      const response = await fetch(redirect);
      browser.answer = await response.text();
    },
    close() {
      browser.closed++;
    },
  };
  return browser;
}

/** A browser stand-in that ignores the provider and requests the callback with chosen parameters. */
function callbackBrowser(
  params: (state: string) => Record<string, string>,
): AuthBrowser & { opened: URL[]; status(): Promise<number> } {
  let answered: Promise<number> = Promise.resolve(0);
  const browser: AuthBrowser & { opened: URL[]; status(): Promise<number> } = {
    opened: [],
    status: () => answered,
    open(url) {
      browser.opened.push(url);
      const target = new URL(url.searchParams.get('redirect_uri') ?? '');
      for (const [k, v] of Object.entries(params(url.searchParams.get('state') ?? ''))) target.searchParams.set(k, v);
      answered = fetch(target).then(async (response) => {
        await response.text();
        return response.status;
      });
      return answered.then(() => undefined);
    },
  };
  return browser;
}

function options(authBrowser: AuthBrowser, extra: Partial<SignInOptions> = {}): SignInOptions {
  return {
    issuer: central.issuer,
    clientId: central.clientId,
    allowLoopbackHttp: true,
    resource: central.fhirBaseUrl,
    scope: `openid profile fhirUser offline_access ${central.apiScope}`,
    roleClaim: central.rolesClaim,
    roleMap: identityRoles,
    authBrowser,
    clock,
    logger,
    timeoutMs: 20_000,
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<OidcError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OidcError);
  return error as OidcError;
}

describe('full sign-in', () => {
  it('signs in physician1 with PKCE S256, state and nonce; gets role, practitioner and working tokens', async () => {
    const browser = drivenBrowser('physician1');
    const identity = await signIn(options(browser));
    const user = central.users.find((u) => u.username === 'physician1');
    expect(identity).toMatchObject({
      userId: 'physician1',
      username: 'physician1',
      displayName: user?.displayName,
      role: 'physician',
      practitionerId: user?.practitionerId,
    });
    expect(`Practitioner/${identity.practitionerId}`).toBe(user?.fhirUser);
    expect(identity.accessTokenExpiresAt).toBeGreaterThan(Date.now());
    expect(identity.refreshToken.length).toBeGreaterThan(10);
    expect(decodeJwt(identity.accessToken)).toMatchObject({ aud: central.fhirBaseUrl, sub: 'physician1' });
    expect((await fhirFetch(central, identity.accessToken, 'Practitioner')).status).toBe(200);

    // The authorization request: loopback redirect on 127.0.0.1, PKCE S256, state, nonce, resource.
    const [url] = browser.opened;
    expect(url).toBeDefined();
    const params = url?.searchParams ?? new URLSearchParams();
    expect(params.get('redirect_uri')).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/callback$/);
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toBeTruthy();
    expect(params.get('nonce')).toBeTruthy();
    expect(params.get('resource')).toBe(central.fhirBaseUrl);
    // Every sign-in asks the person at the keyboard, whatever provider session a browser still holds.
    expect(params.get('prompt')).toBe('login');
    // The browser was told it can close the window; the port is closed; the window was closed.
    expect(browser.answer).toContain('You can close this window');
    expect(await refuses(portOf(url ?? new URL('http://x/')))).toBe(true);
    expect(browser.closed).toBe(1);
    // Nothing secret or identifying reached the log.
    const logged = JSON.stringify(logger.entries);
    for (const secret of [
      identity.accessToken,
      identity.refreshToken,
      'physician1',
      user?.displayName ?? '-',
      params.get('state') ?? '-',
    ]) {
      expect(logged).not.toContain(secret);
    }
  });

  it.each([
    ['nurse', 'nurse'],
    ['frontDesk', 'frontDesk'],
    ['privacyOfficer', 'privacyOfficer'],
    ['itAdmin', 'itAdmin'],
  ] as const)('signs in a %s', async (role, expected) => {
    const username = userWithRole(role);
    const identity = await signIn(options(drivenBrowser(username)));
    const user = central.users.find((u) => u.username === username);
    expect(identity).toMatchObject({ userId: username, role: expected, practitionerId: user?.practitionerId });
  });

  it('maps provider role names through a policy role map; a role outside the map is NO_ROLE', async () => {
    const roleMap = { physician: 'physician', nurse: 'nurse', frontDesk: 'frontDesk' } as const;
    const nurse = await signIn(options(drivenBrowser(userWithRole('nurse')), { roleMap: { nurse: 'frontDesk' } }));
    expect(nurse.role).toBe('frontDesk');
    const browser = drivenBrowser(userWithRole('itAdmin'));
    const error = await failure(signIn(options(browser, { roleMap })));
    expect(error.code).toBe('NO_ROLE');
    expect(await refuses(portOf(browser.opened[0] ?? new URL('http://x/')))).toBe(true);
  });
});

describe('callback handling', () => {
  it('a forged callback (wrong or missing state) gets 400 and cannot end the sign-in: the real redirect still signs in', async () => {
    // Any local process can reach the loopback port. Before issue 17 the first forged request
    // closed the receiver, so whoever raced the browser could kill every sign-in.
    const username = userWithRole('nurse');
    const real = drivenBrowser(username);
    const forged: number[] = [];
    const browser: AuthBrowser = {
      async open(url) {
        const target = new URL(url.searchParams.get('redirect_uri') ?? '');
        for (const query of ['?code=forged&state=not-the-state', '?code=forged', '?error=access_denied', '?state=']) {
          const response = await fetch(`${target.href}${query}`);
          await response.text();
          forged.push(response.status);
        }
        await real.open(url);
      },
    };
    const identity = await signIn(options(browser));
    expect(forged).toEqual([400, 400, 400, 400]);
    expect(identity.userId).toBe(username);
    expect(real.answer).toContain('You can close this window');
    expect(await refuses(portOf(real.opened[0] ?? new URL('http://x/')))).toBe(true);
  });

  it('forged callbacks alone end in TIMEOUT, not STATE_MISMATCH, and the port closes', async () => {
    const browser = callbackBrowser(() => ({ code: 'forged-code', state: 'not-the-state' }));
    const error = await failure(signIn(options(browser, { timeoutMs: 600 })));
    expect(error.code).toBe('TIMEOUT');
    expect(await browser.status()).toBe(400);
    expect(await refuses(portOf(browser.opened[0] ?? new URL('http://x/')))).toBe(true);
  });

  it('a user who cancels at the provider (access_denied) gets CANCELLED; another provider error PROVIDER_ERROR', async () => {
    const cancelled = callbackBrowser((state) => ({ error: 'access_denied', state }));
    expect(await failure(signIn(options(cancelled)))).toMatchObject({
      code: 'CANCELLED',
      providerError: 'access_denied',
    });
    expect(await cancelled.status()).toBe(200);
    const broken = callbackBrowser((state) => ({ error: 'server_error', error_description: 'boom <script>', state }));
    const error = await failure(signIn(options(broken)));
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', providerError: 'server_error' });
    expect(error.message).not.toContain('boom');
  });

  it('a forged code with the right state fails at the exchange as PROVIDER_ERROR', async () => {
    const browser = callbackBrowser((state) => ({ code: 'forged-code', state, iss: central.issuer }));
    expect((await failure(signIn(options(browser)))).code).toBe('PROVIDER_ERROR');
  });

  it('times out when no callback arrives, and the port no longer accepts connections', async () => {
    let port = 0;
    const browser: AuthBrowser = {
      open(url) {
        port = portOf(url);
        return Promise.resolve();
      },
    };
    const started = Date.now();
    expect((await failure(signIn(options(browser, { timeoutMs: 400 })))).code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(port).toBeGreaterThan(0);
    expect(await refuses(port)).toBe(true);
  });

  it('an abort ends the sign-in as CANCELLED and closes the port', async () => {
    const controller = new AbortController();
    let port = 0;
    const browser: AuthBrowser = {
      open(url) {
        port = portOf(url);
        setTimeout(() => controller.abort(), 50);
        return Promise.resolve();
      },
    };
    expect((await failure(signIn(options(browser, { signal: controller.signal })))).code).toBe('CANCELLED');
    expect(await refuses(port)).toBe(true);
  });

  it('a browser that cannot open the page ends the sign-in as BROWSER and closes the port', async () => {
    let port = 0;
    const browser: AuthBrowser = {
      open(url) {
        port = portOf(url);
        return Promise.reject(new Error('no window'));
      },
    };
    expect((await failure(signIn(options(browser)))).code).toBe('BROWSER');
    expect(await refuses(port)).toBe(true);
  });

  it('refuses a plain-HTTP issuer that is not this machine, before opening anything', async () => {
    const browser = callbackBrowser(() => ({}));
    for (const issuer of ['http://idp.clinic.example', 'http://127.0.0.1.nip.io:8080']) {
      expect((await failure(signIn(options(browser, { issuer })))).code).toBe('INSECURE_ISSUER');
      expect(
        (
          await failure(
            refresh({
              issuer,
              clientId: central.clientId,
              resource: central.fhirBaseUrl,
              refreshToken: 'x',
              clock,
              logger,
            }),
          )
        ).code,
      ).toBe('INSECURE_ISSUER');
    }
    expect((await failure(signIn(options(browser, { resource: 'http://fhir.clinic.example/R4' })))).code).toBe(
      'INSECURE_ISSUER',
    );
    // Dev central itself (plain HTTP on this machine) only when policy allows it for development.
    expect((await failure(signIn(options(browser, { allowLoopbackHttp: false })))).code).toBe('INSECURE_ISSUER');
    expect(browser.opened).toEqual([]);
  });
});

describe('refresh', () => {
  it('refreshes and rotates the refresh token (with or without a discovered configuration)', async () => {
    const identity = await signIn(options(drivenBrowser(userWithRole('nurse'))));
    const base = {
      issuer: central.issuer,
      clientId: central.clientId,
      allowLoopbackHttp: true,
      resource: central.fhirBaseUrl,
      clock,
      logger,
    };
    const first = await refresh({
      ...base,
      refreshToken: identity.refreshToken,
      configuration: identity.configuration,
    });
    if (!first.ok) throw new Error(`refresh failed: ${JSON.stringify(first)}`);
    expect(first.tokens.refreshToken).not.toBe(identity.refreshToken);
    expect(first.tokens.accessToken).not.toBe(identity.accessToken);
    expect(decodeJwt(first.tokens.accessToken)).toMatchObject({ aud: central.fhirBaseUrl });
    const second = await refresh({ ...base, refreshToken: first.tokens.refreshToken });
    expect(second).toMatchObject({ ok: true, terminated: false });
    // The rotated-away token is refused.
    expect(
      await refresh({ ...base, refreshToken: identity.refreshToken, configuration: identity.configuration }),
    ).toEqual({ ok: false, terminated: true, reason: 'invalid_grant' });
  });

  it('a stopped provider is a network failure, not a termination', async () => {
    const other = await startTestCentral({ seed: 6, patients: 2 });
    const browserFor = (username: string): AuthBrowser => ({
      async open(url) {
        const redirect = await driveLogin(
          url,
          username,
          passwordOf(other, username),
          url.searchParams.get('redirect_uri') ?? '',
        );
        await (await fetch(redirect)).text();
      },
    });
    const identity = await signIn({
      ...options(browserFor('physician1')),
      issuer: other.issuer,
      clientId: other.clientId,
      resource: other.fhirBaseUrl,
    });
    await other.close();
    const base = {
      issuer: other.issuer,
      clientId: other.clientId,
      allowLoopbackHttp: true,
      resource: other.fhirBaseUrl,
      refreshToken: identity.refreshToken,
      clock,
      logger,
      timeoutMs: 2_000,
    };
    expect(await refresh({ ...base, configuration: identity.configuration })).toEqual({
      ok: false,
      terminated: false,
      reason: 'network',
    });
    expect(await refresh(base)).toEqual({ ok: false, terminated: false, reason: 'network' });
  });
});

describe('refresh tokens in the vault, and access termination', () => {
  const policy = Policy.parse({}).identity;
  let dataDir: string;
  let temp: TempVault;
  let vault: Vault;

  beforeEach(async () => {
    temp = await openTempVault({ prefix: 'clinic-oidc-', subdir: 'cache', logger });
    ({ vault, dataDir } = temp);
  });
  afterEach(() => temp.close());

  it('keeps the refresh token only inside the encrypted vault; it survives reopening', async () => {
    const identity = await signIn(options(drivenBrowser('physician1')));
    storeRefreshToken(vault.db, identity.userId, identity.refreshToken, clock);
    vault.close();
    expect(filesContaining(dataDir, identity.refreshToken)).toEqual([]);
    expect(filesContaining(dataDir, identity.accessToken)).toEqual([]);
    expect(await keyStore.get(identity.refreshToken)).toBeNull();
    vault = await temp.reopen();
    expect(loadRefreshToken(vault.db, identity.userId)).toBe(identity.refreshToken);
    expect(deleteRefreshToken(vault.db, identity.userId)).toBe(true);
    expect(loadRefreshToken(vault.db, identity.userId)).toBeNull();
    expect(deleteRefreshToken(vault.db, identity.userId)).toBe(false);
  });

  it('a stored session refreshes and the rotated token replaces the old one in the vault', async () => {
    const identity = await signIn(options(drivenBrowser(userWithRole('nurse'))));
    storeRefreshToken(vault.db, identity.userId, identity.refreshToken, clock);
    const outcome = await refreshStoredSession(vault.db, identity.userId, {
      issuer: central.issuer,
      clientId: central.clientId,
      allowLoopbackHttp: true,
      resource: central.fhirBaseUrl,
      clock,
      logger,
      configuration: identity.configuration,
    });
    if (!outcome.ok) throw new Error(`refresh failed: ${JSON.stringify(outcome)}`);
    expect(loadRefreshToken(vault.db, identity.userId)).toBe(outcome.tokens.refreshToken);
    expect(outcome.tokens.refreshToken).not.toBe(identity.refreshToken);
    expect(
      await refreshStoredSession(vault.db, 'someone-else', {
        issuer: central.issuer,
        clientId: central.clientId,
        allowLoopbackHttp: true,
        resource: central.fhirBaseUrl,
        clock,
        logger,
      }),
    ).toEqual({ ok: false, terminated: false, reason: 'noRefreshToken' });
  });

  it('a user disabled at the provider: refresh is refused, the session is terminated and the offline PIN sign-in revoked', async () => {
    const username = userWithRole('physician', 1);
    const identity = await signIn(options(drivenBrowser(username)));
    recordFullSignIn(vault.db, identity.userId, clock, logger);
    await setPin(vault.db, identity.userId, '480137', policy, clock, clock.now(), logger);
    storeRefreshToken(vault.db, identity.userId, identity.refreshToken, clock);
    expect(pinStatus(vault.db, identity.userId, policy, clock).revoked).toBe(false);

    central.disableUser(username);
    try {
      const settings = {
        issuer: central.issuer,
        clientId: central.clientId,
        allowLoopbackHttp: true,
        resource: central.fhirBaseUrl,
        clock,
        logger,
        configuration: identity.configuration,
      };
      expect(await refreshStoredSession(vault.db, identity.userId, settings)).toEqual({
        ok: false,
        terminated: true,
        reason: 'invalid_grant',
      });
      expect(loadRefreshToken(vault.db, identity.userId)).toBeNull();
      expect(pinStatus(vault.db, identity.userId, policy, clock)).toMatchObject({ revoked: true, offlineUntil: null });
      // A new sign-in is refused by the provider too.
      await expect(signIn(options(drivenBrowser(username), { timeoutMs: 5_000 }))).rejects.toThrow();
    } finally {
      central.enableUser(username);
    }
  });

  it('a network failure keeps the stored token and the offline PIN sign-in', async () => {
    const identity = await signIn(options(drivenBrowser(userWithRole('frontDesk'))));
    recordFullSignIn(vault.db, identity.userId, clock, logger);
    storeRefreshToken(vault.db, identity.userId, identity.refreshToken, clock);
    const outcome = await refreshStoredSession(vault.db, identity.userId, {
      issuer: 'http://127.0.0.1:9',
      clientId: central.clientId,
      allowLoopbackHttp: true,
      resource: central.fhirBaseUrl,
      clock,
      logger,
      timeoutMs: 2_000,
    });
    expect(outcome).toEqual({ ok: false, terminated: false, reason: 'network' });
    expect(loadRefreshToken(vault.db, identity.userId)).toBe(identity.refreshToken);
    expect(pinStatus(vault.db, identity.userId, policy, clock).revoked).toBe(false);
  });
});

describe('discovery', () => {
  it('discovers dev central over loopback HTTP', async () => {
    const configuration = await discoverProvider({
      issuer: central.issuer,
      clientId: central.clientId,
      allowLoopbackHttp: true,
      logger,
    });
    expect(configuration.serverMetadata().issuer).toBe(central.issuer);
  });
});
