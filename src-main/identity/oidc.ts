import * as oidc from 'openid-client';
import type { Role } from '../../src-shared/access/roles.ts';
import type { Logger } from '../log/index.ts';
import type { AuthBrowser, Clock } from '../ports.ts';
import { checkTransport, identityFromClaims, parseRoleMap } from './oidc-claims.ts';
import type { RoleMap } from './oidc-claims.ts';
import { OidcError, safeOAuthErrorCode } from './oidc-errors.ts';
import { startLoopbackReceiver } from './oidc-loopback.ts';

/**
 * OpenID Connect sign-in for the workstation (PRODUCT.md capability 2): authorization code + PKCE
 * (S256) with state and nonce, the redirect received on a loopback port opened only for this
 * sign-in (RFC 8252), the ID token validated by openid-client, and the workstation identity taken
 * from its claims. Tokens are returned to the main process only; the caller keeps the access
 * token in memory and the refresh token in the vault (tokens-store.ts).
 */

export interface ProviderOptions {
  issuer: string;
  clientId: string;
  /** Policy central.allowLoopbackHttp: plain HTTP to this machine (dev central) is accepted. */
  allowLoopbackHttp?: boolean;
  /** Time allowed for each request to the provider. */
  timeoutMs?: number;
  /** fetch with policy's TLS rules (net/central-fetch.ts); default: Node's. */
  fetch?: typeof fetch;
  logger: Logger;
}

export interface SignInOptions extends ProviderOptions {
  /** The FHIR base URL: the access token's audience, sent as the `resource` parameter. */
  resource: string;
  /** Scopes beyond `openid` (e.g. profile fhirUser offline_access and the API scope). */
  scope: string;
  /** Name of the ID token claim carrying the roles. */
  roleClaim: string;
  roleMap: RoleMap;
  authBrowser: AuthBrowser;
  clock: Clock;
  /** Time allowed for the whole browser part (from opening the page to the callback). */
  timeoutMs: number;
  /** Aborting ends the sign-in with CANCELLED and closes the loopback port. */
  signal?: AbortSignal;
  /** An already discovered configuration (from discoverProvider); discovered when absent. */
  configuration?: oidc.Configuration;
}

export interface SignedInIdentity {
  /** The provider's `sub`. */
  userId: string;
  /** `preferred_username`, when the provider sends one. */
  username: string | null;
  displayName: string;
  role: Role;
  /** Id of the user's FHIR Practitioner (from `fhirUser`), or null when the provider gives none. */
  practitionerId: string | null;
  accessToken: string;
  /** Milliseconds since the epoch (Clock port). */
  accessTokenExpiresAt: number;
  refreshToken: string;
  /** The discovered provider, to reuse for refresh without another discovery. */
  configuration: oidc.Configuration;
}

const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;

function isNetworkError(error: unknown): boolean {
  if (error instanceof TypeError) return true; // fetch failed: refused, reset, DNS
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return true;
  return false;
}

/** Maps anything openid-client (or fetch) throws to an OidcError without echoing its message. */
function toOidcError(error: unknown, phase: string, logger: Logger): OidcError {
  let mapped: OidcError;
  if (error instanceof OidcError) mapped = error;
  else if (isNetworkError(error)) mapped = new OidcError('NETWORK', 'The identity provider could not be reached.');
  else if (error instanceof oidc.AuthorizationResponseError) {
    const code = safeOAuthErrorCode(error.error);
    mapped =
      code === 'access_denied'
        ? new OidcError('CANCELLED', 'The sign-in was cancelled at the identity provider.', code)
        : new OidcError('PROVIDER_ERROR', 'The identity provider refused the sign-in.', code);
  } else if (error instanceof oidc.ResponseBodyError) {
    mapped = new OidcError(
      'PROVIDER_ERROR',
      'The identity provider refused the request.',
      safeOAuthErrorCode(error.error),
    );
  } else
    mapped = new OidcError('PROVIDER_ERROR', 'The identity provider answered in a way that could not be accepted.');
  logger.log('warn', 'identity.oidc.failed', {
    phase,
    code: mapped.code,
    reason: mapped.providerError ?? null,
    errorName: error instanceof Error ? error.name : typeof error,
  });
  return mapped;
}

/**
 * Discovery. Plain HTTP is allowed only when the issuer is this machine (127.0.0.1, ::1,
 * localhost), and then every endpoint the provider advertises must be https or loopback too.
 */
export async function discoverProvider(options: ProviderOptions): Promise<oidc.Configuration> {
  if (typeof options.clientId !== 'string' || options.clientId.length === 0)
    throw new OidcError('INVALID_INPUT', 'The client id is missing.');
  const loopback = options.allowLoopbackHttp === true;
  const issuer = checkTransport(options.issuer, 'identity provider address', loopback);
  // checkTransport let plain HTTP through only to this machine, and only when policy allows it.
  const insecure = issuer.protocol === 'http:';
  const timeout = Math.max(1, Math.ceil((options.timeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS) / 1000));
  let configuration: oidc.Configuration;
  try {
    configuration = await oidc.discovery(issuer, options.clientId, undefined, oidc.None(), {
      timeout,
      ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}),
      ...(options.fetch ? { [oidc.customFetch]: options.fetch as unknown as oidc.CustomFetch } : {}),
    });
  } catch (error) {
    throw toOidcError(error, 'discovery', options.logger);
  }
  const metadata = configuration.serverMetadata();
  for (const endpoint of [
    metadata.authorization_endpoint,
    metadata.token_endpoint,
    metadata.jwks_uri,
    metadata.revocation_endpoint,
  ]) {
    if (endpoint !== undefined) checkTransport(endpoint, 'identity provider endpoint', loopback);
  }
  if (!metadata.authorization_endpoint || !metadata.token_endpoint) {
    throw new OidcError('PROVIDER_ERROR', 'The identity provider does not offer the authorization code flow.');
  }
  configuration.timeout = timeout;
  return configuration;
}

function expiresAt(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers, clock: Clock): number {
  const seconds = tokens.expiresIn();
  // No expires_in: treat it as short-lived (one minute) rather than forever.
  return clock.now() + (seconds !== undefined && Number.isFinite(seconds) && seconds > 0 ? seconds : 60) * 1000;
}

/** A full sign-in at the identity provider through the AuthBrowser port. */
export async function signIn(options: SignInOptions): Promise<SignedInIdentity> {
  const { logger, clock } = options;
  const roleMap = parseRoleMap(options.roleMap);
  if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0)
    throw new OidcError('INVALID_INPUT', 'The sign-in timeout is not valid.');
  if (typeof options.roleClaim !== 'string' || options.roleClaim.length === 0)
    throw new OidcError('INVALID_INPUT', 'The role claim name is missing.');
  const resource = checkTransport(
    options.resource,
    'FHIR API address',
    options.allowLoopbackHttp === true,
  ).href.replace(/\/+$/, '');
  if (options.signal?.aborted) throw new OidcError('CANCELLED', 'The sign-in was cancelled.');
  const started = clock.now();

  const configuration =
    options.configuration ??
    (await discoverProvider({
      issuer: options.issuer,
      clientId: options.clientId,
      logger,
      ...(options.allowLoopbackHttp === undefined ? {} : { allowLoopbackHttp: options.allowLoopbackHttp }),
    }));
  const verifier = oidc.randomPKCECodeVerifier();
  const challenge = await oidc.calculatePKCECodeChallenge(verifier);
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();

  const receiver = await startLoopbackReceiver({
    expectedState: state,
    timeoutMs: options.timeoutMs,
    logger,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  try {
    const scope = ['openid', ...options.scope.split(/\s+/).filter((s) => s.length > 0 && s !== 'openid')].join(' ');
    const authorizationUrl = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: receiver.redirectUri,
      scope,
      code_challenge: challenge,
      code_challenge_method: 'S256',
      state,
      nonce,
      resource,
      // A shared workstation: the provider must ask who is at the keyboard every time, even if
      // its own session cookie from the previous clinician is still in the browser (OIDC Core 3.1.2.1).
      prompt: 'login',
    });
    const browserFailed = options.authBrowser.open(authorizationUrl).then(
      () => new Promise<never>(() => undefined),
      () => {
        throw new OidcError('BROWSER', 'The sign-in page could not be opened.');
      },
    );
    const callback = await Promise.race([receiver.callback, browserFailed]);
    await receiver.close();

    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      tokens = await oidc.authorizationCodeGrant(
        configuration,
        callback,
        { pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true },
        { resource },
      );
    } catch (error) {
      throw toOidcError(error, 'codeExchange', logger);
    }
    const claims = tokens.claims();
    if (!claims) throw new OidcError('PROVIDER_ERROR', 'The identity provider issued no ID token.');
    if (!tokens.refresh_token) throw new OidcError('PROVIDER_ERROR', 'The identity provider issued no refresh token.');
    const identity = identityFromClaims(claims, { roleClaim: options.roleClaim, roleMap, fhirBaseUrl: resource });
    logger.log('info', 'identity.oidc.signedIn', { durationMs: clock.now() - started });
    return {
      ...identity,
      accessToken: tokens.access_token,
      accessTokenExpiresAt: expiresAt(tokens, clock),
      refreshToken: tokens.refresh_token,
      configuration,
    };
  } catch (error) {
    if (error instanceof OidcError) {
      logger.log('warn', 'identity.oidc.signInFailed', { code: error.code, reason: error.providerError ?? null });
      throw error;
    }
    throw toOidcError(error, 'signIn', logger);
  } finally {
    await receiver.close();
    try {
      options.authBrowser.close?.();
    } catch {
      // A window that is already gone is fine.
    }
  }
}

export interface RefreshOptions extends ProviderOptions {
  refreshToken: string;
  /** The FHIR base URL the access token is for. */
  resource: string;
  clock: Clock;
  configuration?: oidc.Configuration;
}

export interface RefreshedTokens {
  accessToken: string;
  accessTokenExpiresAt: number;
  /** The rotated refresh token (the old one no longer works): store it in place of the old. */
  refreshToken: string;
}

/**
 * What a refresh came to:
 * - `ok`: new tokens;
 * - `terminated`: the provider refused the refresh token (user disabled, token revoked or
 *   expired): the session ends now and the offline PIN sign-in must be revoked (access termination);
 * - `unavailable`: the provider could not be reached or failed in another way: keep the session
 *   and the stored refresh token, try again later.
 */
export type RefreshOutcome =
  | { ok: true; terminated: false; tokens: RefreshedTokens }
  | { ok: false; terminated: true; reason: 'invalid_grant' }
  | { ok: false; terminated: false; reason: 'network' | 'provider'; providerError?: string };

export async function refresh(options: RefreshOptions): Promise<RefreshOutcome> {
  const { logger, clock } = options;
  if (typeof options.refreshToken !== 'string' || options.refreshToken.length === 0)
    throw new OidcError('INVALID_INPUT', 'The refresh token is missing.');
  const resource = checkTransport(
    options.resource,
    'FHIR API address',
    options.allowLoopbackHttp === true,
  ).href.replace(/\/+$/, '');
  let configuration = options.configuration;
  if (!configuration) {
    try {
      configuration = await discoverProvider(options);
    } catch (error) {
      if (error instanceof OidcError && error.code === 'NETWORK')
        return { ok: false, terminated: false, reason: 'network' };
      if (error instanceof OidcError && error.code === 'PROVIDER_ERROR')
        return { ok: false, terminated: false, reason: 'provider' };
      throw error;
    }
  }
  try {
    const tokens = await oidc.refreshTokenGrant(configuration, options.refreshToken, { resource });
    if (!tokens.refresh_token) {
      // A provider that does not rotate: keep the one we have.
      logger.log('info', 'identity.oidc.refreshed', { reason: 'notRotated' });
    } else logger.log('info', 'identity.oidc.refreshed', { reason: 'rotated' });
    return {
      ok: true,
      terminated: false,
      tokens: {
        accessToken: tokens.access_token,
        accessTokenExpiresAt: expiresAt(tokens, clock),
        refreshToken: tokens.refresh_token ?? options.refreshToken,
      },
    };
  } catch (error) {
    if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') {
      logger.log('warn', 'identity.oidc.refreshRefused', { reason: 'invalid_grant', status: error.status });
      return { ok: false, terminated: true, reason: 'invalid_grant' };
    }
    const mapped = toOidcError(error, 'refresh', logger);
    if (mapped.code === 'NETWORK') return { ok: false, terminated: false, reason: 'network' };
    return mapped.providerError !== undefined
      ? { ok: false, terminated: false, reason: 'provider', providerError: mapped.providerError }
      : { ok: false, terminated: false, reason: 'provider' };
  }
}
