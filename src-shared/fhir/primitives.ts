import { z } from 'zod';

/**
 * FHIR R4 primitive types (https://hl7.org/fhir/R4/datatypes.html#primitive), as zod schemas.
 *
 * The regular expressions are the ones the specification publishes. The specification writes
 * them for Java/XML Schema, where `\s` means only ASCII whitespace, so `\s` is spelled out below
 * (JavaScript's `\s` would also match a no-break space, which FHIR treats as ordinary text).
 */

const WS = ' \\t\\n\\x0B\\f\\r';

/** id: `[A-Za-z0-9\-\.]{1,64}` */
export const FHIR_ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

const YEAR = '([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)';
const MONTH = '(0[1-9]|1[0-2])';
const DAY = '(0[1-9]|[1-2][0-9]|3[0-1])';
const TIME = '([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\\.[0-9]+)?';
const ZONE = '(Z|(\\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))';

/** date: YYYY, YYYY-MM or YYYY-MM-DD, no time zone. */
export const FHIR_DATE_PATTERN = new RegExp(`^${YEAR}(-${MONTH}(-${DAY})?)?$`);
/** dateTime: a date, or a full date with a time and a time zone. */
export const FHIR_DATE_TIME_PATTERN = new RegExp(`^${YEAR}(-${MONTH}(-${DAY}(T${TIME}${ZONE})?)?)?$`);
/** instant: always a full date, time and time zone. */
export const FHIR_INSTANT_PATTERN = new RegExp(`^${YEAR}-${MONTH}-${DAY}T${TIME}${ZONE}$`);
/** time: a time of day, no time zone. */
export const FHIR_TIME_PATTERN = new RegExp(`^${TIME}$`);
/** code: no leading or trailing whitespace, single whitespace between words. */
export const FHIR_CODE_PATTERN = new RegExp(`^[^${WS}]+([${WS}][^${WS}]+)*$`);
/** uri: no whitespace. */
export const FHIR_URI_PATTERN = new RegExp(`^[^${WS}]*$`);

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const BASE64_WHITESPACE = new RegExp(`[${WS}]+`, 'g');

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The spec's regexes accept 2023-02-31; a real calendar does not. Called only on strings that
 * already matched one of the date patterns, so the first ten characters are YYYY[-MM[-DD]].
 */
export function isCalendarDate(value: string): boolean {
  if (value.length < 10) return true;
  const year = Number(value.slice(0, 4));
  const month = Number(value.slice(5, 7));
  const day = Number(value.slice(8, 10));
  return day <= daysInMonth(year, month);
}

/** string: any non-empty text (FHIR forbids empty strings; absent elements are left out). */
export const fhirString = z.string().min(1, 'FHIR strings must not be empty');
export const markdown = fhirString;

export const id = z.string().regex(FHIR_ID_PATTERN, 'Invalid FHIR id (1-64 of A-Z a-z 0-9 - .)');
export const code = z.string().regex(FHIR_CODE_PATTERN, 'Invalid FHIR code');
export const uri = z.string().min(1, 'FHIR uri must not be empty').regex(FHIR_URI_PATTERN, 'Invalid FHIR uri');
export const url = uri;
export const canonical = uri;

export const date = z
  .string()
  .regex(FHIR_DATE_PATTERN, 'Invalid FHIR date (YYYY, YYYY-MM or YYYY-MM-DD)')
  .refine(isCalendarDate, 'Not a calendar date');
export const dateTime = z
  .string()
  .regex(FHIR_DATE_TIME_PATTERN, 'Invalid FHIR dateTime')
  .refine(isCalendarDate, 'Not a calendar date');
export const instant = z
  .string()
  .regex(FHIR_INSTANT_PATTERN, 'Invalid FHIR instant')
  .refine(isCalendarDate, 'Not a calendar date');
export const time = z.string().regex(FHIR_TIME_PATTERN, 'Invalid FHIR time');

export const decimal = z.number().finite();
export const integer = z.number().int().min(-2147483648).max(2147483647);
export const positiveInt = z.number().int().min(1).max(2147483647);
export const unsignedInt = z.number().int().min(0).max(2147483647);
export const boolean = z.boolean();

/** base64Binary, whitespace allowed between groups as the spec's regex does. */
export const base64Binary = z
  .string()
  .min(1, 'FHIR base64Binary must not be empty')
  .refine((value) => {
    const compact = value.replace(BASE64_WHITESPACE, '');
    return compact.length > 0 && BASE64.test(compact);
  }, 'Invalid base64');
