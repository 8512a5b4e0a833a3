import { z } from 'zod';

/** Why a new PIN was refused (the rules are in pin.ts). */
export type PinRuleReason =
  /** Something other than the digits 0-9. */
  | 'notDigits'
  /** Shorter than policy pinMinLength. */
  | 'tooShort'
  /** Longer than PIN_MAX_LENGTH. */
  | 'tooLong'
  /** One digit repeated: 000000, 777777. */
  | 'sameDigit'
  /** Digits in a constant step, wrapping at 9: 123456, 654321, 012345, 890123, 246802. */
  | 'sequence'
  /** A shorter group repeated: 121212, 123123, 12341234. */
  | 'repeatedPattern'
  /** On the list of PINs people pick most (keypad shapes, mirrored runs, pairs). */
  | 'denyListed';

/**
 * Typed failures of the PIN capability. Messages say what was wrong with an input, never the
 * input: no PIN, no hash, no user id (a PIN must not reach a log or an IPC error by accident).
 */
export type PinErrorCode =
  /** A user id, PIN or time that is not of the expected type or shape. */
  | 'INVALID_INPUT'
  /** A new PIN broke the rules; `reasons` says which. */
  | 'PIN_RULES'
  /** Setting a PIN needs a recent full sign-in that was not undone by a lockout or revocation. */
  | 'FULL_SIGN_IN_REQUIRED'
  /** A stored hash could not be read. */
  | 'HASH_FORMAT';

export class PinError extends Error {
  override readonly name = 'PinError';
  constructor(
    readonly code: PinErrorCode,
    message: string,
    readonly reasons: readonly PinRuleReason[] = [],
  ) {
    super(message);
  }
}

/**
 * App-generated user ids: 1-128 characters of letters, digits and `._:-`, starting with a letter
 * or digit (a UUID or an opaque provider subject fits; an e-mail address or a name does not).
 */
export const UserId = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);

/** A PIN as typed: digits only, 4 to 12 of them (policy may ask for more than 4 when setting). */
export const PinInput = z.string().regex(/^[0-9]{4,12}$/);

/** Milliseconds since the epoch. */
export const Timestamp = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);

function parseWith<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  // Never echo the value or zod's issue (which could quote it): name the field only.
  if (!result.success) throw new PinError('INVALID_INPUT', `${what} is missing or not in the expected format.`);
  return result.data;
}

export const parseUserId = (value: unknown): string => parseWith(UserId, value, 'The user id');
export const parsePinInput = (value: unknown): string => parseWith(PinInput, value, 'The PIN');
export const parseTimestamp = (value: unknown, what: string): number => parseWith(Timestamp, value, what);
