/**
 * The review history's CSV export (issue 16): RFC 4180 quoting, and free text that a spreadsheet
 * would run as a formula (a justification or comment starting with =, +, -, @) kept as text.
 */
import { describe, expect, it } from 'vitest';
import { csvField } from '../../src-main/break-glass/review-history.ts';

describe('review export CSV fields', () => {
  it('quotes every field and doubles quotes; commas and line breaks stay inside the field', () => {
    expect(csvField('plain')).toBe('"plain"');
    expect(csvField('said "genuine", twice\r\nthen left')).toBe('"said ""genuine"", twice\r\nthen left"');
  });

  it('turns what would start a formula into text', () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r'])
      expect(csvField(`${start}HYPERLINK("x")`)).toBe(`"'${start}HYPERLINK(""x"")"`);
    expect(csvField('a=b')).toBe('"a=b"');
  });
});
