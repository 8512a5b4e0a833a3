/**
 * The live evidence of the compliance report, read from this workstation as it is now: the
 * cache's cipher settings read back from the database, its key in the keychain, the escrow
 * present and verified, the policy and where it came from, the audit chain verified now, the
 * shipping backlog, what waits for the privacy officer, central's addresses and pins, the last
 * contact with central, the app's version. Counts, settings and ids only: never a patient's data.
 * Nothing is changed: the cache is opened read-only (beside a running app too).
 */
import fs from 'node:fs';
import { APP_VERSION } from '../../../src-shared/app-info.ts';
import { Policy } from '../../../src-shared/policy/schema.ts';
import { openAlertCount } from '../../alerts/index.ts';
import {
  auditEscrowFile,
  checkAnchor,
  createAuditTrail,
  lastShippedAt,
  loadAuditKey,
  pendingAuditCount,
  readAnchor,
  readWorkstationId,
  verifyAuditTrail,
  type RollbackReport,
  type VerifyReport,
} from '../../audit/index.ts';
import { unreviewedGrantCount } from '../../break-glass/index.ts';
import type { Logger } from '../../log/index.ts';
import { PolicyError, type LoadedPolicy } from '../../policy/index.ts';
import { systemClock, type KeyStore } from '../../ports.ts';
import { lastPullAt, outboxCounts } from '../../sync/index.ts';
import {
  cipherSettings,
  escrowIsIntact,
  fileHeaderEncrypted,
  openVaultReadOnly,
  VaultError,
  type CipherSettings,
} from '../../vault/index.ts';

export interface LiveEvidence {
  generatedAt: string;
  app: { version: string; packaged: boolean; fuses: Record<string, string> | null };
  policy: { ok: true; source: string; value: Policy } | { ok: false; code: string; message: string };
  keychain: { ok: boolean };
  vault:
    | { ok: false; code: string }
    | {
        ok: true;
        workstationId: string;
        schemaVersion: number;
        cipher: CipherSettings;
        fileEncrypted: boolean;
        escrow: { recoveryKeyInPolicy: boolean; present: boolean; intact: boolean; auditKeyEscrowPresent: boolean };
        audit: {
          verify: VerifyReport;
          rollback: RollbackReport | null;
          unshipped: number;
          lastShippedAt: number | null;
        };
        awaitingReview: { emergencyAccess: number; alerts: number };
        sync: { pending: number; conflicts: number; held: number; lastPullAt: number | null };
      };
}

export interface EvidenceContext {
  dataDir: string;
  keyStore: KeyStore;
  logger: Logger;
  /** The managed policy as the app loads it; throws PolicyError when there is none or it is bad. */
  loadPolicy(): Promise<LoadedPolicy>;
  now(): Date;
  /** The shell's facts when packaged (Electron): fuses as read from the binary. */
  packaged?: { fuses: Record<string, string> | null };
}

async function policyEvidence(context: EvidenceContext): Promise<LiveEvidence['policy']> {
  try {
    const loaded = await context.loadPolicy();
    return { ok: true, source: loaded.source, value: loaded.policy };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    return { ok: false, code: error.code, message: error.message };
  }
}

async function keychainEvidence(keyStore: KeyStore): Promise<{ ok: boolean }> {
  try {
    await keyStore.get('clinic-workstation-status-probe');
    return { ok: true };
  } catch {
    return { ok: false };
  }
}

async function vaultEvidence(context: EvidenceContext, policy: Policy): Promise<LiveEvidence['vault']> {
  let vault;
  try {
    vault = await openVaultReadOnly({ dataDir: context.dataDir, keyStore: context.keyStore, logger: context.logger });
  } catch (error) {
    if (error instanceof VaultError) return { ok: false, code: error.code };
    throw error;
  }
  try {
    const { db, files } = vault;
    const key = vault.readerAccess().key;
    const auditKey = await loadAuditKey(context.keyStore, context.dataDir, db);
    const trail = createAuditTrail(db, auditKey, systemClock);
    const rollback = checkAnchor(trail, await readAnchor(context.keyStore, context.dataDir, auditKey));
    return {
      ok: true,
      workstationId: readWorkstationId(db),
      schemaVersion: vault.schemaVersion,
      cipher: cipherSettings(db),
      fileEncrypted: fileHeaderEncrypted(files.db),
      escrow: {
        recoveryKeyInPolicy: policy.vault.recoveryPublicKeyPem !== undefined,
        present: fs.existsSync(files.escrow),
        intact: escrowIsIntact(files.escrow, key),
        auditKeyEscrowPresent: fs.existsSync(auditEscrowFile(context.dataDir)),
      },
      audit: {
        verify: verifyAuditTrail(db, auditKey),
        rollback,
        unshipped: pendingAuditCount(db),
        lastShippedAt: lastShippedAt(db),
      },
      awaitingReview: { emergencyAccess: unreviewedGrantCount(db), alerts: openAlertCount(db) },
      sync: { ...outboxCounts(db), lastPullAt: lastPullAt(db) },
    };
  } finally {
    vault.close();
  }
}

export async function gatherEvidence(context: EvidenceContext): Promise<LiveEvidence> {
  const policy = await policyEvidence(context);
  return {
    generatedAt: context.now().toISOString(),
    app: { version: APP_VERSION, packaged: context.packaged !== undefined, fuses: context.packaged?.fuses ?? null },
    policy,
    keychain: await keychainEvidence(context.keyStore),
    vault: await vaultEvidence(context, policy.ok ? policy.value : Policy.parse({})),
  };
}
