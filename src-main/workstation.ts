/**
 * The workstation itself, for the composition root: its encrypted cache opened with every
 * capability's schema, its audit trail under its own key, what it tells the window about itself,
 * and the audit trail's store-and-forward to central. When the cache cannot be opened the core
 * still answers, so the window can show IT what happened and what to do (fail closed).
 */
import { APP_NAME, APP_VERSION } from '../src-shared/app-info.ts';
import type { WorkstationStatus } from '../src-shared/ipc/contract.ts';
import type { VaultStatus } from '../src-shared/vault/status.ts';
import {
  anchorOf,
  auditKeyTraces,
  checkAnchor,
  createAnchorKeeper,
  readAnchor,
  writeAnchor,
  createAuditShipper,
  createAuditTrail,
  loadAuditKey,
  purgeAuditTrail,
  type AuditShipper,
  type AuditTrail,
} from './audit/index.ts';
import type { Handlers } from './ipc/index.ts';
import { largeTables, workstationMigrations } from './migrations.ts';
import { eraseWorkstation, wipedMarkerOf } from './workstation-keys.ts';
import { errorName } from './base/index.ts';
import { centralFetchFor } from './net/index.ts';
import { describePolicy } from './policy/index.ts';
import { policyIsManaged, systemTimers, type Ports, type Timers } from './ports.ts';
import {
  afterDurableCommit,
  asDiskFull,
  openVault,
  openVaultReadOnly,
  VaultError,
  vaultErrorGuide,
  type Database,
  type ReadOnlyVault,
  type Vault,
  type VaultOptions,
} from './vault/index.ts';

type Opened = { vault: Vault; trail: AuditTrail; auditKey: Buffer };

export interface Workstation {
  /** True when the cache and its audit trail are open. */
  readonly ready: boolean;
  /** The cache's database; throws the vault's error when it could not be opened. */
  db(): Database;
  /** The audit trail; throws the vault's error when the cache could not be opened. */
  trail(): AuditTrail;
  status(): WorkstationStatus;
  /** For the audit shipper's retention: the open cache, or null. */
  opened(): Opened | null;
  /** Resolves once the audit anchor outside the cache holds every durable entry so far. */
  anchored(): Promise<void>;
  /** Closes the cache, then anchors the audit trail's final head (the close made it durable). */
  close(): Promise<void>;
}

/**
 * The workstation's cache, opened (or created) with every capability's schema. The audit key's
 * traces count as traces of a cache: with them and no database, nothing is created afresh.
 */
export async function openWorkstationVault(
  options: Omit<VaultOptions, 'migrations' | 'otherTraces' | 'largeTables'>,
): Promise<Vault> {
  const wiped = wipedMarkerOf(options.dataDir);
  if (wiped) throw wipedError(wiped);
  const otherTraces = await auditKeyTraces(options.keyStore, options.dataDir);
  return openVault({ ...options, migrations: workstationMigrations, otherTraces, largeTables });
}

/**
 * The cache to read from (`ws status`, `ws audit verify`): opened as its owner when nobody holds
 * it; beside the app, read-only, when the app does (`heldBy` names it).
 */
export async function openWorkstationVaultForReading(
  options: Omit<VaultOptions, 'migrations' | 'otherTraces' | 'largeTables'>,
): Promise<{ vault: ReadOnlyVault; heldBy: string | null }> {
  try {
    return { vault: await openWorkstationVault(options), heldBy: null };
  } catch (error) {
    if (!(error instanceof VaultError) || error.code !== 'IN_USE') throw error;
    return { vault: await openVaultReadOnly(options), heldBy: error.message };
  }
}

const wipedError = (marker: { wipedAt: string; taskId: string }) =>
  new VaultError('WIPED', `Wiped at ${marker.wipedAt} on central's order (Task/${marker.taskId}).`);

/**
 * A wiped workstation opens only to say so. The marker is written before the keys go, so a
 * crash in the middle of a wipe is finished here (erasing is idempotent).
 */
async function finishWipe(ports: Ports): Promise<VaultError | null> {
  const wiped = wipedMarkerOf(ports.paths.dataDir);
  if (!wiped) return null;
  try {
    await eraseWorkstation({ dataDir: ports.paths.dataDir, keyStore: ports.keyStore });
  } catch (error) {
    ports.logger.log('error', 'workstation.wipe-finish-failed', { errorName: errorName(error) });
  }
  return wipedError(wiped);
}

async function openCacheAndTrail(ports: Ports): Promise<Opened | VaultError> {
  const wiped = await finishWipe(ports);
  if (wiped) return wiped;
  let vault: Vault | null = null;
  try {
    vault = await openWorkstationVault({
      dataDir: ports.paths.dataDir,
      keyStore: ports.keyStore,
      policy: ports.policy.vault,
      logger: ports.logger,
    });
    let auditEscrowRepaired = false;
    const auditKey = await loadAuditKey(
      ports.keyStore,
      ports.paths.dataDir,
      vault.db,
      ports.policy.vault.recoveryPublicKeyPem,
      () => (auditEscrowRepaired = true),
    );
    const trail = createAuditTrail(vault.db, auditKey, ports.clock);
    const anchor = await readAnchor(ports.keyStore, ports.paths.dataDir, auditKey);
    const rollback = checkAnchor(trail, anchor);
    if (rollback) {
      // Never a silent start: recorded in the trail (it ships once IT accepts), then the IT screen.
      trail.append({
        action: 'audit.rollbackDetected',
        outcome: 'failure',
        userId: null,
        role: null,
        detail: `${rollback.kind}:anchored-${rollback.anchoredSeq}:found-${rollback.lastSeq}`,
      });
      ports.logger.log('error', 'audit.rollback-detected', { reason: rollback.kind });
      vault.close();
      return new VaultError('ROLLED_BACK', rollback.message);
    }
    if (anchor === null) await writeAnchor(ports.keyStore, ports.paths.dataDir, auditKey, anchorOf(trail));
    // An escrow found damaged was written again from the live key: IT must know it happened.
    for (const [repaired, which] of [
      [vault.escrowRepaired, 'cache-key'],
      [auditEscrowRepaired, 'audit-key'],
    ] as const) {
      if (repaired)
        trail.append({ action: 'key.escrowRepaired', outcome: 'success', userId: null, role: null, detail: which });
    }
    return { vault, trail, auditKey };
  } catch (caught) {
    vault?.close();
    const error = asDiskFull(caught, ports.paths.dataDir) ?? caught;
    if (!(error instanceof VaultError)) throw error;
    ports.logger.log('error', 'vault.open-failed', { code: error.code });
    return error;
  }
}

export async function openWorkstation(ports: Ports): Promise<Workstation> {
  const state = await openCacheAndTrail(ports);
  const opened = state instanceof VaultError ? null : state;
  const require = (): Opened => {
    if (state instanceof VaultError) throw state;
    return state;
  };
  const keeper = opened ? keepAnchored(opened, ports) : null;
  let closed = false; // a remote wipe closes the cache before the core closes everything else
  if (opened) {
    opened.trail.append({
      action: 'workstation.start',
      outcome: 'success',
      userId: null,
      role: null,
      detail: APP_VERSION,
    });
    opened.trail.append({
      action: 'policy.load',
      outcome: 'success',
      userId: null,
      role: null,
      detail: ports.policySource ?? 'built-in defaults',
    });
  }
  const vaultStatus = (): VaultStatus =>
    opened
      ? { state: 'ready', schemaVersion: opened.vault.schemaVersion, escrowed: opened.vault.escrowed }
      : {
          state: 'error',
          code: (state as VaultError).code,
          ...vaultErrorGuide[(state as VaultError).code],
          detail: (state as VaultError).message.slice(0, 500),
        };
  return {
    ready: opened !== null,
    db: () => require().vault.db,
    trail: () => require().trail,
    status: () => ({
      appName: APP_NAME,
      appVersion: APP_VERSION,
      workstationId: opened ? opened.trail.workstationId : null,
      vault: vaultStatus(),
    }),
    opened: () => opened,
    anchored: () => keeper?.anchored() ?? Promise.resolve(),
    async close() {
      if (!opened || !keeper || closed) return;
      closed = true;
      keeper.stop();
      const final = anchorOf(opened.trail);
      opened.vault.close();
      await keeper.write(final);
    },
  };
}

/** The audit anchor follows the durable state: after each durable commit, and periodically. */
function keepAnchored(opened: Opened, ports: Ports): ReturnType<typeof createAnchorKeeper> {
  const keeper = createAnchorKeeper({
    trail: opened.trail,
    checkpoint: () => void opened.vault.db.pragma('wal_checkpoint(PASSIVE)'),
    key: opened.auditKey,
    keyStore: ports.keyStore,
    dataDir: ports.paths.dataDir,
    timers: ports.timers ?? systemTimers,
    logger: ports.logger,
  });
  const unsubscribe = afterDurableCommit(opened.vault.db, keeper.noteDurable);
  return { ...keeper, stop: () => (unsubscribe(), keeper.stop()) };
}

export function workstationHandlers(
  workstation: Workstation,
  ports: Ports,
): Pick<Handlers, 'workstation.status' | 'workstation.policy'> {
  return {
    'workstation.status': () => workstation.status(),
    'workstation.policy': () => ({
      source: ports.policySource ?? 'built-in defaults',
      managed: policyIsManaged(ports),
      settings: describePolicy(ports.policy),
    }),
  };
}

/**
 * Store-and-forward of the audit trail, under the signed-in user's token, break-glass first; after
 * each round, entries shipped and past retention leave the workstation. None before IT enrolls it.
 */
export function startAuditShipping(
  workstation: Workstation,
  ports: Ports,
  timers: Timers,
  accessToken: () => string | null,
): AuditShipper | null {
  const opened = workstation.opened();
  const central = ports.policy.central;
  if (!opened || !central) return null;
  return createAuditShipper({
    db: workstation.db,
    fhirBaseUrl: central.fhirBaseUrl,
    allowLoopbackHttp: central.allowLoopbackHttp,
    fetch: centralFetchFor(central),
    accessToken,
    clock: ports.clock,
    timers,
    logger: ports.logger,
    afterRound: () =>
      purgeAuditTrail(opened.vault.db, opened.auditKey, opened.trail, ports.policy.audit.retentionDays, ports.clock),
  });
}
