/**
 * A workstation for tests: a real vault (SQLCipher + the OS keychain) filled with the same
 * synthetic clinic dev central serves, and which of its patients each clinician may see fully
 * (computed with the records capability's own relationship lookup, before the core opens it).
 */
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { practitionerRelationships } from '../../src-main/records/relationships.ts';
import { bulkStoreResources, readPatientSummary } from '../../src-main/records/repository.ts';
import { removePatientRecords } from '../../src-main/records/retention-store.ts';
import type { PatientSummary } from '../../src-shared/ipc/contract.ts';
import { openVault, type Vault } from '../../src-main/vault/vault.ts';
import type { AuthBrowser } from '../../src-main/ports.ts';
import { driveLogin, passwordOf, type Central } from './central.ts';
import { keyStore } from './keychain.ts';
import { workstationMigrations } from '../../src-main/migrations.ts';

export interface ClinicCache {
  patientIds: string[];
  /** Name, MRN, birth date of each patient, as the cache answers them. */
  summaries: Map<string, PatientSummary>;
  /** Patients on the practitioner's care team (any relationship), and the others. */
  split(practitionerId: string): { mine: string[]; others: string[] };
}

/** The cache of `dataDir` opened for `use` (a test's set-up, before any core opens it), closed after. */
export async function withVault<T>(dataDir: string, use: (vault: Vault) => T): Promise<T> {
  const vault = await openVault({
    migrations: workstationMigrations,
    dataDir,
    keyStore,
    policy: {},
    logger: createMemoryLogger(),
  });
  try {
    return use(vault);
  } finally {
    vault.close();
  }
}

/** Fills `dataDir` with the clinic dev central was seeded with (same seed and size). */
export function fillCache(dataDir: string, clinic: { seed: number; patients: number }): Promise<ClinicCache> {
  return withVault(dataDir, (vault) => {
    const resources = [...generateResources(clinic)] as { resourceType: string; id: string }[];
    bulkStoreResources(vault.db, [resources]);
    const patientIds = resources.filter((r) => r.resourceType === 'Patient').map((r) => r.id);
    const splits = new Map<string, { mine: string[]; others: string[] }>();
    for (const practitionerId of new Set(resources.filter((r) => r.resourceType === 'Practitioner').map((r) => r.id))) {
      const mine = patientIds.filter((id) => practitionerRelationships(vault.db, practitionerId, id).length > 0);
      splits.set(practitionerId, { mine, others: patientIds.filter((id) => !mine.includes(id)) });
    }
    const summaries = new Map(patientIds.map((id) => [id, readPatientSummary(vault.db, id)!]));
    return {
      patientIds,
      summaries,
      split(practitionerId) {
        const found = splits.get(practitionerId);
        if (!found) throw new Error(`no practitioner ${practitionerId} in the clinic`);
        return found;
      },
    };
  });
}

/**
 * The cache without these patients, as a workstation whose scope leaves them out holds it: only
 * central has them (charts on demand). Every trace goes, as retention removes it.
 */
export async function leaveOutPatients(dataDir: string, patientIds: readonly string[]): Promise<void> {
  if (patientIds.length === 0) return;
  await withVault(dataDir, (vault) =>
    vault.db.transaction(() => patientIds.forEach((id) => removePatientRecords(vault.db, id))).immediate(),
  );
}

/**
 * An AuthBrowser that signs in as whoever `who()` names when the core opens the provider's page:
 * the login form driven over HTTP, then the redirect requested as a browser would.
 */
export function scriptedBrowser(central: Central, who: () => string): AuthBrowser & { opened: number } {
  const browser = {
    opened: 0,
    async open(url: URL) {
      browser.opened++;
      const username = who();
      const redirect = await driveLogin(
        url,
        username,
        passwordOf(central, username),
        url.searchParams.get('redirect_uri') ?? '',
      );
      await (await fetch(redirect)).text();
    },
  };
  return browser;
}
