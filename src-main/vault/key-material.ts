import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A 256-bit random key, hex encoded: SQLCipher takes it raw, with no passphrase KDF per open. */
export function generateCacheKey(): string {
  return randomBytes(32).toString('hex');
}

export function isCacheKey(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

/** Keychain account names: one per cache (derived from its folder) and purpose. */
export function keychainAccounts(dataDir: string): { current: string; next: string } {
  const cacheId = createHash('sha256').update(dataDir).digest('hex').slice(0, 16);
  return { current: `cache-key:${cacheId}`, next: `cache-key-next:${cacheId}` };
}

const KEY_CHECK_LABEL = 'clinic-workstation/vault/key-check/v1';

/** A MAC of a fixed label under the key: reveals nothing about the key, proves a key is "the" key. */
export function keyCheckValue(keyHex: string): string {
  return createHmac('sha256', Buffer.from(keyHex, 'hex')).update(KEY_CHECK_LABEL).digest('hex');
}

export function keyMatchesCheck(keyHex: string, check: string): boolean {
  const expected = Buffer.from(keyCheckValue(keyHex), 'hex');
  const actual = Buffer.from(check.trim(), 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
