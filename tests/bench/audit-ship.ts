/**
 * Audit shipping budget (issue 14): a backlog of 60,000 audit entries of every kind the trail
 * holds, shipped from a real encrypted cache to dev central over HTTP the way the background
 * shipper runs a round (break-glass first, batches sized by the backlog, no per-round cap):
 * >= 50,000 entries a minute, and central then holds each entry once, in one version.
 * Dev central runs in this process, the shipping in a child (tests/bench/audit-ship.ts --fhir),
 * so client and server each have a core, as in the sync bench.
 *   bash scripts/with-keyring.sh tsx tests/bench/audit-ship.ts
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startCentral } from '../../dev/central/central.ts';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { pendingAuditCount } from '../../src-main/audit/ship.ts';
import { createAuditShipper } from '../../src-main/audit/shipper.ts';
import { systemTimers } from '../../src-main/ports.ts';
import { createAuditTrail } from '../../src-main/audit/trail.ts';
import type { AuditInput } from '../../src-main/audit/entry.ts';
import { createKeytarKeyStore } from '../../src-main/vault/keytar-key-store.ts';
import { signIn } from '../support/central.ts';
import { openTempVault } from '../support/vault-fixture.ts';
import type { BenchRow } from './stats.ts';

const ENTRIES = 60_000;
const BUDGET_PER_MINUTE = 50_000;

/** A day's mix: mostly chart reads and searches, some writes, sessions, a few break-glass. */
function entryFor(i: number): AuditInput {
  const who = { userId: `nurse${i % 7}`, role: 'nurse', patientId: `pat-${String(i % 997).padStart(6, '0')}` };
  switch (i % 20) {
    case 0:
      return { ...who, action: 'patient.search', outcome: 'success', patientId: null, detail: 'patients.search' };
    case 1:
      return {
        ...who,
        action: 'patient.create',
        outcome: 'success',
        resourceRefs: [`Observation/obs-${i}-1`, `Observation/obs-${i}-2`],
        purposeOfUse: 'TREAT',
        detail: 'chart.recordVitals',
      };
    case 2:
      return { ...who, action: 'session.lock', outcome: 'success', patientId: null, detail: 'idle' };
    case 3:
      return i % 1000 === 3
        ? {
            ...who,
            action: 'breakGlass.start',
            outcome: 'success',
            purposeOfUse: 'ETREAT',
            grantId: `0c8a1d7e-1111-4c2b-9d3e-${String(i).padStart(12, '0')}`,
            detail: `until:${Date.now() + 3_600_000}`,
            justification: 'Synthetic bench justification, long enough for policy',
          }
        : { ...who, action: 'session.unlock', outcome: 'success', patientId: null, detail: 'pin' };
    default:
      return {
        ...who,
        action: 'patient.read',
        outcome: 'success',
        resourceRefs: [`Patient/${who.patientId}`],
        purposeOfUse: 'TREAT',
        detail: 'chart.read',
      };
  }
}

/** The child: fills a cache with the backlog, ships it, prints one JSON line. */
async function measure(fhirBaseUrl: string, token: string): Promise<void> {
  const keyStore = createKeytarKeyStore();
  const { vault, dataDir, close } = await openTempVault({ prefix: 'clinic-bench-ship-', subdir: 'cache' });
  try {
    const key = await loadAuditKey(keyStore, dataDir, vault.db);
    const trail = createAuditTrail(vault.db, key, { now: () => Date.now() });
    for (let start = 0; start < ENTRIES; start += 5_000)
      vault.db.transaction(() => {
        for (let i = start; i < Math.min(ENTRIES, start + 5_000); i++) trail.append(entryFor(i));
      })();
    // The background shipper as the workstation runs it, kicked once: one round, or more if one
    // stops early; a round that ends with nothing left runs afterRound.
    const started = performance.now();
    let rounds = 0;
    let stoppedBy: string | null = null;
    await new Promise<void>((resolve) => {
      const shipper = createAuditShipper({
        db: () => vault.db,
        fhirBaseUrl,
        allowLoopbackHttp: true,
        accessToken: () => token,
        clock: { now: () => Date.now() },
        timers: systemTimers,
        logger: {
          log: (_level, event, fields) => {
            if (event !== 'audit.shipped') return;
            rounds++;
            stoppedBy = (fields?.['reason'] as string | null | undefined) ?? null;
            if (pendingAuditCount(vault.db) === 0 || performance.now() - started > 10 * 60_000)
              void shipper.stop().then(resolve);
          },
        },
        intervalMs: 1_000,
      });
      shipper.kick();
    });
    const ms = performance.now() - started;
    process.stdout.write(
      `${JSON.stringify({ entries: ENTRIES, pending: pendingAuditCount(vault.db), ms, rounds, stoppedBy })}\n`,
    );
  } finally {
    await close();
  }
}

export async function benchAuditShipping(): Promise<BenchRow[]> {
  const central = await startCentral({ patients: 20, seed: 14, idpPort: 0, fhirPort: 0 });
  try {
    const { accessToken } = await signIn(central, 'nurse1');
    const child = await new Promise<{ status: number | null; stdout: string }>((resolve, reject) => {
      const proc = spawn(
        process.execPath,
        ['--import', 'tsx', fileURLToPath(import.meta.url), '--fhir', central.fhirBaseUrl],
        { env: { ...process.env, CLINIC_BENCH_TOKEN: accessToken }, stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let stdout = '';
      proc.stdout.on('data', (chunk) => (stdout += chunk));
      proc.on('error', reject);
      proc.on('close', (status) => resolve({ status, stdout }));
    });
    if (child.status !== 0) throw new Error('bench: the audit shipping measurement failed');
    const m = JSON.parse(child.stdout.trim()) as { entries: number; pending: number; ms: number; rounds: number };
    const perMinute = (m.entries / m.ms) * 60_000;
    const held = central.repository.count('AuditEvent');
    const versions = central.repository.changes({ resourceType: 'AuditEvent', count: 0 }).total;
    return [
      {
        name: `audit shipping: a backlog of ${m.entries} entries to dev central (${m.rounds} round(s))`,
        figure: `${Math.round(perMinute).toLocaleString('en-US')} entries/min (${(m.ms / 1000).toFixed(1)} s)`,
        budget: `>= ${BUDGET_PER_MINUTE.toLocaleString('en-US')}/min`,
        pass: m.pending === 0 && perMinute >= BUDGET_PER_MINUTE,
      },
      {
        name: 'audit shipping: AuditEvents on central / versions written',
        figure: `${held} / ${versions}`,
        budget: `${m.entries} / ${m.entries}`,
        pass: held === m.entries && versions === m.entries,
      },
    ];
  } finally {
    await central.close();
  }
}

const { values } = parseArgs({ options: { fhir: { type: 'string' } }, strict: false });
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (typeof values.fhir === 'string') {
    const token = process.env['CLINIC_BENCH_TOKEN'];
    if (!token) throw new Error('CLINIC_BENCH_TOKEN is not set');
    await measure(values.fhir, token);
  } else {
    const { printTable } = await import('./stats.ts');
    process.stdout.write(`${printTable(await benchAuditShipping())}\n`);
  }
}
