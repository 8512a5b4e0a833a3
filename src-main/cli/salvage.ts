import { createPrivateKey } from 'node:crypto';
import fs from 'node:fs';
import { salvageTables } from '../migrations.ts';
import type { Logger } from '../log/index.ts';
import type { KeyStore } from '../ports.ts';
import {
  EscrowKeyError,
  openSealed,
  openVaultReadOnly,
  salvageRows,
  sealForRecoveryKey,
  type SalvageCount,
} from '../vault/index.ts';

/**
 * `ws vault salvage`: what can still be read of a cache, before anything is wiped. The unsynced
 * outbox first, then the conflicts, the records and the audit trail, row by row past damaged
 * pages, written as lines of JWEs sealed for IT's recovery public key: nothing readable reaches
 * the disk. `ws vault read-salvage` opens the file with IT's private key, offline, as NDJSON.
 */
const PURPOSE = 'clinic-workstation/salvage/v1';
const ROWS_PER_LINE = 500;

/** Byte values (hashes) as hex, so every row is plain JSON. */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [
      key,
      value instanceof Uint8Array ? Buffer.from(value).toString('hex') : value,
    ]),
  );
}

export async function salvageCache(options: {
  dataDir: string;
  keyStore: KeyStore;
  logger: Logger;
  out: string;
  recoveryPublicKeyPem: string;
}): Promise<SalvageCount[]> {
  const vault = await openVaultReadOnly({
    dataDir: options.dataDir,
    keyStore: options.keyStore,
    logger: options.logger,
    salvage: true,
  });
  // 'wx': never over an existing file (an earlier salvage is IT's to keep).
  const fd = fs.openSync(options.out, 'wx', 0o600);
  const seal = async (value: unknown) =>
    fs.writeSync(
      fd,
      `${await sealForRecoveryKey(new TextEncoder().encode(JSON.stringify(value)), options.recoveryPublicKeyPem, PURPOSE)}\n`,
    );
  const counts: SalvageCount[] = [];
  try {
    await seal({ format: PURPOSE, createdAt: new Date().toISOString() });
    for (const table of salvageTables) {
      const count: SalvageCount = { label: table.label, read: 0, unreadable: 0 };
      counts.push(count);
      let rows: Record<string, unknown>[] = [];
      for (const row of salvageRows(vault.db, table, count)) {
        rows.push(plain(row));
        if (rows.length === ROWS_PER_LINE) {
          await seal({ label: table.label, rows });
          rows = [];
        }
      }
      if (rows.length > 0) await seal({ label: table.label, rows });
    }
    await seal({ counts });
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
    vault.close();
  }
  return counts;
}

/** Each salvaged row as one NDJSON line `{ label, row }`, read with IT's private key. */
export async function* readSalvage(file: string, privateKeyPem: string): AsyncGenerator<string> {
  let privateKey;
  try {
    privateKey = createPrivateKey(privateKeyPem);
  } catch {
    throw new EscrowKeyError('The private key is not a PEM private key.');
  }
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    let value: { label?: string; rows?: Record<string, unknown>[] };
    try {
      value = JSON.parse(new TextDecoder().decode(await openSealed(line, privateKey, PURPOSE))) as typeof value;
    } catch (error) {
      if (error instanceof EscrowKeyError) throw error;
      throw new EscrowKeyError('A line of the salvage could not be opened with this private key.', 'ESCROW_DAMAGED');
    }
    for (const row of value.rows ?? []) yield JSON.stringify({ label: value.label, row });
  }
}
