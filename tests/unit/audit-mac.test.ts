import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEntryMac } from '../../src-main/audit/mac.ts';

describe('audit entry MAC', () => {
  it('is HMAC-SHA-256 of previous || canonical, byte for byte, for any key length and any text', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 3000 }), { maxLength: 4 }),
        (key, previous, texts) => {
          const mac = createEntryMac(Buffer.from(key));
          for (const text of texts) {
            const expected = createHmac('sha256', Buffer.from(key)).update(Buffer.from(previous)).update(text).digest();
            expect(mac(Buffer.from(previous), text).equals(expected)).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grows its buffer for long entries instead of truncating them', () => {
    const key = Buffer.alloc(32, 9);
    const mac = createEntryMac(key);
    const long = 'é'.repeat(20_000);
    expect(mac(Buffer.alloc(32), long)).toEqual(
      createHmac('sha256', key).update(Buffer.alloc(32)).update(long).digest(),
    );
    expect(mac(Buffer.alloc(32), 'a')).toEqual(createHmac('sha256', key).update(Buffer.alloc(32)).update('a').digest());
  });

  it('refuses an empty key and a previous hash of the wrong size', () => {
    expect(() => createEntryMac(Buffer.alloc(0))).toThrow(RangeError);
    expect(() => createEntryMac(Buffer.alloc(32))(Buffer.alloc(31), 'x')).toThrow(RangeError);
  });
});
