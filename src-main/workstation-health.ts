/**
 * The workstation's health as IT reads it: the backlogs `ws status` prints, and the whole status
 * screen of the running app (issue 16: the IT admin's home). Both read the same core functions
 * (the compliance report's cipher settings and escrow check, the outbox's and the audit
 * shipper's counts, fleet's last report, contact's offline window), so the screen and the command
 * line cannot tell IT different things. Counts, settings, versions and ids only: never PHI.
 */
import { APP_VERSION } from '../src-shared/app-info.ts';
import type { WorkstationHealth } from '../src-shared/ipc/contract.ts';
import { lastShippedAt, pendingAuditCount, refusedAuditCount } from './audit/index.ts';
import { offlineWindow } from './contact/index.ts';
import { lastFleetReport, type FleetReport } from './fleet/index.ts';
import { policyIsManaged, type Ports } from './ports.ts';
import { lastPullAt, outboxCounts, syncDiagnosticsCount } from './sync/index.ts';
import {
  cipherSettings,
  escrowIsIntact,
  fileHeaderEncrypted,
  keychainHoldsKey,
  VaultError,
  type Database,
} from './vault/index.ts';
import { fleetLine } from '../src-shared/fleet/device.ts';
import fs from 'node:fs';
import type { Workstation } from './workstation.ts';

/** Where a policy comes from when none is managed: the built-in defaults, not IT's file. */
export const DEFAULT_POLICY_SOURCE = 'built-in defaults';

export interface Backlogs {
  audit: { unshipped: number; refusedByCentral: number; lastShippedAt: number | null };
  sync: { pending: number; conflicts: number; held: number; diagnostics: number; lastPullAt: number | null };
  /** What central was last told (fleet status), or null before the first report it took. */
  fleet: FleetReport | null;
}

/** What waits to leave the workstation, and what central last heard of it. Reads only. */
export function workstationBacklogs(db: Database): Backlogs {
  return {
    audit: {
      unshipped: pendingAuditCount(db),
      refusedByCentral: refusedAuditCount(db),
      lastShippedAt: lastShippedAt(db),
    },
    sync: { ...outboxCounts(db), diagnostics: syncDiagnosticsCount(db), lastPullAt: lastPullAt(db) },
    fleet: lastFleetReport(db),
  };
}

export interface HealthDeps {
  workstation: Workstation;
  ports: Pick<Ports, 'keyStore' | 'clock' | 'policy' | 'policySource' | 'policyManaged'>;
  /** True while IT's remote wipe is being carried out (the core knows). */
  wipeInProgress(): boolean;
}

/** The status screen's answer; the cache is open (the IT admin is signed in to it). */
export async function workstationHealth({
  workstation,
  ports,
  wipeInProgress,
}: HealthDeps): Promise<WorkstationHealth> {
  const opened = workstation.opened();
  if (!opened) throw new VaultError('DATABASE_MISSING', 'The cache is not open.');
  const { vault, trail } = opened;
  const db = vault.db;
  const key = vault.readerAccess().key;
  const { audit, sync, fleet } = workstationBacklogs(db);
  const told = fleet ? fleetLine(fleet.device) : null;
  const maxOfflineDays = ports.policy.cache.maxOfflineDays;
  const contact = offlineWindow(db, ports.clock.now(), maxOfflineDays);
  const source = ports.policySource ?? DEFAULT_POLICY_SOURCE;
  return {
    appVersion: APP_VERSION,
    workstationId: trail.workstationId,
    vault: {
      open: true,
      schemaVersion: vault.schemaVersion,
      cipher: cipherSettings(db),
      fileEncrypted: fileHeaderEncrypted(vault.files.db),
    },
    keychain: await keychainHoldsKey(vault, ports.keyStore),
    escrow: {
      recoveryKeyInPolicy: ports.policy.vault.recoveryPublicKeyPem !== undefined,
      present: fs.existsSync(vault.files.escrow),
      verified: escrowIsIntact(vault.files.escrow, key),
    },
    policy: { source, managed: policyIsManaged(ports) },
    sync: { pending: sync.pending, held: sync.held, conflicts: sync.conflicts, lastPullAt: sync.lastPullAt },
    audit: { entries: trail.lastSeq(), ...audit },
    central: {
      configured: ports.policy.central !== undefined,
      lastContactAt: contact.lastContactAt,
      offlineMs: contact.offlineMs,
      maxOfflineDays,
      expired: contact.expired,
    },
    fleet: {
      lastReportedAt: fleet?.reportedAt ?? null,
      appVersion: told?.appVersion ?? null,
      pendingChanges: told?.pendingChanges ?? null,
      auditBacklog: told?.auditBacklog ?? null,
      policySource: told?.policySource ?? null,
    },
    remoteWipe: { inProgress: wipeInProgress(), lastCheckedAt: fleet?.reportedAt ?? null },
  };
}
