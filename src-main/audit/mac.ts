import { hash } from 'node:crypto';

/**
 * HMAC-SHA-256 (RFC 2104) of `previous || canonical` for the audit chain, built on Node's one-shot
 * SHA-256 with the key's inner and outer pads computed once. Node's createHmac produces the same
 * bytes (tests/unit/audit-mac.test.ts checks it on generated keys and texts), but allocates a
 * keyed context per call, which is most of the cost when verifying hundreds of thousands of
 * entries; this makes two hash calls over reused buffers instead.
 */
export type EntryMac = (previous: Buffer, canonical: string) => Buffer;

const BLOCK = 64;
const DIGEST = 32;

export function createEntryMac(key: Buffer): EntryMac {
  if (key.length === 0) throw new RangeError('The audit key is empty.');
  // Keys longer than a block are hashed first (RFC 2104); ours are 32 bytes.
  const k = key.length > BLOCK ? hash('sha256', key, 'buffer') : key;
  const ipad = Buffer.alloc(BLOCK, 0x36);
  const opad = Buffer.alloc(BLOCK, 0x5c);
  for (let i = 0; i < k.length; i++) {
    ipad[i]! ^= k[i]!;
    opad[i]! ^= k[i]!;
  }
  let inner = Buffer.allocUnsafe(BLOCK + DIGEST + 4096);
  ipad.copy(inner, 0);
  const outer = Buffer.allocUnsafe(BLOCK + DIGEST);
  opad.copy(outer, 0);
  // The key material stays in these closures only; nothing is exported or logged.

  return (previous, canonical) => {
    if (previous.length !== DIGEST) throw new RangeError('The previous hash must be 32 bytes.');
    // Three bytes per UTF-16 unit is the most UTF-8 can take: never truncate.
    if (BLOCK + DIGEST + canonical.length * 3 > inner.length) {
      inner = Buffer.allocUnsafe(BLOCK + DIGEST + canonical.length * 3);
      ipad.copy(inner, 0);
    }
    previous.copy(inner, BLOCK);
    const written = inner.write(canonical, BLOCK + DIGEST, 'utf8');
    hash('sha256', inner.subarray(0, BLOCK + DIGEST + written), 'buffer').copy(outer, BLOCK);
    return hash('sha256', outer, 'buffer');
  };
}
