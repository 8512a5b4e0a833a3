/**
 * How the window writes patients' facts, dates and times: one place, so a sex reads "Male" in
 * the list, the banner and the chart alike, and every date follows the locale of the operating
 * system (Chromium's, which Electron takes from the OS) through Intl, never a hand-made format.
 *
 * FHIR dates ("1980-04-18", "1980-04", "1980") are calendar dates, not instants: they are read and
 * written in UTC so that no time zone moves a birthday by a day. dateTimes and epoch milliseconds
 * are instants, shown in the local time zone.
 */

const SEX: Readonly<Record<string, string>> = {
  male: 'Male',
  female: 'Female',
  other: 'Other',
  unknown: 'Unknown',
};

/** FHIR administrative gender in words ("Male"); "Not recorded" when absent. */
export function describeSex(gender: string | null): string {
  if (!gender) return 'Not recorded';
  return SEX[gender] ?? gender.charAt(0).toUpperCase() + gender.slice(1);
}

const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

/** Today's calendar date where the clinician is, as UTC midnight (to compare with FHIR dates). */
function todayUtc(now: Date): Date {
  return new Date(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()));
}

/**
 * Age from a FHIR birth date, as clinicians say it: years from 2 on, months under 2, days under a
 * month; null when the date is missing, partial (a year alone does not give an age) or in the future.
 */
export function ageOf(birthDate: string | null, now: Date = new Date()): string | null {
  const match = birthDate ? FHIR_DATE.exec(birthDate) : null;
  if (!match || match[3] === undefined) return null;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const today = todayUtc(now);
  const born = Date.UTC(year, month - 1, day);
  if (born > today.getTime()) return null;
  let months = (today.getUTCFullYear() - year) * 12 + (today.getUTCMonth() - (month - 1));
  if (today.getUTCDate() < day) months--;
  if (months >= 24) {
    const years = Math.floor(months / 12);
    return `${years} years`;
  }
  if (months >= 1) return `${months} ${months === 1 ? 'month' : 'months'}`;
  const days = Math.round((today.getTime() - born) / 86_400_000);
  return `${days} ${days === 1 ? 'day' : 'days'}`;
}

/**
 * Each format made once and kept: building an Intl.DateTimeFormat costs far more than using one,
 * and a chart formats a date for every row it shows (the window's locale does not change while
 * it runs).
 */
const formats = new Map<string, Intl.DateTimeFormat>();
function format(locale: string | undefined, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  const key = `${locale ?? ''}|${JSON.stringify(options)}`;
  let made = formats.get(key);
  if (!made) formats.set(key, (made = new Intl.DateTimeFormat(locale, options)));
  return made;
}

const dateFormat = () => format(undefined, { year: 'numeric', month: 'short', day: 'numeric', timeZone: 'UTC' });
const numericDateFormat = (locale?: string) =>
  format(locale, { year: 'numeric', month: '2-digit', day: '2-digit', timeZone: 'UTC' });

/**
 * A FHIR date or dateTime in the locale's words: "Apr 18, 1980" (en-US), "18. Apr. 1980" (de-DE);
 * with the time when the value has one. `fallback` when absent or unreadable.
 */
export function formatDate(value: string | null, fallback = 'Date not recorded'): string {
  if (!value) return fallback;
  const match = FHIR_DATE.exec(value);
  if (match) {
    const [year, month, day] = [Number(match[1]), match[2], match[3]];
    if (month === undefined) return String(year);
    if (day === undefined)
      return format(undefined, { year: 'numeric', month: 'short', timeZone: 'UTC' }).format(
        new Date(Date.UTC(year, Number(month) - 1, 1)),
      );
    return dateFormat().format(new Date(Date.UTC(year, Number(month) - 1, Number(day))));
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? fallback : formatDateTime(at);
}

/** An instant (epoch ms or a dateTime) in the locale's date and time, local time zone. */
export function formatDateTime(value: number | string): string {
  const at = typeof value === 'number' ? value : Date.parse(value);
  return format(undefined, { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at));
}

/** An instant's time of day ("3:45 PM", "15:45"), with the date too when it is not today. */
export function formatClock(ms: number, now: Date = new Date()): string {
  const at = new Date(ms);
  const time = format(undefined, { timeStyle: 'short' }).format(at);
  return at.toDateString() === now.toDateString() ? time : formatDateTime(ms);
}

type DatePart = 'day' | 'month' | 'year';

/**
 * The locale's numeric date: the order of day, month and year and what separates them, read from
 * Intl (en-US: MM/DD/YYYY; en-GB: DD/MM/YYYY; de-DE: DD.MM.YYYY; ISO-style locales: YYYY-MM-DD).
 */
export function numericDatePattern(locale?: string): { order: DatePart[]; separator: string; hint: string } {
  const parts = numericDateFormat(locale).formatToParts(new Date(Date.UTC(2000, 10, 22)));
  const order = parts
    .filter((p) => p.type === 'day' || p.type === 'month' || p.type === 'year')
    .map((p) => p.type as DatePart);
  const separator = parts.find((p) => p.type === 'literal')?.value ?? '/';
  const word: Record<DatePart, string> = { day: 'DD', month: 'MM', year: 'YYYY' };
  return { order, separator: separator.trim() || separator, hint: order.map((p) => word[p]).join(separator) };
}

/**
 * A birth date typed in the locale's numeric format ("04/18/1980" in en-US, "18.04.1980" in
 * de-DE; one-digit day and month accepted, any of / . - as the separator) as the FHIR date the
 * search understands; null when the text is not such a date or names no real day.
 */
export function localeDateToIso(text: string, locale?: string): string | null {
  const pieces = text.trim().split(/\s*[./-]\s*/);
  if (pieces.length !== 3 || !pieces.every((p) => /^\d{1,4}$/.test(p))) return null;
  const { order } = numericDatePattern(locale);
  const value: Partial<Record<DatePart, string>> = {};
  order.forEach((part, index) => (value[part] = pieces[index]));
  const { year, month, day } = value;
  if (!year || !month || !day || year.length !== 4 || month.length > 2 || day.length > 2) return null;
  const [y, m, d] = [Number(year), Number(month), Number(day)];
  const date = new Date(Date.UTC(y, m - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== m - 1 || date.getUTCDate() !== d) return null;
  return `${year}-${month.padStart(2, '0')}-${day.padStart(2, '0')}`;
}
