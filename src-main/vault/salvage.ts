import type { Database } from './sqlcipher.ts';

/**
 * Reading what can still be read of a damaged cache, row by row: a damaged page fails only the
 * rows it holds, so after a failure the reader steps over ever larger ranges of row ids until it
 * reads again. What it could not read is counted, never guessed. The vault knows no table: each
 * capability names its own (SalvageTable), the workstation orders them.
 */
export interface SalvageTable {
  /** What the rows are, for IT ("outbox", "records", "audit"). */
  label: string;
  table: string;
  columns: readonly string[];
}

export interface SalvageCount {
  label: string;
  read: number;
  /** Row ids that could not be read (damaged pages), or 1 when the table could not be read at all. */
  unreadable: number;
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export function* salvageRows(
  db: Database,
  table: SalvageTable,
  count: SalvageCount,
): Generator<Record<string, unknown>> {
  const select = `SELECT rowid AS _rowid, ${table.columns.map(quote).join(', ')} FROM ${quote(table.table)} WHERE rowid >= ? ORDER BY rowid LIMIT 1`;
  let statement;
  let last: number;
  try {
    statement = db.prepare(select);
    last =
      (db
        .prepare(`SELECT max(rowid) FROM ${quote(table.table)}`)
        .pluck()
        .get() as number | null) ?? 0;
  } catch {
    // The table's root (or the schema) cannot be read: nothing of it can be found.
    count.unreadable += 1;
    return;
  }
  let next = 0;
  let step = 1;
  while (next <= last) {
    let row: Record<string, unknown> | undefined;
    try {
      row = statement.get(next) as Record<string, unknown> | undefined;
    } catch {
      count.unreadable += step;
      next += step;
      step = Math.min(step * 2, 1 << 20);
      continue;
    }
    if (!row) return;
    const { _rowid: rowid, ...values } = row;
    count.read += 1;
    yield values;
    next = Number(rowid) + 1;
    step = 1;
  }
}
