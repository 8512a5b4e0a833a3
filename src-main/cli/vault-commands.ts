/** The `ws vault` commands: the cache's keys, integrity, salvage and wipe. */
import fs from 'node:fs';
import path from 'node:path';
import { Policy } from '../../src-shared/policy/schema.ts';
import { createAuditTrail, loadAuditKey, pendingAuditCount } from '../audit/index.ts';
import { systemClock, type KeyStore } from '../ports.ts';
import type { Logger } from '../log/index.ts';
import { outboxCounts } from '../sync/index.ts';
import { checkVault, VaultError, vaultErrorGuide } from '../vault/index.ts';
import { openWorkstationVault, openWorkstationVaultForReading } from '../workstation.ts';
import { eraseWorkstation, recoverWorkstation } from '../workstation-keys.ts';
import { managedPolicy, print, readPolicy, UsageError, type CliContext } from './common.ts';
import { salvageCache } from './salvage.ts';

export interface VaultArgs {
  policy: string | undefined;
  privateKey: string | undefined;
  out: string | undefined;
  yes: boolean;
  discardUnsynced: boolean;
}

export async function runVaultCommand(
  command: string,
  { dataDir, keyStore, logger, json }: CliContext,
  args: VaultArgs,
): Promise<number> {
  switch (command) {
    case 'status': {
      const vault = await openWorkstationVault({ dataDir, keyStore, policy: readPolicy(args.policy).vault, logger });
      print(
        json,
        { ok: true, state: 'ready', schemaVersion: vault.schemaVersion, escrowed: vault.escrowed },
        `Cache ready (schema ${vault.schemaVersion}, escrow ${vault.escrowed ? 'on' : 'off'}).`,
      );
      vault.close();
      return 0;
    }
    case 'salvage': {
      if (!args.out) throw new UsageError('vault salvage needs --out <file> (it must not exist yet).');
      const pem =
        readPolicy(args.policy).vault.recoveryPublicKeyPem ??
        (await managedPolicy().catch(() => null))?.policy.vault.recoveryPublicKeyPem;
      if (!pem) {
        const message =
          'A salvage is sealed for the IT recovery public key (policy vault.recoveryPublicKeyPem, or --policy <file>); none is set, so nothing was written (nothing leaves the cache in clear).';
        print(json, { ok: false, code: 'NO_RECOVERY_KEY', message }, message);
        return 1;
      }
      const counts = await salvageCache({ dataDir, keyStore, logger, out: args.out, recoveryPublicKeyPem: pem });
      print(
        json,
        { ok: true, out: args.out, counts },
        `Salvaged into ${args.out} (sealed for IT's recovery key): ${counts.map((c) => `${c.label} ${c.read} read${c.unreadable ? `, ${c.unreadable} unreadable` : ''}`).join('; ')}.`,
      );
      return 0;
    }
    case 'check': {
      // Every page read and checked (minutes on a large cache); beside the app it reads read-only.
      const { vault } = await openWorkstationVaultForReading({
        dataDir,
        keyStore,
        policy: Policy.parse({}).vault,
        logger,
      });
      try {
        const problem = checkVault(vault.db);
        if (problem === null) {
          print(json, { ok: true }, 'Every page of the cache was read and is whole.');
          return 0;
        }
        const message = `The cache is damaged: ${problem}. ${vaultErrorGuide.CORRUPT.action}`;
        print(json, { ok: false, code: 'CORRUPT', message }, message);
        return 1;
      } finally {
        vault.close();
      }
    }
    case 'recover': {
      const file = args.privateKey;
      if (!file) throw new UsageError('vault recover needs --private-key <file.pem>.');
      await recoverWorkstation({ dataDir, keyStore, privateKeyPem: fs.readFileSync(file, 'utf8'), logger });
      await auditKeyOperation({ dataDir, keyStore, logger, policy: args.policy }, 'key.recover');
      print(json, { ok: true, recovered: true }, 'The cache key was recovered and stored in the OS keychain.');
      return 0;
    }
    case 'rotate-key': {
      const vault = await openWorkstationVault({ dataDir, keyStore, policy: readPolicy(args.policy).vault, logger });
      try {
        await vault.rotateKey();
        createAuditTrail(
          vault.db,
          await loadAuditKey(keyStore, dataDir, vault.db, readPolicy(args.policy).vault.recoveryPublicKeyPem),
          systemClock,
        ).append({ action: 'key.rotate', outcome: 'success', userId: null, role: 'itAdmin', detail: 'cache-key' });
      } finally {
        vault.close();
      }
      print(json, { ok: true, rotated: true }, 'The cache was re-encrypted under a new key.');
      return 0;
    }
    case 'wipe': {
      if (!args.yes)
        throw new UsageError('vault wipe destroys the cache and any unsynced changes; confirm with --yes.');
      const unsynced = await unsyncedWork({ dataDir, keyStore, logger, json });
      const destroys = unsynced === 'unknown' || unsynced.pending + unsynced.unshippedAudit > 0;
      if (destroys && !args.discardUnsynced) {
        const told =
          unsynced === 'unknown'
            ? 'The cache cannot be read, so it may hold changes not yet synced and audit entries not yet shipped.'
            : `The cache holds ${unsynced.pending} change(s) not yet on central and ${unsynced.unshippedAudit} audit entries not yet shipped.`;
        const message = `${told} Sync first (sign in, or \`ws sync retry-held\`), or recover the key; to destroy them anyway, add --discard-unsynced.`;
        print(json, { ok: false, code: 'UNSYNCED', message, ...(unsynced === 'unknown' ? {} : unsynced) }, message);
        return 1;
      }
      const { removed } = await eraseWorkstation({ dataDir, keyStore });
      print(
        json,
        { ok: true, removed, ...(destroys ? { discarded: unsynced } : {}) },
        `Key destroyed; removed ${removed.length} file(s).`,
      );
      return 0;
    }
    default:
      throw new UsageError(`Unknown vault command: ${command}`);
  }
}

/**
 * What a wipe would destroy: changes waiting for central (pending, held or in conflict) and audit
 * entries not yet shipped; 'unknown' when the cache exists but cannot be read.
 */
async function unsyncedWork({
  dataDir,
  keyStore,
  logger,
}: CliContext): Promise<{ pending: number; unshippedAudit: number } | 'unknown'> {
  if (!fs.existsSync(path.join(dataDir, 'cache.db'))) return { pending: 0, unshippedAudit: 0 };
  try {
    const vault = await openWorkstationVault({ dataDir, keyStore, policy: Policy.parse({}).vault, logger });
    try {
      const counts = outboxCounts(vault.db);
      return { pending: counts.pending + counts.held + counts.conflicts, unshippedAudit: pendingAuditCount(vault.db) };
    } finally {
      vault.close();
    }
  } catch (error) {
    if (error instanceof VaultError && error.code === 'IN_USE') throw error;
    if (error instanceof VaultError) return 'unknown';
    throw error;
  }
}

/** Key operations are audited in the cache they changed (after the change: the trail lives inside). */
async function auditKeyOperation(
  options: {
    dataDir: string;
    keyStore: KeyStore;
    logger: Logger;
    policy: string | undefined;
  },
  action: 'key.recover',
): Promise<void> {
  const vault = await openWorkstationVault({
    dataDir: options.dataDir,
    keyStore: options.keyStore,
    policy: readPolicy(options.policy).vault,
    logger: options.logger,
  });
  try {
    createAuditTrail(
      vault.db,
      await loadAuditKey(
        options.keyStore,
        options.dataDir,
        vault.db,
        readPolicy(options.policy).vault.recoveryPublicKeyPem,
      ),
      systemClock,
    ).append({ action, outcome: 'success', userId: null, role: 'itAdmin', detail: 'cache-key' });
  } finally {
    vault.close();
  }
}
