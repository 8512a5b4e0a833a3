/**
 * Dev central for tests: both services on free ports in one call, and a real sign-in (PKCE,
 * the login form driven over HTTP with a small cookie jar) that returns real tokens.
 *
 *   const central = await startTestCentral();
 *   const session = await signIn(central, 'physician1');
 *   await fetch(`${central.fhirBaseUrl}/Patient`, { headers: { authorization: `Bearer ${session.accessToken}` } });
 *   await central.close();
 *
 * The personality (dev/central/personality.ts) is the test's if it names one, else
 * CENTRAL_PERSONALITY from the environment (CI runs the sync suite once more with
 * CENTRAL_PERSONALITY=hapi), else Medplum's.
 */
import * as oidc from 'openid-client';
import { startCentral } from '../../dev/central/central.ts';
import type { Central, CentralOptions } from '../../dev/central/central.ts';
import { PERSONALITIES, isPersonality, type Personality } from '../../dev/central/personality.ts';

export type { Central } from '../../dev/central/central.ts';

/** The personality the environment asks for (CENTRAL_PERSONALITY), Medplum's when unset. */
export function environmentPersonality(): Personality {
  const named = process.env['CENTRAL_PERSONALITY'];
  if (named === undefined || named === '') return 'medplum';
  if (!isPersonality(named)) throw new Error(`CENTRAL_PERSONALITY must be one of: ${PERSONALITIES.join(', ')}`);
  return named;
}

/** A small clinic (20 patients, ~250 resources) unless the test asks for more. */
export function startTestCentral(options: CentralOptions = {}): Promise<Central> {
  return startCentral({ patients: 20, seed: 7, personality: environmentPersonality(), ...options });
}

export interface SignedIn {
  config: oidc.Configuration;
  accessToken: string;
  refreshToken: string;
  idToken: string;
  /** Claims of the ID token. */
  claims: Record<string, unknown>;
}

export function passwordOf(central: Central, username: string): string {
  const user = central.users.find((u) => u.username === username);
  if (!user) throw new Error(`no such user: ${username}`);
  return user.password;
}

/** Discovery against the provider, as the workstation will do it (plain HTTP is loopback only). */
export function discover(central: Central): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(central.issuer), central.clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
}

/** A browser stand-in: follows redirects by hand, keeps cookies, fills the login form. */
export async function driveLogin(
  authorizationUrl: URL,
  username: string,
  password: string,
  redirectPrefix: string,
): Promise<URL> {
  const cookies = new Map<string, string>();
  let url = authorizationUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 12; step++) {
    const response = await fetch(url, {
      ...init,
      redirect: 'manual',
      headers: {
        ...(init.headers as Record<string, string> | undefined),
        cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; '),
      },
    });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair?.indexOf('=') ?? -1;
      if (pair && eq > 0) cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      const next = new URL(location, url);
      if (next.href.startsWith(redirectPrefix)) return next;
      url = next;
      init = {};
      continue;
    }
    const html = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    if (response.status >= 400 || !action)
      throw new Error(`sign-in stopped at ${url.pathname} with HTTP ${response.status}`);
    url = new URL(
      action.replace(/&#(\d+);/g, (_m, code: string) => String.fromCharCode(Number(code))),
      url,
    );
    init = {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ username, password }).toString(),
    };
  }
  throw new Error('sign-in did not reach the redirect URI');
}

/** A full authorization code + PKCE sign-in as a seeded user. */
export async function signIn(
  central: Central,
  username: string,
  password = passwordOf(central, username),
  callbackPort = 53_682,
): Promise<SignedIn> {
  const config = await discover(central);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: `openid profile fhirUser offline_access ${central.apiScope}`,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    resource: central.fhirBaseUrl,
  });
  const callback = await driveLogin(authorizationUrl, username, password, redirectUri);
  const tokens = await oidc.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  if (!tokens.refresh_token || !tokens.id_token) throw new Error('the provider issued no refresh or ID token');
  return {
    config,
    accessToken: tokens.access_token,
    refreshToken: tokens.refresh_token,
    idToken: tokens.id_token,
    claims: { ...tokens.claims() },
  };
}

/**
 * fetch against the FHIR API with a bearer token and FHIR JSON. Tests look at what central holds
 * now: `Cache-Control: no-cache` keeps the HAPI personality from answering a recent search again
 * from its held results (a test about that reuse sends its own Cache-Control).
 */
export function fhirFetch(central: Central, token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const url = /^https?:/.test(path) ? path : `${central.fhirBaseUrl}/${path.replace(/^\/+/, '')}`;
  return fetch(url, {
    ...init,
    headers: {
      accept: 'application/fhir+json',
      'cache-control': 'no-cache',
      ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
      authorization: `Bearer ${token}`,
      ...(init.headers as Record<string, string> | undefined),
    },
  });
}
