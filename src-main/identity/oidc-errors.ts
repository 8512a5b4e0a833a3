/**
 * Typed failures of the OpenID Connect sign-in and refresh. Messages say what went wrong in
 * words fixed here: never a token, an authorization code, a username, a claim value or a URL
 * with parameters (they must not reach a log or an IPC error by accident).
 */
export type OidcErrorCode =
  /** The user cancelled at the provider (error=access_denied) or the sign-in was aborted. */
  | 'CANCELLED'
  /** No callback arrived within the time allowed; the loopback port is closed. */
  | 'TIMEOUT'
  /** The provider answered with an OAuth error (in the callback or at the token endpoint). */
  | 'PROVIDER_ERROR'
  /** A callback arrived whose state is not the one of this sign-in. */
  | 'STATE_MISMATCH'
  /** The role claim is missing, or none of its values is in the role map. */
  | 'NO_ROLE'
  /** The role claim maps to more than one workstation role. */
  | 'AMBIGUOUS_ROLE'
  /** The ID token lacks a usable subject, or its fhirUser is not a Practitioner reference. */
  | 'INVALID_IDENTITY'
  /** The provider could not be reached (connection refused, reset, timed out). */
  | 'NETWORK'
  /** The issuer (or an endpoint it advertises) is plain HTTP on a host that is not loopback. */
  | 'INSECURE_ISSUER'
  /** The AuthBrowser port could not open the provider's page. */
  | 'BROWSER'
  /** Options passed by the caller are not valid. */
  | 'INVALID_INPUT';

export class OidcError extends Error {
  override readonly name = 'OidcError';
  constructor(
    readonly code: OidcErrorCode,
    message: string,
    /** The OAuth error code from the provider (e.g. access_denied), when there is one. */
    readonly providerError?: string,
  ) {
    super(message);
  }
}

/** OAuth error codes are short ASCII words; anything else is not echoed. */
export function safeOAuthErrorCode(value: unknown): string | undefined {
  return typeof value === 'string' && /^[a-z0-9_.-]{1,64}$/i.test(value) ? value : undefined;
}
