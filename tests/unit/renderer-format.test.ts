/**
 * The window's words for patients' facts and dates (src-renderer/format.ts, issue 16): sex in
 * words, age from a birth date, and a birth date typed in the locale's numeric format read as
 * the FHIR date the search understands, for several locales.
 */
import { describe, expect, it } from 'vitest';
import { ageOf, describeSex, localeDateToIso, numericDatePattern } from '../../src-renderer/format.ts';

describe('describeSex', () => {
  it('writes every administrative gender the same way, capitalized', () => {
    expect(describeSex('male')).toBe('Male');
    expect(describeSex('female')).toBe('Female');
    expect(describeSex('other')).toBe('Other');
    expect(describeSex('unknown')).toBe('Unknown');
    expect(describeSex(null)).toBe('Not recorded');
  });
});

describe('ageOf', () => {
  const now = new Date(2026, 11, 3, 12, 0); // 3 December 2026, local noon
  it('counts whole years, the birthday itself included', () => {
    expect(ageOf('1980-04-18', now)).toBe('46 years');
    expect(ageOf('1980-12-03', now)).toBe('46 years');
    expect(ageOf('1980-12-04', now)).toBe('45 years');
  });
  it('says months under two years and days under a month', () => {
    expect(ageOf('2025-06-03', now)).toBe('18 months');
    expect(ageOf('2026-11-02', now)).toBe('1 month');
    expect(ageOf('2026-11-20', now)).toBe('13 days');
  });
  it('gives no age for a partial, missing or future date', () => {
    expect(ageOf('1980', now)).toBeNull();
    expect(ageOf('1980-04', now)).toBeNull();
    expect(ageOf(null, now)).toBeNull();
    expect(ageOf('2027-01-01', now)).toBeNull();
    expect(ageOf('not a date', now)).toBeNull();
  });
});

describe('birth dates typed in the locale', () => {
  it('reads the order of day, month and year from Intl, for the hint', () => {
    expect(numericDatePattern('en-US').hint).toBe('MM/DD/YYYY');
    expect(numericDatePattern('en-GB').hint).toBe('DD/MM/YYYY');
    expect(numericDatePattern('de-DE').hint).toBe('DD.MM.YYYY');
  });
  it('turns 04/18/1980 (en-US), 18/04/1980 (en-GB) and 18.04.1980 (de-DE) into 1980-04-18', () => {
    expect(localeDateToIso('04/18/1980', 'en-US')).toBe('1980-04-18');
    expect(localeDateToIso('4/8/1980', 'en-US')).toBe('1980-04-08');
    expect(localeDateToIso('18/04/1980', 'en-GB')).toBe('1980-04-18');
    expect(localeDateToIso('18.04.1980', 'de-DE')).toBe('1980-04-18');
    expect(localeDateToIso(' 18.4.1980 ', 'de-DE')).toBe('1980-04-18');
  });
  it('leaves what is not a real date in that order to the search as typed', () => {
    expect(localeDateToIso('18/04/1980', 'en-US')).toBeNull(); // month 18
    expect(localeDateToIso('02/30/1980', 'en-US')).toBeNull(); // no 30 February
    expect(localeDateToIso('1980-04-18', 'en-US')).toBeNull(); // ISO is searched as it is
    expect(localeDateToIso('04/18/80', 'en-US')).toBeNull(); // a two-digit year is ambiguous
    expect(localeDateToIso('Smith', 'en-US')).toBeNull();
    expect(localeDateToIso('12345678', 'en-US')).toBeNull();
  });
});
