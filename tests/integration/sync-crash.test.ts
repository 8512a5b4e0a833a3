/**
 * Exactly once through real process death: a push of 1,000 changes is killed (SIGKILL) at random
 * moments, restarted, and finished. Central then holds each change once (one version each, with
 * the content written), and the outbox is empty: nothing lost, nothing duplicated.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vitalSignObservations } from '../../src-main/records/edits.ts';
import { outboxCounts, recordLocalChange } from '../../src-main/sync/outbox.ts';
import { pullType } from '../../src-main/sync/pull.ts';
import { durably } from '../../src-main/vault/sqlcipher.ts';
import { fhirFetch, type Central } from '../support/central.ts';
import { killHard, runTs, spawnTs, waitForLine } from '../support/child.ts';
import { startSignedInSync, type SignedInSync } from '../support/sync-fixture.ts';

let sync: SignedInSync;
let central: Central;
let token: string;

beforeAll(async () => {
  sync = await startSignedInSync({ central: { patients: 5, seed: 29 }, user: 'nurse1' });
  ({ central, token } = sync);
});
afterAll(async () => {
  await sync?.close();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ourObservationsOnCentral(ids: Set<string>): Promise<number> {
  const response = await fhirFetch(central, token, 'Observation?_count=1000&_elements=id&_lastUpdated=ge2000-01-01');
  const bundle = (await response.json()) as {
    entry?: { resource: { id: string } }[];
    link?: { relation: string; url: string }[];
  };
  let count = (bundle.entry ?? []).filter((e) => ids.has(e.resource.id)).length;
  let next = bundle.link?.find((l) => l.relation === 'next')?.url;
  while (next) {
    const page = (await (await fhirFetch(central, token, next)).json()) as typeof bundle;
    count += (page.entry ?? []).filter((e) => ids.has(e.resource.id)).length;
    next = page.link?.find((l) => l.relation === 'next')?.url;
  }
  return count;
}

describe('push through SIGKILL', () => {
  it(
    '1,000 changes, killed at random points and restarted: each on central exactly once, nothing lost',
    { timeout: 180_000 },
    async () => {
      const temp = await sync.openTempVault({ prefix: 'clinic-sync-crash-' });
      const { vault, dataDir } = temp;
      try {
        await pullType(sync.pullOptions(vault.db), 'Patient');
        const patients = vault.db.prepare("SELECT id FROM resources WHERE type = 'Patient'").pluck().all() as string[];
        const changes = Array.from({ length: 1000 }, (_, i) =>
          vitalSignObservations(
            patients[i % patients.length]!,
            { heartRate: 40 + (i % 200) },
            { practitionerId: null, displayName: 'Test Nurse' },
            new Date(Date.now() + i),
          ),
        ).flat();
        durably(vault.db, () => {
          for (const change of changes) recordLocalChange(vault.db, change, 'nurse-user', { now: () => Date.now() });
        });
        vault.close();
        const ids = new Set(changes.map((c) => c.id!));

        const env = { ...process.env, CLINIC_TEST_TOKEN: token };
        const seenOnCentral: number[] = [];
        const delays: number[] = [];
        for (let kill = 0; kill < 6; kill++) {
          const child = spawnTs('tests/support/push-child.ts', [dataDir, central.fhirBaseUrl], env);
          await waitForLine(child, 'ready', 60_000);
          const delay = 20 + Math.floor(Math.random() * 300);
          delays.push(delay);
          await sleep(delay);
          await killHard(child);
          seenOnCentral.push(await ourObservationsOnCentral(ids));
        }
        const finish = await runTs('tests/support/push-child.ts', [dataDir, central.fhirBaseUrl], env);
        expect(finish.code, finish.stderr).toBe(0);

        // The kills fell in the middle of the push (else this test proves nothing).
        expect(
          seenOnCentral.some((n) => n > 0 && n < ids.size),
          `seen ${seenOnCentral.join(',')} after delays ${delays.join(',')}`,
        ).toBe(true);
        expect(await ourObservationsOnCentral(ids)).toBe(ids.size);
        // Exactly one version of each, holding what was written.
        const byId = new Map(changes.map((c) => [c.id!, c]));
        const versions = await Promise.all(
          [...ids].map(
            async (id) =>
              (
                (await (await fhirFetch(central, token, `Observation/${id}/_history`)).json()) as {
                  entry: { resource: { valueQuantity: unknown } }[];
                }
              ).entry,
          ),
        );
        const twice = versions.filter((entries) => entries.length !== 1).length;
        expect(twice).toBe(0);
        for (const [index, id] of [...ids].entries())
          expect(versions[index]![0]!.resource.valueQuantity).toEqual(
            (byId.get(id) as { valueQuantity: unknown }).valueQuantity,
          );

        const reopened = await temp.reopen();
        expect(outboxCounts(reopened.db)).toEqual({ pending: 0, conflicts: 0, held: 0 });
      } finally {
        await temp.close();
      }
    },
  );
});
