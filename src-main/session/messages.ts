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
 * Every refused offline sign-in before a right PIN, whatever the reason (unknown user, wrong PIN,
 * locked out): one message, so the sign-in screen does not tell who has an account here (issue 17).
 */
export const OFFLINE_REFUSAL =
  'The username or PIN is not right. If it keeps failing, sign in with your password at the identity provider.';

/**
 * A PIN that was not accepted, as the error to throw. `offline` (a PIN sign-in) says only
 * OFFLINE_REFUSAL, except for the two reasons pin-store gives only after a right PIN (an expired
 * offline window, a revoked account).
 */
export function pinFailure(result: Exclude<PinCheckResult, { ok: true }>, offline: boolean): CoreError {
  if (offline) {
    switch (result.reason) {
      case 'offlineWindowExpired':
        return new CoreError(
          'unauthenticated',
          'Signing in with a PIN has expired for this account. Sign in with your password at the identity provider.',
        );
      case 'revoked':
        return new CoreError(
          'unauthenticated',
          'The identity provider no longer accepts this account here. Sign in with your password at the identity provider, or contact IT.',
        );
      default:
        return new CoreError('unauthenticated', OFFLINE_REFUSAL);
    }
  }
  switch (result.reason) {
    case 'wrong':
      return new CoreError(
        'unauthenticated',
        `Wrong PIN. ${result.remaining ?? 0} ${result.remaining === 1 ? 'attempt' : 'attempts'} left before a full sign-in is needed.`,
      );
    case 'lockedOut':
      return new CoreError(
        'unauthenticated',
        'Too many wrong PINs. Sign in with your password at the identity provider.',
      );
    case 'offlineWindowExpired':
    case 'revoked':
    case 'noPin':
      return new CoreError('unauthenticated', 'Sign in with your password at the identity provider.');
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
