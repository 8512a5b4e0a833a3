/** The `ws audit` commands: verify the chain (and its anchor), export it, accept a rollback. */
import { hostname } from 'node:os';
import { Policy } from '../../src-shared/policy/schema.ts';
import {
  anchorOf,
  checkAnchor,
  createAuditTrail,
  loadAuditKey,
  readAnchor,
  retryRefusedAudit,
  toAuditEvent,
  verifyAuditTrailParallel,
  writeAnchor,
} from '../audit/index.ts';
import { systemClock, type KeyStore } from '../ports.ts';
import type { Logger } from '../log/index.ts';
import { openWorkstationVault, openWorkstationVaultForReading } from '../workstation.ts';
import { print, readPolicy, UsageError } from './common.ts';

/**
 * `audit accept-rollback --yes`: IT goes on with a cache older than its audit anchor, knowingly.
 * The loss is recorded in the trail (it ships with the rest), then the anchor moves to what is there.
 */
async function acceptRollback(options: {
  dataDir: string;
  keyStore: KeyStore;
  logger: Logger;
  json: boolean;
  yes?: boolean;
}): Promise<number> {
  if (!options.yes)
    throw new UsageError(
      'audit accept-rollback records that audit entries are lost and lets the app start; confirm with --yes.',
    );
  const vault = await openWorkstationVault({
    dataDir: options.dataDir,
    keyStore: options.keyStore,
    policy: Policy.parse({}).vault,
    logger: options.logger,
  });
  const key = await loadAuditKey(options.keyStore, options.dataDir, vault.db);
  const trail = createAuditTrail(vault.db, key, systemClock);
  const rollback = checkAnchor(trail, await readAnchor(options.keyStore, options.dataDir, key));
  if (!rollback) {
    vault.close();
    print(
      options.json,
      { ok: true, accepted: false },
      'The audit trail is as long as its anchor says: there is nothing to accept.',
    );
    return 0;
  }
  trail.append({
    action: 'audit.rollbackAccepted',
    outcome: 'success',
    userId: null,
    role: 'itAdmin',
    detail: `${rollback.kind}:anchored-${rollback.anchoredSeq}:found-${rollback.lastSeq}`,
  });
  const anchor = anchorOf(trail);
  vault.close(); // the close makes the entry durable before the anchor moves past it
  await writeAnchor(options.keyStore, options.dataDir, key, anchor);
  print(
    options.json,
    { ok: true, accepted: true, anchoredSeq: rollback.anchoredSeq, lastSeq: rollback.lastSeq },
    `Accepted: ${rollback.message} The loss is recorded in the audit trail.`,
  );
  return 0;
}

/**
 * `audit retry-refused`: entries central refused one by one go again from the next shipping
 * round (after central was fixed); audited.
 */
async function retryRefused(options: { dataDir: string; keyStore: KeyStore; logger: Logger; json: boolean }) {
  const vault = await openWorkstationVault({
    dataDir: options.dataDir,
    keyStore: options.keyStore,
    policy: Policy.parse({}).vault,
    logger: options.logger,
  });
  try {
    const released = retryRefusedAudit(vault.db);
    const key = await loadAuditKey(options.keyStore, options.dataDir, vault.db);
    createAuditTrail(vault.db, key, systemClock).append({
      action: 'audit.retryRefused',
      outcome: 'success',
      userId: null,
      role: 'itAdmin',
      detail: String(released),
    });
    print(
      options.json,
      { ok: true, released },
      `${released} refused audit entr${released === 1 ? 'y' : 'ies'} will be sent again.`,
    );
    return 0;
  } finally {
    vault.close();
  }
}

/** Where each tamper kind is reported: the IT guide explains what to do about each. */
export async function runAuditCommand(
  command: string,
  options: {
    dataDir: string;
    keyStore: KeyStore;
    logger: Logger;
    json: boolean;
    since: string | undefined;
    policy: string | undefined;
    yes?: boolean;
  },
): Promise<number> {
  const { json } = options;
  let since: number | undefined;
  if (command === 'export' && options.since !== undefined) {
    since = Date.parse(options.since);
    if (!/^\d{4}-\d{2}-\d{2}/.test(options.since) || Number.isNaN(since))
      throw new UsageError('--since takes an ISO date or date-time, e.g. 2026-11-01 or 2026-11-01T08:00:00Z.');
  }
  if (!['verify', 'export', 'accept-rollback', 'retry-refused'].includes(command))
    throw new UsageError(`Unknown audit command: ${command}`);
  if (command === 'accept-rollback') return acceptRollback(options);
  if (command === 'retry-refused') return retryRefused(options);
  const vaultOptions = {
    dataDir: options.dataDir,
    keyStore: options.keyStore,
    policy: readPolicy(options.policy).vault,
    logger: options.logger,
  };
  // Verifying only reads: it works beside the running app. Exporting is audited, so it owns the cache.
  const { vault, heldBy } =
    command === 'verify'
      ? await openWorkstationVaultForReading(vaultOptions)
      : { vault: await openWorkstationVault(vaultOptions), heldBy: null };
  try {
    const key = await loadAuditKey(
      options.keyStore,
      options.dataDir,
      vault.db,
      heldBy ? undefined : readPolicy(options.policy).vault.recoveryPublicKeyPem,
    );
    if (command === 'verify') {
      const access = vault.readerAccess();
      const report = await verifyAuditTrailParallel({
        db: vault.db,
        file: access.file,
        dbKey: access.key,
        auditKey: key,
      });
      // The chain holds together; is it as long as its anchor outside the cache says it was?
      const rollback = report.ok
        ? checkAnchor(
            createAuditTrail(vault.db, key, systemClock),
            await readAnchor(options.keyStore, options.dataDir, key),
          )
        : null;
      if (rollback) {
        print(
          json,
          {
            ok: false,
            code: 'AUDIT_ROLLED_BACK',
            kind: rollback.kind,
            anchoredSeq: rollback.anchoredSeq,
            lastSeq: rollback.lastSeq,
            message: rollback.message,
          },
          `AUDIT TRAIL ROLLED BACK: ${rollback.message}`,
        );
        return 1;
      }
      if (report.ok) {
        print(
          json,
          { ok: true, checked: report.checked, lastSeq: report.lastSeq },
          `Audit trail intact: ${report.checked} entries verified (last ${report.lastSeq}).`,
        );
        return 0;
      }
      print(
        json,
        {
          ok: false,
          code: 'AUDIT_TAMPERED',
          kind: report.kind,
          seq: report.seq,
          checked: report.checked,
          message: report.message,
        },
        `AUDIT TRAIL BROKEN: ${report.message} (${report.checked} entries before it verified).`,
      );
      return 1;
    }
    const trail = createAuditTrail(vault.db, key, systemClock);
    // The same AuditEvents central receives: central (from policy, when enrolled) as the server.
    const central = readPolicy(options.policy).central;
    const context = { hostName: hostname(), ...(central ? { fhirBaseUrl: central.fhirBaseUrl } : {}) };
    let count = 0;
    for (const entry of trail.entries(since === undefined ? {} : { since })) {
      process.stdout.write(`${JSON.stringify(toAuditEvent(entry, context))}\n`);
      count++;
    }
    // Exporting the trail is itself audited.
    trail.append({
      action: 'audit.export',
      outcome: 'success',
      userId: null,
      role: 'itAdmin',
      detail: `${count}-entries`,
    });
    if (!json) process.stderr.write(`Exported ${count} AuditEvents.\n`);
    return 0;
  } finally {
    vault.close();
  }
}
