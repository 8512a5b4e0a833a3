/**
 * The session's messages for people: what the sign-in and PIN screens say when something did not
 * work, in words a clinician can act on (never a code, a token or a stack).
 */
import { CoreError } from '../base/index.ts';
import { OidcError, type PinCheckResult, type PinError, type PinRuleReason } from '../identity/index.ts';

/** Why a sign-in at the provider did not complete. */
export function failureMessage(error: unknown): string {
  if (error instanceof OidcError) {
    switch (error.code) {
      case 'NETWORK':
        return 'The identity provider could not be reached. If the network is down, sign in with your username and PIN.';
      case 'TIMEOUT':
        return 'The sign-in took too long and was stopped. Try again.';
      case 'NO_ROLE':
      case 'AMBIGUOUS_ROLE':
        return 'Your account has no role this workstation accepts. Ask IT to check your access.';
      default:
        return error.message;
    }
  }
  return 'The sign-in could not be completed. Try again, or contact IT if it keeps failing.';
}

/**
 * A PIN that was not accepted, as the error to throw. `offline` (a PIN sign-in) never tells
 * whether the username or the PIN was wrong.
 */
export function pinFailure(result: Exclude<PinCheckResult, { ok: true }>, offline: boolean): CoreError {
  switch (result.reason) {
    case 'wrong':
      return new CoreError(
        'unauthenticated',
        offline
          ? 'The username or PIN is not right.'
          : `Wrong PIN. ${result.remaining ?? 0} ${result.remaining === 1 ? 'attempt' : 'attempts'} left before a full sign-in is needed.`,
      );
    case 'lockedOut':
      return new CoreError(
        'unauthenticated',
        'Too many wrong PINs. Sign in with your password at the identity provider.',
      );
    case 'offlineWindowExpired':
      return new CoreError(
        'unauthenticated',
        'Signing in with a PIN has expired for this account. Sign in with your password at the identity provider.',
      );
    case 'revoked':
    case 'noPin':
      return new CoreError(
        'unauthenticated',
        offline ? 'The username or PIN is not right.' : 'Sign in with your password at the identity provider.',
      );
  }
}

/** Why a new PIN was refused: each broken rule in words. */
export function pinRulesMessage(error: PinError): string {
  if (error.code !== 'PIN_RULES') return error.message;
  const words: Record<PinRuleReason, string> = {
    notDigits: 'use digits only',
    tooShort: 'it is too short',
    tooLong: 'it is too long',
    sameDigit: 'it repeats one digit',
    sequence: 'it is a simple sequence',
    repeatedPattern: 'it repeats a pattern',
    denyListed: 'it is too common',
  };
  return `Choose another PIN: ${error.reasons.map((reason) => words[reason]).join(', ')}.`;
}
