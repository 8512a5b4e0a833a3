/**
 * The clinic's identity provider: panva's oidc-provider, configured as a hospital IdP would be
 * for a first-party native app (RFC 8252):
 *
 * - one public client (token_endpoint_auth_method none), authorization code + PKCE (S256 only,
 *   required), loopback redirect URIs on any port;
 * - JWT access tokens whose audience is the FHIR API (resource indicators), carrying the roles
 *   claim and `fhirUser`; refresh tokens, rotated on every use;
 * - its own accessible login page (labels "Username", "Password", button "Sign in"); consent is
 *   granted automatically for the first-party client;
 * - a disabled account makes every refresh and sign-in fail (findAccount answers nothing);
 * - POST /admin/users/<username>/disable|enable, guarded by a bearer secret.
 */
import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { errors } from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import { memoryAdapter } from './idp-store.ts';
import type { UserStore } from './users.ts';

export const DEFAULT_CLIENT_ID = 'clinic-workstation';
export const DEFAULT_ROLES_CLAIM = 'roles';
/** Scope of the FHIR API (SMART-style); the API itself checks only the token. */
export const FHIR_API_SCOPE = 'user/*.*';
export const DEFAULT_REDIRECT_URIS = ['http://127.0.0.1/callback', 'http://[::1]/callback'];

export interface IdentityProviderOptions {
  issuer: string;
  /** The FHIR API base URL: the audience of every access token. */
  fhirBaseUrl: string;
  users: UserStore;
  adminSecret: string;
  clientId?: string;
  /** Redirect URIs of the native client; the port of a loopback URI may vary (RFC 8252 §7.3). */
  redirectUris?: string[];
  /** Name of the claim carrying the workstation role names (default "roles"). */
  rolesClaim?: string;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
}

export interface IdentityProvider {
  provider: Provider;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

export async function createIdentityProvider(options: IdentityProviderOptions): Promise<IdentityProvider> {
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const rolesClaim = options.rolesClaim ?? DEFAULT_ROLES_CLAIM;
  const accessTokenTtl = options.accessTokenTtlSeconds ?? 300;
  const refreshTokenTtl = options.refreshTokenTtlSeconds ?? 12 * 3600;
  const { users, fhirBaseUrl } = options;

  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: randomUUID(), alg: 'RS256', use: 'sig' };

  const configuration: Configuration = {
    adapter: memoryAdapter(),
    clients: [
      {
        client_id: clientId,
        client_name: 'Clinic Workstation',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: options.redirectUris ?? DEFAULT_REDIRECT_URIS,
        post_logout_redirect_uris: options.redirectUris ?? DEFAULT_REDIRECT_URIS,
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    scopes: ['openid', 'offline_access', 'profile', 'fhirUser'],
    claims: {
      openid: ['sub', rolesClaim, 'fhirUser'],
      profile: ['name', 'preferred_username'],
      fhirUser: ['fhirUser'],
    },
    // Put the claims in the ID token too (not only at userinfo): the app reads them from there.
    conformIdTokenClaims: false,
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => fhirBaseUrl,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resourceIndicator) => {
          if (resourceIndicator !== fhirBaseUrl) throw new errors.InvalidTarget();
          return {
            scope: FHIR_API_SCOPE,
            audience: fhirBaseUrl,
            accessTokenTTL: accessTokenTtl,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    async findAccount(_ctx, sub) {
      const user = users.active(sub);
      if (!user) return undefined;
      return {
        accountId: user.username,
        claims: async () => ({
          sub: user.username,
          name: user.displayName,
          preferred_username: user.username,
          [rolesClaim]: [...user.roles],
          fhirUser: user.fhirUser,
        }),
      };
    },
    async extraTokenClaims(_ctx, token) {
      if (token.kind !== 'AccessToken' || !('accountId' in token) || typeof token.accountId !== 'string')
        return undefined;
      const user = users.active(token.accountId);
      return user ? { [rolesClaim]: [...user.roles], fhirUser: user.fhirUser } : undefined;
    },
    // Refresh tokens for the workstation whether or not it asks for offline_access (oidc-provider
    // drops offline_access unless prompt=consent); they live on their own, not with the browser session.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    expiresWithSession: async () => false,
    rotateRefreshToken: true,
    ttl: {
      AccessToken: accessTokenTtl,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: refreshTokenTtl,
      Grant: refreshTokenTtl,
      Interaction: 600,
      Session: 12 * 3600,
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    renderError(ctx, out) {
      ctx.type = 'html';
      const text = [out.error, out.error_description].filter((s): s is string => typeof s === 'string').join(': ');
      ctx.body = page(
        'Sign-in failed',
        `<p role="alert">${escapeHtml(text || 'The request could not be completed.')}</p>`,
      );
    },
    // First-party client: consent is implied. Other clients get no automatic grant.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const client = ctx.oidc.client;
      const session = ctx.oidc.session;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      const existing = grantId ? await ctx.oidc.provider.Grant.find(grantId) : undefined;
      if (client.clientId !== clientId) return existing;
      const grant =
        existing ?? new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      const requested = typeof ctx.oidc.params?.scope === 'string' ? ctx.oidc.params.scope : 'openid';
      grant.addOIDCScope(
        requested
          .split(' ')
          .filter((s) => s !== FHIR_API_SCOPE)
          .concat('openid')
          .join(' '),
      );
      grant.addResourceScope(fhirBaseUrl, FHIR_API_SCOPE);
      await grant.save();
      return grant;
    },
  };

  const provider = new Provider(options.issuer, configuration);
  const callback = provider.callback();

  async function interaction(
    req: IncomingMessage,
    res: ServerResponse,
    uid: string,
    action: string | undefined,
  ): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid)
      return sendHtml(
        res,
        400,
        page('Sign-in failed', '<p role="alert">This sign-in link has expired. Start again from the app.</p>'),
      );
    if (details.prompt.name !== 'login') {
      // Consent for the first-party client is granted in loadExistingGrant; nothing to ask.
      const grant = new provider.Grant({ clientId, accountId: details.session?.accountId ?? '' });
      grant.addOIDCScope('openid profile fhirUser offline_access');
      grant.addResourceScope(fhirBaseUrl, FHIR_API_SCOPE);
      await provider.interactionFinished(
        req,
        res,
        { consent: { grantId: await grant.save() } },
        { mergeWithLastSubmission: true },
      );
      return;
    }
    if (req.method === 'GET' && action === undefined) return sendHtml(res, 200, loginPage(uid));
    if (req.method === 'POST' && action === 'login') {
      const form = new URLSearchParams(await readBody(req, 16 * 1024));
      const username = (form.get('username') ?? '').trim();
      const user = users.authenticate(username, form.get('password') ?? '');
      if (!user)
        return sendHtml(res, 401, loginPage(uid, 'Wrong username or password, or the account is disabled.', username));
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: user.username } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    sendHtml(res, 405, page('Not allowed', '<p role="alert">Method not allowed.</p>'));
  }

  function admin(req: IncomingMessage, res: ServerResponse, username: string, action: string): void {
    const given = Buffer.from(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '', 'utf8');
    const expected = Buffer.from(options.adminSecret, 'utf8');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="central-admin"' }).end();
      return;
    }
    if (req.method !== 'POST' || (action !== 'disable' && action !== 'enable')) {
      res.writeHead(405).end();
      return;
    }
    try {
      users.setDisabled(username, action === 'disable');
      res.writeHead(204).end();
    } catch {
      res.writeHead(404).end();
    }
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', options.issuer);
    const interactionMatch = /^\/interaction\/([\w-]+)(?:\/(\w+))?$/.exec(url.pathname);
    const adminMatch = /^\/admin\/users\/([^/]+)\/(\w+)$/.exec(url.pathname);
    if (interactionMatch) {
      interaction(req, res, interactionMatch[1] as string, interactionMatch[2]).catch((error: unknown) => {
        const expired = error instanceof errors.SessionNotFound || error instanceof errors.InvalidRequest;
        if (!res.headersSent) {
          sendHtml(
            res,
            expired ? 400 : 500,
            page(
              'Sign-in failed',
              `<p role="alert">${expired ? 'This sign-in has expired. Start again from the app.' : 'Something went wrong.'}</p>`,
            ),
          );
        } else res.end();
      });
    } else if (adminMatch) {
      admin(req, res, decodeURIComponent(adminMatch[1] as string), adminMatch[2] as string);
    } else {
      callback(req, res);
    }
  }

  return { provider, handle };
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new RangeError('body too large'));
        req.destroy();
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  });
  res.end(html);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Clinic identity provider</title>
<style>
body { font: 16px/1.5 system-ui, sans-serif; margin: 0; background: #f4f6f8; color: #1a1a1a; }
main { max-width: 24rem; margin: 10vh auto; background: #fff; padding: 2rem; border-radius: 8px; box-shadow: 0 1px 4px #0003; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { display: block; width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #555; border-radius: 4px; }
input:focus, button:focus { outline: 3px solid #0b5fff; outline-offset: 2px; }
button { margin-top: 1.5rem; padding: .6rem 1.2rem; font: inherit; font-weight: 600; color: #fff; background: #0b5394; border: 0; border-radius: 4px; cursor: pointer; }
[role=alert] { color: #a00000; font-weight: 600; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

function loginPage(uid: string, error?: string, username = ''): string {
  return page(
    'Sign in',
    `${error ? `<p role="alert" id="sign-in-error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login" aria-label="Sign in"${error ? ' aria-describedby="sign-in-error"' : ''}>
<label for="username">Username</label>
<input id="username" name="username" type="text" autocomplete="username" autocapitalize="none" spellcheck="false" required value="${escapeHtml(username)}"${username ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${username ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>`,
  );
}
