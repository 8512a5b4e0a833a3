import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { errorName, removeIfExists, writeFileAtomic } from '../base/index.ts';
import type { Logger } from '../log/index.ts';
import { KeychainUnavailableError, type KeyStore, type Timers } from '../ports.ts';
import { VaultError } from '../vault/index.ts';
import type { AuditTrail } from './trail.ts';

/**
 * The audit head anchored outside the cache. The head's MAC in audit_head lives in the same
 * database and rolls back with it: a cache file put back from an older copy, or a write-ahead log
 * damaged after a crash (SQLite replays it up to the first bad frame and drops the rest without a
 * word), verified as a whole trail. The anchor is the newest entry's sequence number and chain
 * hash, MACed under the audit key, kept in two places outside the database:
 * - the OS keychain, beside the keys: whoever can put an old file back cannot, as a rule, rewrite
 *   the user's keychain;
 * - `audit.anchor` beside the cache, so that losing one place (a reset keyring) does not lose it.
 * The higher valid one counts. It only ever follows the *durable* state (after a commit with
 * synchronous=FULL, or after a checkpoint, which syncs the log first), so a power cut that
 * legitimately loses the last commits made with synchronous=NORMAL never looks like a rollback.
 */
export interface Anchor {
  workstationId: string;
  seq: number;
  /** The chain hash of entry `seq`, hex. */
  hash: string;
}

export interface RollbackReport {
  kind: 'rolledBack' | 'replaced' | 'anchorAltered';
  anchoredSeq: number;
  lastSeq: number;
  message: string;
}

const dirHash = (dataDir: string) => createHash('sha256').update(path.resolve(dataDir)).digest('hex').slice(0, 16);
export const anchorAccount = (dataDir: string): string => `audit-anchor:${dirHash(dataDir)}`;
export const anchorFile = (dataDir: string): string => path.join(path.resolve(dataDir), 'audit.anchor');

function macOf(key: Buffer, anchor: Anchor): Buffer {
  return createHmac('sha256', key)
    .update(`audit-outside-anchor:v1:${anchor.workstationId}:${anchor.seq}:${anchor.hash}`)
    .digest();
}

function serialize(key: Buffer, anchor: Anchor): string {
  return JSON.stringify({ ...anchor, mac: macOf(key, anchor).toString('hex') });
}

/** A stored anchor: valid, altered (its MAC does not verify), or none. */
function parse(key: Buffer, text: string | null): Anchor | 'altered' | null {
  if (text === null) return null;
  try {
    const value = JSON.parse(text) as Partial<Anchor> & { mac?: unknown };
    if (
      typeof value.workstationId !== 'string' ||
      !Number.isSafeInteger(value.seq) ||
      typeof value.hash !== 'string' ||
      typeof value.mac !== 'string'
    ) {
      return 'altered';
    }
    const anchor: Anchor = { workstationId: value.workstationId, seq: value.seq as number, hash: value.hash };
    const mac = Buffer.from(value.mac, 'hex');
    const expected = macOf(key, anchor);
    return mac.length === expected.length && timingSafeEqual(mac, expected) ? anchor : 'altered';
  } catch {
    return 'altered';
  }
}

async function fromKeychain<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (error instanceof KeychainUnavailableError) throw new VaultError('KEYCHAIN_UNAVAILABLE', error.message);
    throw error;
  }
}

/** Both stored anchors; the higher valid one, or 'altered' when one is present but does not verify. */
export async function readAnchor(keyStore: KeyStore, dataDir: string, key: Buffer): Promise<Anchor | 'altered' | null> {
  let file: string | null = null;
  try {
    file = fs.readFileSync(anchorFile(dataDir), 'utf8');
  } catch {
    file = null;
  }
  const found = [parse(key, await fromKeychain(() => keyStore.get(anchorAccount(dataDir)))), parse(key, file)];
  if (found.includes('altered')) return 'altered';
  const valid = found.filter((anchor): anchor is Anchor => anchor !== null && anchor !== 'altered');
  return valid.sort((a, b) => b.seq - a.seq)[0] ?? null;
}

export async function writeAnchor(keyStore: KeyStore, dataDir: string, key: Buffer, anchor: Anchor): Promise<void> {
  const text = serialize(key, anchor);
  writeFileAtomic(anchorFile(dataDir), text);
  await fromKeychain(() => keyStore.set(anchorAccount(dataDir), text));
}

export async function eraseAnchor(keyStore: KeyStore, dataDir: string): Promise<void> {
  await fromKeychain(() => keyStore.delete(anchorAccount(dataDir)));
  removeIfExists(anchorFile(dataDir));
}

export function anchorOf(trail: Pick<AuditTrail, 'workstationId' | 'head'>): Anchor {
  const head = trail.head();
  return { workstationId: trail.workstationId, seq: head.seq, hash: head.hash.toString('hex') };
}

/** Null when the cache holds everything its anchor says it held; else what went wrong, for IT. */
export function checkAnchor(
  trail: Pick<AuditTrail, 'workstationId' | 'head' | 'hashAt'>,
  anchor: Anchor | 'altered' | null,
): RollbackReport | null {
  const lastSeq = trail.head().seq;
  if (anchor === null) return null;
  if (anchor === 'altered') {
    return {
      kind: 'anchorAltered',
      anchoredSeq: 0,
      lastSeq,
      message: "The audit trail's anchor outside the cache was altered: it no longer verifies under the audit key.",
    };
  }
  if (anchor.workstationId !== trail.workstationId) {
    return {
      kind: 'replaced',
      anchoredSeq: anchor.seq,
      lastSeq,
      message: `This cache is not the one its audit anchor belongs to (workstation ${anchor.workstationId}).`,
    };
  }
  if (lastSeq < anchor.seq) {
    return {
      kind: 'rolledBack',
      anchoredSeq: anchor.seq,
      lastSeq,
      message: `Audit entries after sequence ${lastSeq} are missing: the cache is older than its anchor (sequence ${anchor.seq}). It was put back from an older copy, or its write-ahead log was damaged.`,
    };
  }
  const hash = trail.hashAt(anchor.seq);
  // An anchored entry removed by retention since cannot be compared; the chain verify covers it.
  if (hash !== null && hash.toString('hex') !== anchor.hash) {
    return {
      kind: 'replaced',
      anchoredSeq: anchor.seq,
      lastSeq,
      message: `Audit entry ${anchor.seq} is not the one anchored outside the cache: entries after sequence ${anchor.seq - 1} were replaced (the cache was rolled back and written again).`,
    };
  }
  return null;
}

export interface AnchorKeeper {
  /** Everything committed so far is durable: anchor it. */
  noteDurable(): void;
  /** Resolves once every anchor asked for so far is written. */
  anchored(): Promise<void>;
  /** Stops the periodic anchoring; the final anchor (after the cache's close) is `write`. */
  stop(): void;
  write(anchor: Anchor): Promise<void>;
}

/**
 * Keeps the anchor up with the trail: after every durable commit, and every `intervalMs` after a
 * checkpoint (which syncs the write-ahead log first) for entries committed with NORMAL. One write
 * at a time; a request during a write is served by one more write of the newest head after it.
 */
export function createAnchorKeeper(options: {
  trail: Pick<AuditTrail, 'workstationId' | 'head'>;
  checkpoint(): void;
  key: Buffer;
  keyStore: KeyStore;
  dataDir: string;
  timers: Timers;
  logger: Logger;
  intervalMs?: number;
}): AnchorKeeper {
  let anchoredSeq = -1;
  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const write = (anchor: Anchor): Promise<void> => {
    chain = chain
      .then(async () => {
        if (anchor.seq <= anchoredSeq) return;
        await writeAnchor(options.keyStore, options.dataDir, options.key, anchor);
        anchoredSeq = anchor.seq;
      })
      .catch((error: unknown) =>
        options.logger.log('error', 'audit.anchor-write-failed', { errorName: errorName(error) }),
      );
    return chain;
  };
  const interval = options.intervalMs ?? 5_000;
  let timer = options.timers.setTimeout(function tick() {
    if (stopped) return;
    try {
      const head = anchorOf(options.trail);
      if (head.seq > anchoredSeq) {
        options.checkpoint();
        void write(head);
      }
    } catch (error) {
      options.logger.log('warn', 'audit.anchor-failed', { errorName: errorName(error) });
    }
    timer = options.timers.setTimeout(tick, interval);
  }, interval);
  return {
    noteDurable() {
      if (!stopped) void write(anchorOf(options.trail));
    },
    anchored: () => chain,
    stop() {
      stopped = true;
      options.timers.clearTimeout(timer);
    },
    write,
  };
}
