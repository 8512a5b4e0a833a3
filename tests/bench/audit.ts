/**
 * Audit budgets (issue 5), on a real vault (SQLCipher, synchronous=FULL, the key in the keychain):
 * - append with the hash chain, one transaction per entry as the app writes them: >= 5,000/s;
 * - a chart open with its audit entry against the same open without it, alternated in one run:
 *   at most 15% slower;
 * - verify: >= 200,000 entries/s;
 * - a break-glass grant (without the PIN check): <= 30 ms from request to first record.
 * `bash scripts/with-keyring.sh tsx tests/bench/audit.ts`.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail } from '../../src-main/audit/trail.ts';
import { verifyAuditTrail } from '../../src-main/audit/verify.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { readChart } from '../../src-main/records/chart.ts';
import { bulkStoreResources } from '../../src-main/records/repository.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { eraseVault, openVault } from '../../src-main/vault/vault.ts';
import { median, printTable, type BenchRow } from './stats.ts';

const keyStore = createKeytarKeyStore();

export interface AuditBenchHooks {
  /** Extra rows measured on the same vault (the break-glass grant). */
  extra?: (context: { db: import('../../src-main/vault/sqlcipher.ts').Database; key: Buffer; patientIds: string[] }) => Promise<BenchRow[]> | BenchRow[];
}

export async function benchAudit(hooks: AuditBenchHooks = {}): Promise<BenchRow[]> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'clinic-bench-audit-'));
  const dataDir = path.join(root, 'cache');
  const vault = await openVault({ dataDir, keyStore, policy: {}, logger: createMemoryLogger() });
  try {
    const key = await loadAuditKey(keyStore, dataDir, vault.db);
    let t = 1_780_000_000_000;
    const trail = createAuditTrail(vault.db, key, { now: () => t++ });
    const resources = [...generateResources({ seed: 9, patients: 500 })] as { resourceType: string; id: string }[];
    bulkStoreResources(vault.db, [resources]);
    const patientIds = resources.filter((r) => r.resourceType === 'Patient').map((r) => r.id);

    // Append, sustained: one transaction per entry.
    const appends = 20_000;
    const started = performance.now();
    for (let i = 0; i < appends; i++) {
      trail.append({ action: 'patient.read', outcome: 'success', userId: 'nurse1', role: 'nurse', patientId: patientIds[i % patientIds.length]!, purposeOfUse: 'TREAT', detail: 'chart.read' });
    }
    const appendPerSecond = appends / ((performance.now() - started) / 1000);

    // Chart open with and without its audit entry, alternated so both see the same cache state.
    const withAudit: number[] = [];
    const without: number[] = [];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < patientIds.length; i++) {
        const patientId = patientIds[(i * 7 + round * 13) % patientIds.length]!;
        const audited = (i + round) % 2 === 0;
        const s = performance.now();
        readChart(vault.db, patientId);
        if (audited) trail.append({ action: 'patient.read', outcome: 'success', userId: 'nurse1', role: 'nurse', patientId, purposeOfUse: 'TREAT', detail: 'chart.read' });
        (audited ? withAudit : without).push(performance.now() - s);
      }
    }
    const slowdown = median(withAudit) / median(without) - 1;

    // Verify: grow the trail to 200,000 entries in large transactions, then walk it.
    const grow = vault.db.transaction((n: number) => {
      for (let i = 0; i < n; i++) trail.append({ action: 'patient.search', outcome: 'success', userId: 'nurse1', role: 'nurse', detail: 'patients.search' });
    });
    while (trail.lastSeq() < 200_000) grow(Math.min(20_000, 200_000 - trail.lastSeq()));
    const v0 = performance.now();
    const report = verifyAuditTrail(vault.db, key);
    const verifyPerSecond = (report.ok ? report.checked : 0) / ((performance.now() - v0) / 1000);

    const rows: BenchRow[] = [
      { name: 'audit append with hash chain (own transaction each, synchronous=FULL)', figure: `${Math.round(appendPerSecond)} entries/s`, budget: '>= 5000 entries/s', pass: appendPerSecond >= 5000 },
      { name: `chart open with audit / without, median (${withAudit.length} each)`, figure: `${median(withAudit).toFixed(3)} / ${median(without).toFixed(3)} ms (+${(slowdown * 100).toFixed(1)}%)`, budget: '<= +15%', pass: slowdown <= 0.15 },
      { name: `audit verify (${report.ok ? report.checked : 'FAILED'} entries)`, figure: `${Math.round(verifyPerSecond)} entries/s`, budget: '>= 200000 entries/s', pass: report.ok && verifyPerSecond >= 200_000 },
    ];
    if (hooks.extra) rows.push(...(await hooks.extra({ db: vault.db, key, patientIds })));
    return rows;
  } finally {
    vault.close();
    await eraseVault({ dataDir, keyStore });
    fs.rmSync(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${printTable(await benchAudit())}\n`);
}
