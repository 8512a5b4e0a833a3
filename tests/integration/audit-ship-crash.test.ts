/**
 * Audit shipping through real process death: a child ships a backlog of 3,000 entries to dev
 * central and is killed (SIGKILL) while central is in the middle of writing one of its batches;
 * a new child finishes. Central then holds exactly one AuditEvent per local entry, each in one
 * version (no second versions of what the dead child had already delivered), nothing lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail } from '../../src-main/audit/trail.ts';
import { durably } from '../../src-main/vault/sqlcipher.ts';
import type { Central } from '../support/central.ts';
import { runTs, spawnTs, waitForLine } from '../support/child.ts';
import { keyStore } from '../support/keychain.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

let sync: SignedInSync;
let central: Central;
let token: string;

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 3, seed: 31 }, user: 'nurse1' });
  ({ central, token } = sync);
});
afterAll(async () => {
  await sync?.close();
});

const ENTRIES = 3_000;
const BATCH = 500;

describe('audit shipping through SIGKILL', () => {
  it(
    'killed while central writes a batch, restarted: one AuditEvent per entry, one version each',
    { timeout: 120_000 },
    async () => {
      const temp = await sync.openTempVault({ prefix: 'clinic-audit-crash-' });
      const { vault, dataDir } = temp;
      const key = await loadAuditKey(keyStore, dataDir, vault.db);
      const trail = createAuditTrail(vault.db, key, { now: () => Date.now() });
      durably(vault.db, () => {
        for (let i = 0; i < ENTRIES; i++)
          trail.append(
            i % 700 === 699
              ? {
                  action: 'breakGlass.start',
                  outcome: 'success',
                  userId: 'nurse1',
                  role: 'nurse',
                  patientId: 'pat-000001',
                  purposeOfUse: 'ETREAT',
                  grantId: `6f1c1c2e-7d5e-4a53-9d1e-${String(i).padStart(12, '0')}`,
                  detail: `until:${Date.now() + 3_600_000}`,
                }
              : {
                  action: 'patient.read',
                  outcome: 'success',
                  userId: 'nurse1',
                  role: 'nurse',
                  patientId: 'pat-000001',
                  resourceRefs: ['Patient/pat-000001'],
                  purposeOfUse: 'TREAT',
                  detail: 'chart.read',
                },
          );
      });
      const ids = trail.entries().map((e) => e.id);
      vault.close();
      expect(ids).toHaveLength(ENTRIES);

      // Kill the child from inside central, synchronously, once it has written half of the second
      // batch: the dead child sent that batch and never heard back.
      const env = { ...process.env, CLINIC_TEST_TOKEN: token };
      const child = spawnTs('tests/support/ship-child.ts', [dataDir, central.fhirBaseUrl, '1500', String(BATCH)], env);
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const repo = central.repository;
      const write = repo.createResource.bind(repo);
      let written = 0;
      repo.createResource = (async (...args: Parameters<typeof write>) => {
        const stored = await write(...args);
        if (stored.resourceType === 'AuditEvent' && ++written === BATCH + BATCH / 2) child.kill('SIGKILL');
        return stored;
      }) as typeof repo.createResource;
      try {
        await waitForLine(child, 'ready', 60_000);
        await exited;
        expect(child.signalCode).toBe('SIGKILL');
        const heldAtKill = repo.count('AuditEvent');
        expect(heldAtKill).toBeGreaterThan(BATCH);
        expect(heldAtKill).toBeLessThan(ENTRIES);

        const finish = await runTs(
          'tests/support/ship-child.ts',
          [dataDir, central.fhirBaseUrl, '1500', String(BATCH)],
          env,
        );
        expect(finish.stdout.trim().split('\n').at(-1)).toBe('done 0');
      } finally {
        repo.createResource = write;
      }
      expect(repo.count('AuditEvent')).toBe(ENTRIES);
      for (const id of ids) expect(repo.exists('AuditEvent', id)).toBe(true);
      // One version each: the change log holds one write per AuditEvent, no second versions.
      const versions = repo.changes({ resourceType: 'AuditEvent', count: 0 }).total;
      expect(versions).toBe(ENTRIES);
      await temp.close();
    },
  );
});
