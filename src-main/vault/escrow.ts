import { createHash, createHmac, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';
import { readIfExists, writeFileAtomic } from '../base/index.ts';
import { CompactEncrypt, compactDecrypt } from 'jose';

/**
 * Key escrow: the cache key wrapped for IT's recovery public key as a JWE (jose), so a cache
 * whose keychain entry is lost can be recovered offline with IT's private key. RSA keys use
 * RSA-OAEP-256 and must be at least 3072 bits; X25519 keys use ECDH-ES+A256KW. Content is
 * AES-256-GCM. The JWE header records which key it is for (a SHA-256 thumbprint of the SPKI).
 */
const ESCROW_PURPOSE = 'clinic-workstation/vault-key-escrow/v1';

/** A recovery or escrow key problem, for IT: the key itself (RECOVERY_KEY) or an escrow file (ESCROW_DAMAGED). */
export class EscrowKeyError extends Error {
  override readonly name = 'EscrowKeyError';
  readonly code: 'RECOVERY_KEY' | 'ESCROW_DAMAGED';
  constructor(message: string, code: 'RECOVERY_KEY' | 'ESCROW_DAMAGED' = 'RECOVERY_KEY') {
    super(message);
    this.code = code;
  }
}

/**
 * A PEM block as Group Policy can carry it: its line breaks may have become spaces or vanished
 * (a one-line registry string). The base64 body is re-wrapped at 64 characters, as PEM expects.
 */
export function normalizePem(pem: string): string {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/.exec(pem.trim());
  if (!match) return pem;
  const body = (match[2] ?? '').replace(/\s+/g, '');
  return `-----BEGIN ${match[1]}-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END ${match[1]}-----\n`;
}

export function parseRecoveryPublicKey(pem: string): { key: KeyObject; alg: 'RSA-OAEP-256' | 'ECDH-ES+A256KW' } {
  let key: KeyObject;
  try {
    key = createPublicKey(normalizePem(pem));
  } catch {
    throw new EscrowKeyError('The recovery public key is not a PEM public key.');
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < 3072) throw new EscrowKeyError(`The RSA recovery key has ${bits} bits; at least 3072 are required.`);
    return { key, alg: 'RSA-OAEP-256' };
  }
  if (key.asymmetricKeyType === 'x25519') return { key, alg: 'ECDH-ES+A256KW' };
  throw new EscrowKeyError(`Recovery keys must be RSA (3072+) or X25519, not ${key.asymmetricKeyType ?? 'unknown'}.`);
}

/** SHA-256 of the key's SPKI: names which recovery key an escrow file was made for. */
export function recoveryKeyThumbprint(key: KeyObject): string {
  return createHash('sha256')
    .update(key.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/**
 * `purpose` names which key is wrapped (the cache key by default, or the audit key), inside the
 * encrypted payload and in the header, so one can never be unwrapped as the other.
 */
export async function wrapCacheKey(
  keyHex: string,
  recoveryPublicKeyPem: string,
  purpose: string = ESCROW_PURPOSE,
): Promise<string> {
  const { key, alg } = parseRecoveryPublicKey(recoveryPublicKeyPem);
  const payload = new TextEncoder().encode(JSON.stringify({ purpose, key: keyHex }));
  return new CompactEncrypt(payload)
    .setProtectedHeader({ alg, enc: 'A256GCM', kid: recoveryKeyThumbprint(key), cty: purpose })
    .encrypt(key);
}

/** Unwraps an escrowed key with IT's private key (a node KeyObject); throws when it does not fit. */
export async function unwrapCacheKey(
  jwe: string,
  privateKey: KeyObject,
  purpose: string = ESCROW_PURPOSE,
): Promise<string> {
  const { plaintext } = await compactDecrypt(jwe.trim(), privateKey);
  const body = JSON.parse(new TextDecoder().decode(plaintext)) as { purpose?: unknown; key?: unknown };
  if (body.purpose !== purpose || typeof body.key !== 'string' || !/^[0-9a-f]{64}$/.test(body.key)) {
    throw new EscrowKeyError('The escrow file does not hold the expected Clinic Workstation key.');
  }
  return body.key;
}

/**
 * An escrow file's integrity tag, kept beside it (`<file>.mac`): HMAC-SHA256 under the key it
 * wraps, written with it. A JWE can only be checked by decrypting it, with IT's private key, which
 * the workstation never has; the tag lets the workstation notice a damaged escrow at every open and
 * write it again from the live key, instead of IT finding out the day the escrow is needed.
 */
export function escrowTagFile(file: string): string {
  return `${file}.mac`;
}

function escrowTag(keyHex: string, jwe: string): string {
  return createHmac('sha256', Buffer.from(keyHex, 'hex'))
    .update('clinic-workstation/escrow-integrity/v1\n')
    .update(jwe)
    .digest('hex');
}

export function writeEscrow(file: string, jwe: string, keyHex: string): void {
  writeFileAtomic(file, jwe);
  writeFileAtomic(escrowTagFile(file), escrowTag(keyHex, jwe));
}

/** True when the escrow file is exactly what was written for this key. */
export function escrowIsIntact(file: string, keyHex: string): boolean {
  const jwe = readIfExists(file);
  const tag = readIfExists(escrowTagFile(file));
  if (jwe === null || tag === null) return false;
  const expected = Buffer.from(escrowTag(keyHex, jwe), 'hex');
  const found = Buffer.from(tag.trim(), 'hex');
  return found.length === expected.length && timingSafeEqual(found, expected);
}

/**
 * Seals bytes for IT's recovery public key (a JWE like the escrow's): what a salvage writes to
 * disk is readable only with IT's private key, offline.
 */
export async function sealForRecoveryKey(
  plaintext: Uint8Array,
  recoveryPublicKeyPem: string,
  purpose: string,
): Promise<string> {
  const { key, alg } = parseRecoveryPublicKey(recoveryPublicKeyPem);
  return new CompactEncrypt(plaintext)
    .setProtectedHeader({ alg, enc: 'A256GCM', kid: recoveryKeyThumbprint(key), cty: purpose })
    .encrypt(key);
}

export async function openSealed(jwe: string, privateKey: KeyObject, purpose: string): Promise<Uint8Array> {
  const { plaintext, protectedHeader } = await compactDecrypt(jwe.trim(), privateKey);
  if (protectedHeader.cty !== purpose)
    throw new EscrowKeyError('This file is not a Clinic Workstation salvage.', 'ESCROW_DAMAGED');
  return plaintext;
}
