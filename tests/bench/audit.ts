/**
 * Audit budgets (issue 5), on a real vault (SQLCipher, synchronous=NORMAL as the app runs it, the key in the keychain):
 * - append with the hash chain, one transaction per entry as the app writes them: >= 5,000/s;
 * - a chart open with its audit entry against the same open without it, alternated in one run:
 *   at most 15% slower;
 * - verify with the threads chosen for the work and the idle cores (issue 13): >= 200,000
 *   entries/s, and never below the one-thread walk in the same run (runs alternated, within
 *   TOLERANCE);
 * `bash scripts/with-keyring.sh tsx tests/bench/audit.ts`.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail } from '../../src-main/audit/trail.ts';
import { verifyAuditTrail } from '../../src-main/audit/verify.ts';
import { verifyAuditTrailParallel, type VerifyPlan } from '../../src-main/audit/verify-parallel.ts';
import { availableParallelism } from 'node:os';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { authorizeSession } from '../../src-main/access/authorize.ts';
import { requestAuditInput } from '../../src-main/ipc/audit-outcome.ts';
import { createRouter, type Handlers } from '../../src-main/ipc/router.ts';
import { createChartHandlers } from '../../src-main/chart/handlers.ts';
import { practitionerRelationships } from '../../src-main/records/relationships.ts';
import { bulkStoreResources } from '../../src-main/records/repository.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { openTempVault } from '../support/vault-fixture.ts';
import { largeChart } from './large-chart.ts';
import { createBreakGlass } from '../../src-main/break-glass/grants.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { median, printTable, type BenchRow } from './stats.ts';

const keyStore = createKeytarKeyStore();
/** Verify runs with the threads chosen, each between two one-thread runs (odd: a true median). */
const VERIFY_ROUNDS = 7;
/**
 * How far below zero the gain (chosen / one thread, less 1) may fall and still pass. When one
 * thread is chosen, both are the same single-threaded walk and only noise tells them apart: the
 * same statistic between identical one-thread walks on the quiet 2-core development machine came
 * out at -1.2%, -1.8% and -2.8%.
 * A wrong choice costs far more (issue 13: half the speed), and two threads on two idle cores win
 * by 25 to 40% here.
 */
const TOLERANCE = 0.03;

export async function benchAudit(): Promise<BenchRow[]> {
  const { vault, dataDir, close } = await openTempVault({ prefix: 'clinic-bench-audit-', subdir: 'cache' });
  try {
    const key = await loadAuditKey(keyStore, dataDir, vault.db);
    let t = 1_780_000_000_000;
    const trail = createAuditTrail(vault.db, key, { now: () => t++ });
    const resources = [...generateResources({ seed: 9, patients: 500 })] as { resourceType: string; id: string }[];
    bulkStoreResources(vault.db, [resources]);
    // The chart the product's budgets name (issue 6): 500 observations and 50 notes.
    const practitioner = resources.find((r) => r.resourceType === 'Practitioner')!.id;
    const patientIds0 = resources.filter((r) => r.resourceType === 'Patient').map((r) => r.id);
    const bigPatient = patientIds0.find((id) => practitionerRelationships(vault.db, practitioner, id).length > 0)!;
    bulkStoreResources(vault.db, [largeChart(resources as never[], bigPatient, { observations: 500, notes: 50 })]);
    const patientIds = resources.filter((r) => r.resourceType === 'Patient').map((r) => r.id);

    // Append, sustained: one transaction per entry.
    const appends = 20_000;
    const started = performance.now();
    for (let i = 0; i < appends; i++) {
      trail.append({
        action: 'patient.read',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        patientId: patientIds[i % patientIds.length]!,
        purposeOfUse: 'TREAT',
        detail: 'chart.read',
      });
    }
    const appendPerSecond = appends / ((performance.now() - started) / 1000);

    // A chart open as a window asks for it: patients.open then chart.read through the router
    // (validation, care-team check, response contract), with and without the audit trail,
    // alternated so both see the same cache state.
    const mine = patientIds.filter((id) => practitionerRelationships(vault.db, practitioner, id).length > 0);
    let auditing = false;
    const breakGlass = createBreakGlass({
      db: () => vault.db,
      trail: () => trail,
      policy: Policy.parse({}).breakGlass,
      clock: { now: () => t },
      timers: { setTimeout: () => 0, clearTimeout: () => undefined },
      logger: createMemoryLogger(),
    });
    const route = createRouter({
      handlers: createChartHandlers({
        db: () => vault.db,
        activeGrants: (userId) => breakGlass.activeGrants(userId),
        displayNameOf: () => 'Bench user',
        clock: { now: () => Date.now() },
        changed: () => undefined,
      }) as unknown as Handlers,
      currentSession: () => ({ userId: 'physician1', role: 'physician', practitionerId: practitioner, locked: false }),
      authorize: (s, action, patientId) =>
        authorizeSession(vault.db, s, action, patientId, breakGlass.activeGrants(s.userId)),
      logger: createMemoryLogger(),
      onOutcome: (outcome) => {
        const input = auditing ? requestAuditInput(outcome, true, () => null) : null;
        if (input) trail.append(input);
      },
    });
    const open = async (patientId: string, audited: boolean, into: { with: number[]; without: number[] }) => {
      auditing = audited;
      const s = performance.now();
      const opened = await route('patients.open', { patientId });
      (audited ? into.with : into.without).push(performance.now() - s);
      if (!opened.ok || (opened.data as { sections: unknown }).sections === null)
        throw new Error('the chart did not open');
    };
    const big = { with: [] as number[], without: [] as number[] };
    for (let i = 0; i < 60; i++) await open(bigPatient, i % 2 === 0, big);
    const bigSlowdown = median(big.with) / median(big.without) - 1;

    const withAudit: number[] = [];
    const without: number[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < mine.length; i++) {
        const patientId = mine[(i * 7 + round * 13) % mine.length]!;
        auditing = (i + round) % 2 === 0;
        const s = performance.now();
        const opened = await route('patients.open', { patientId });
        (auditing ? withAudit : without).push(performance.now() - s);
        if (!opened.ok) throw new Error('the chart did not open');
      }
    }
    const slowdown = median(withAudit) / median(without) - 1;

    // Break-glass, without the PIN check: from the request to the first record on its way back
    // (the durable grant with its audit entry, then the chart open under it), one patient each.
    auditing = true;
    const others = patientIds.filter((id) => !mine.includes(id)).slice(0, 40);
    const grantMs: number[] = [];
    for (const patientId of others) {
      const s = performance.now();
      breakGlass.grant({
        userId: 'physician1',
        role: 'physician',
        patientId,
        reasonCode: 'ETREAT',
        justification: 'Collapsed at the front desk, history needed now',
      });
      const opened = await route('patients.open', { patientId });
      grantMs.push(performance.now() - s);
      if (!opened.ok || (opened.data as { access: string }).access !== 'full')
        throw new Error('the grant did not open the chart');
    }

    // Verify: grow the trail to 200,000 entries in large transactions, then walk it.
    const grow = vault.db.transaction((n: number) => {
      for (let i = 0; i < n; i++)
        trail.append({
          action: 'patient.search',
          outcome: 'success',
          userId: 'nurse1',
          role: 'nurse',
          detail: 'patients.search',
        });
    });
    while (trail.lastSeq() < 200_000) grow(Math.min(20_000, 200_000 - trail.lastSeq()));
    vault.db.pragma('wal_checkpoint(TRUNCATE)'); // as the app's automatic checkpoints leave it
    verifyAuditTrail(vault.db, key); // warm: decrypted pages in the cache, as after the appends
    // One thread and the threads `ws audit verify` chooses, alternated in the same run (one thread,
    // chosen, one thread, ...): each chosen walk is compared with the mean of the one-thread walks
    // just before and just after it, which cancels a load on the machine that rises or falls
    // steadily meanwhile, and the median of these ratios is the gain.
    const access = vault.readerAccess();
    const oneThread: number[] = [];
    const chosen: number[] = [];
    const plans: VerifyPlan[] = [];
    let verified = true;
    let checked = 0;
    const walkOneThread = () => {
      const s0 = performance.now();
      const report = verifyAuditTrail(vault.db, key);
      oneThread.push((report.ok ? report.checked : 0) / ((performance.now() - s0) / 1000));
      verified &&= report.ok && report.checked === 200_000;
      checked = report.ok ? report.checked : 0;
    };
    const walkChosen = async () => {
      const v0 = performance.now();
      const report = await verifyAuditTrailParallel({
        db: vault.db,
        file: access.file,
        dbKey: access.key,
        auditKey: key,
        onPlan: (plan) => plans.push(plan),
      });
      chosen.push((report.ok ? report.checked : 0) / ((performance.now() - v0) / 1000));
      verified &&= report.ok && report.checked === 200_000;
    };
    walkOneThread();
    for (let round = 0; round < VERIFY_ROUNDS; round++) {
      await walkChosen();
      walkOneThread();
    }
    const oneThreadPerSecond = median(oneThread);
    const verifyPerSecond = median(chosen);
    const gain = median(chosen.map((c, i) => c / ((oneThread[i]! + oneThread[i + 1]!) / 2))) - 1;
    const threadsChosen = plans.map((p) => p.threads).join(',');
    const idleSeen = plans.map((p) => p.idleCores.toFixed(1)).join(',');

    const rows: BenchRow[] = [
      {
        name: 'audit append with hash chain (own transaction each)',
        figure: `${Math.round(appendPerSecond)} entries/s`,
        budget: '>= 5000 entries/s',
        pass: appendPerSecond >= 5000,
      },
      {
        name: `chart open, 500 observations + 50 notes (patients.open through the router), with audit / without, median of ${big.with.length}`,
        figure: `${median(big.with).toFixed(2)} / ${median(big.without).toFixed(2)} ms (+${(bigSlowdown * 100).toFixed(1)}%)`,
        budget: '<= +15%',
        pass: bigSlowdown <= 0.15,
      },
      {
        name: `chart open, small synthetic charts (~10 resources), with audit / without, median of ${withAudit.length}`,
        figure: `${median(withAudit).toFixed(3)} / ${median(without).toFixed(3)} ms (+${(slowdown * 100).toFixed(1)}%)`,
        budget: '(reference)',
        pass: true,
      },
      {
        name: `audit verify, threads as \`ws audit verify\` chooses them / one thread, alternated, medians of ${chosen.length} / ${oneThread.length} (${verified ? checked : 'FAILED'} entries; threads ${threadsChosen} of ${availableParallelism()} cores, idle cores seen ${idleSeen}; gain: median ratio to the one-thread runs either side)`,
        figure: `${Math.round(verifyPerSecond)} / ${Math.round(oneThreadPerSecond)} entries/s (${gain >= 0 ? '+' : ''}${(gain * 100).toFixed(1)}%)`,
        budget: `>= 200000 entries/s and >= one thread (-${TOLERANCE * 100}%)`,
        pass: verified && verifyPerSecond >= 200_000 && gain >= -TOLERANCE,
      },
      {
        name: 'audit verify, one thread (the sequential walk, no workers), median',
        figure: `${Math.round(oneThreadPerSecond)} entries/s`,
        budget: '(reference)',
        pass: verified,
      },
      {
        name: `break-glass grant to first record, without the PIN (durable write + chart open), median / worst of ${grantMs.length}`,
        figure: `${median(grantMs).toFixed(1)} / ${Math.max(...grantMs).toFixed(1)} ms`,
        budget: '<= 30 ms',
        pass: Math.max(...grantMs) <= 30,
      },
    ];
    return rows;
  } finally {
    await close();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.stdout.write(`${printTable(await benchAudit())}\n`);
}
