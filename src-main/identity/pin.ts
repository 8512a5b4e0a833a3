import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type { Policy } from '../../src-shared/policy/schema.ts';
import { PinError, parsePinInput, type PinRuleReason } from './errors.ts';

export type { PinRuleReason } from './errors.ts';

/**
 * PIN rules and hashing (PRODUCT.md capability 2, issue 4 "PIN").
 *
 * PINs are digits only, PIN_MAX_LENGTH at most and at least the policy minimum (pinMinLength,
 * 4..12, default 6): a PIN is typed on the lock screen of a shared workstation, often on a
 * keypad, and digits-only keeps the rules below meaningful. Trivial PINs are refused.
 *
 * Hashes use scrypt from node:crypto (argon2 is not in Electron's BoringSSL, and no native
 * dependency is added). The stored string names its parameters, so they can rise later:
 *
 *   scrypt$<N>$<r>$<p>$<salt, base64>$<hash, base64>
 *
 * The cost is calibrated on each workstation (issue 17): a fixed N = 2^15 measured 74-86 ms on
 * the reference machine, under the budget of 100-300 ms per check (too fast is too weak; `npm run
 * bench`, tests/bench/pin.ts). calibratedPinCost() measures this machine once per process and
 * picks N and r for about 170 ms (the budget's geometric middle, so a machine busier or quieter
 * than at calibration stays inside), never below CURRENT_SCRYPT_PARAMS. A PIN is hashed at that
 * cost when it is set, the cost is stored in the hash string, and a hash weaker than it is
 * upgraded at the user's next right PIN (needsRehash). scrypt runs on libuv's thread pool, so a
 * check never blocks the main process.
 */

export const PIN_ABSOLUTE_MIN_LENGTH = 4;
export const PIN_MAX_LENGTH = 12;

export type PinRuleResult = { ok: true } | { ok: false; reasons: PinRuleReason[] };

/**
 * Common PINs the rules above do not already catch: keypad shapes, mirrored runs, doubled digits,
 * well-known numbers. Checked on the whole PIN and on its first six digits.
 */
export const PIN_DENY_LIST: ReadonlySet<string> = new Set([
  '000000',
  '111111',
  '123123',
  '112233',
  '696969',
  '159753',
  '357951',
  '753951',
  '951357',
  '147258',
  '258369',
  '369258',
  '147852',
  '258456',
  '852456',
  '963852',
  '741852',
  '789456',
  '456123',
  '321654',
  '987321',
  '123321',
  '456654',
  '654456',
  '321123',
  '789987',
  '102030',
  '112211',
  '122112',
  '121121',
  '110011',
  '001100',
  '100001',
  '011010',
  '778899',
  '998877',
  '332211',
  '665544',
  '445566',
  '135790',
  '246810',
  '142536',
  '131313',
  '420420',
  '123654',
  '1111',
  '1234',
  '0000',
  '1212',
  '1004',
  '2000',
  '2580',
  '6969',
  '1122',
  '4321',
  '7777',
]);

function isConstantStep(digits: readonly number[]): boolean {
  if (digits.length < 2) return false;
  const step = (digits[1]! - digits[0]! + 10) % 10;
  return digits.every((d, i) => i === 0 || (d - digits[i - 1]! + 10) % 10 === step);
}

function isRepeatedGroup(pin: string): boolean {
  for (let size = 1; size <= pin.length / 2; size++) {
    if (pin.length % size === 0 && pin.slice(0, size).repeat(pin.length / size) === pin) return true;
  }
  return false;
}

/** Checks a new PIN against the rules; every reason that applies is returned. */
export function checkPinRules(pin: string, policy: Pick<Policy['identity'], 'pinMinLength'>): PinRuleResult {
  const reasons: PinRuleReason[] = [];
  if (!/^[0-9]*$/.test(pin)) reasons.push('notDigits');
  if (pin.length < Math.max(policy.pinMinLength, PIN_ABSOLUTE_MIN_LENGTH)) reasons.push('tooShort');
  if (pin.length > PIN_MAX_LENGTH) reasons.push('tooLong');
  if (reasons.includes('notDigits') || pin.length === 0) return { ok: false, reasons };

  const digits = [...pin].map(Number);
  if (digits.every((d) => d === digits[0])) reasons.push('sameDigit');
  else if (isConstantStep(digits)) reasons.push('sequence');
  else if (isRepeatedGroup(pin)) reasons.push('repeatedPattern');
  if (PIN_DENY_LIST.has(pin) || PIN_DENY_LIST.has(pin.slice(0, 6))) reasons.push('denyListed');
  return reasons.length === 0 ? { ok: true } : { ok: false, reasons };
}

export interface ScryptParams {
  /** CPU/memory cost, a power of two. */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
  /** Derived key length in bytes. */
  keylen: number;
}

/**
 * The floor: N = 2^15, r = 8, p = 1 (32 MiB per check), 32-byte key. Calibration never picks a
 * cost below it, whatever the machine; stored hashes below the calibrated cost are re-hashed at
 * the user's next right PIN (needsRehash).
 */
export const CURRENT_SCRYPT_PARAMS: Readonly<ScryptParams> = Object.freeze({ N: 2 ** 15, r: 8, p: 1, keylen: 32 });

export const SALT_BYTES = 16;

/** Bounds on what a stored string may ask for, so a tampered row cannot make a check hang. */
const LIMITS = { maxN: 2 ** 20, maxR: 32, maxP: 16, minKeylen: 16, maxKeylen: 64, minSaltBytes: 16, maxSaltBytes: 64 };

export interface ParsedPinHash extends ScryptParams {
  salt: Buffer;
  hash: Buffer;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const INTEGER = /^[1-9][0-9]{0,9}$/;

/** Reads a stored hash string; throws PinError('HASH_FORMAT') for anything malformed. */
export function parsePinHash(stored: string): ParsedPinHash {
  const fail = (): never => {
    throw new PinError('HASH_FORMAT', 'The stored PIN hash is not in a format this app understands.');
  };
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return fail();
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  if (![n, r, p].every((x) => INTEGER.test(x)) || ![salt, hash].every((x) => BASE64.test(x))) return fail();
  const parsed: ParsedPinHash = {
    N: Number(n),
    r: Number(r),
    p: Number(p),
    salt: Buffer.from(salt, 'base64'),
    hash: Buffer.from(hash, 'base64'),
    keylen: 0,
  };
  parsed.keylen = parsed.hash.length;
  const powerOfTwo = parsed.N >= 2 && (parsed.N & (parsed.N - 1)) === 0;
  if (!powerOfTwo || parsed.N > LIMITS.maxN || parsed.r > LIMITS.maxR || parsed.p > LIMITS.maxP) return fail();
  if (parsed.keylen < LIMITS.minKeylen || parsed.keylen > LIMITS.maxKeylen) return fail();
  if (parsed.salt.length < LIMITS.minSaltBytes || parsed.salt.length > LIMITS.maxSaltBytes) return fail();
  return parsed;
}

function derive(pin: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  // scrypt needs 128 * N * r bytes; Node's default maxmem (32 MiB) is exactly today's need, so
  // allow twice that plus room for p.
  const options: ScryptOptions = {
    N: params.N,
    r: params.r,
    p: params.p,
    maxmem: 256 * params.N * params.r + 1024 * 1024,
  };
  return new Promise((resolve, reject) => {
    scrypt(pin, salt, params.keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function format(params: ScryptParams, salt: Buffer, hash: Buffer): string {
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64'), hash.toString('base64')].join('$');
}

/** Hashes a PIN with a fresh random salt. Asynchronous (thread pool); validates the input. */
export async function hashPin(pin: string, params: ScryptParams = CURRENT_SCRYPT_PARAMS): Promise<string> {
  const checked = parsePinInput(pin);
  const salt = randomBytes(SALT_BYTES);
  return format(params, salt, await derive(checked, salt, params));
}

/** scrypt's work is proportional to N * r * p (r and p also scale it linearly). */
const workOf = (params: Pick<ScryptParams, 'N' | 'r' | 'p'>): number => params.N * params.r * params.p;

/**
 * True when a stored hash costs less work than `current` (or has a shorter salt or key). Work,
 * not each parameter: calibration trades N for r, and a hash that costs as much is as strong.
 */
export function needsRehash(stored: string, current: ScryptParams = CURRENT_SCRYPT_PARAMS): boolean {
  const parsed = parsePinHash(stored);
  return workOf(parsed) < workOf(current) || parsed.keylen < current.keylen || parsed.salt.length < SALT_BYTES;
}

/** Calibration measures at a quarter of the floor's N: cheap (about 40 ms here), and linear. */
const CALIBRATION_N = 2 ** 14;

/** What calibration aims at: the geometric middle of the 100-300 ms budget. */
export const PIN_CHECK_TARGET_MS = 170;
/** N * r at most 2^20: 128 MiB per check. More work than that comes from p (sequential here). */
const MAX_BLOCK_WORK = 2 ** 20;

/**
 * The cost that makes one check take about PIN_CHECK_TARGET_MS on a machine where a check at
 * `measured` took `ms`: N a power of two and r from the floor's 8 up to 15 (so the step is about
 * 1/8, not a doubling), p above 1 only past 128 MiB, never below the floor, never above what
 * parsePinHash accepts. Pure, for tests; calibratedPinCost() measures and calls it.
 */
export function chooseScryptCost(
  ms: number,
  measured: Pick<ScryptParams, 'N' | 'r' | 'p'> = { N: CALIBRATION_N, r: 8, p: 1 },
  floor: ScryptParams = CURRENT_SCRYPT_PARAMS,
): ScryptParams {
  if (!Number.isFinite(ms) || ms <= 0) throw new RangeError('The calibration measurement must be a positive time.');
  const wanted = Math.max(workOf(floor), (workOf(measured) * PIN_CHECK_TARGET_MS) / ms);
  const p = Math.min(LIMITS.maxP, Math.max(1, Math.ceil(wanted / MAX_BLOCK_WORK)));
  const perP = wanted / p;
  let N = floor.N;
  while (N * 2 * floor.r <= Math.min(perP, MAX_BLOCK_WORK) && N * 2 <= LIMITS.maxN) N *= 2;
  const r = Math.min(Math.max(Math.round(perP / N), floor.r), Math.floor(MAX_BLOCK_WORK / N), LIMITS.maxR);
  return { N, r, p: Math.max(p, floor.p), keylen: floor.keylen };
}

/**
 * This machine's cost, measured once per process: three checks at CALIBRATION_N, the least CPU
 * time of this process each took (CPU, not wall time: another program keeping the machine busy
 * at that moment must not make a weak cost look slow enough).
 */
let calibration: Promise<ScryptParams> | undefined;
export function calibratedPinCost(): Promise<ScryptParams> {
  calibration ??= (async () => {
    const params = { N: CALIBRATION_N, r: 8, p: 1, keylen: 32 };
    const salt = randomBytes(SALT_BYTES);
    let least = Number.POSITIVE_INFINITY;
    for (let i = 0; i < 3; i++) {
      const before = process.cpuUsage();
      await derive('calibration', salt, params);
      const used = process.cpuUsage(before);
      least = Math.min(least, (used.user + used.system) / 1000);
    }
    return chooseScryptCost(Math.max(least, 0.001), params);
  })();
  return calibration;
}

export interface PinVerification {
  ok: boolean;
  /** The PIN was right and its hash should be replaced with one at today's parameters. */
  needsRehash: boolean;
}

/** Checks a PIN against a stored hash with the stored parameters; compares in constant time. */
export async function verifyPin(
  pin: string,
  stored: string,
  current: ScryptParams = CURRENT_SCRYPT_PARAMS,
): Promise<PinVerification> {
  const checked = parsePinInput(pin);
  const parsed = parsePinHash(stored);
  const candidate = await derive(checked, parsed.salt, parsed);
  const ok = candidate.length === parsed.hash.length && timingSafeEqual(candidate, parsed.hash);
  return { ok, needsRehash: ok && needsRehash(stored, current) };
}
