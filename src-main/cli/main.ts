/**
 * The IT command line (PRODUCT.md capability 9): the same core, no window: the vault's key
 * operations and the audit trail's verification and export; status and policy commands join it
 * with their capabilities.
 * Output never contains PHI. Exit codes: 0 done, 1 the operation failed, 2 bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Policy } from '../../src-shared/policy/schema.ts';
import { createJsonLogger } from '../log/index.ts';
import { checkVault, VaultError, vaultErrorGuide, EscrowKeyError, createKeytarKeyStore } from '../vault/index.ts';
import { openWorkstationVault, openWorkstationVaultForReading } from '../workstation.ts';
import { readSalvage, salvageCache } from './salvage.ts';
import { eraseWorkstation, recoverWorkstation } from '../workstation-keys.ts';
import {
  anchorOf,
  checkAnchor,
  readAnchor,
  writeAnchor,
  toAuditEvent,
  loadAuditKey,
  createAuditTrail,
  verifyAuditTrailParallel,
  pendingAuditCount,
  readWorkstationId,
  recordEnrollment,
} from '../audit/index.ts';
import { systemClock } from '../ports.ts';
import { outboxCounts, retryHeld, syncDiagnosticsCount } from '../sync/index.ts';
import { isAllowedTransport } from '../net/index.ts';
import { PolicyError, readPolicyFile, type LoadedPolicy, loadOsPolicy } from '../policy/index.ts';
import { readIfExists } from '../base/index.ts';

const USAGE = `Usage: ws <command> [options]

Commands:
  status                       vault, keychain, policy and audit backlog in one report
                               (exit 1 when any of them is not right)
  policy check <file.json>     validate a policy file against this version's schema
  enroll                       record this workstation's enrollment: its id, and the central
                               addresses from policy after checking they answer
  vault status                 open the cache and report its state
  vault recover --private-key <file.pem>
                               put the escrowed cache key back in the OS keychain
  vault salvage --out <file> [--policy <file.json>]
                               export what can still be read (unsynced changes first, then
                               records and the audit trail), sealed for the IT recovery key
  vault read-salvage --in <file> --private-key <file.pem>
                               IT, offline: the salvaged rows as NDJSON
  vault check                  read and check every page of the cache (the full integrity check;
                               the app checks its small tables at every start)
  vault rotate-key             re-encrypt the cache under a new key
  vault wipe --yes [--discard-unsynced]
                               crypto-erase: destroy the key, then the cache files; refused
                               while changes or audit entries have not reached central
                               unless --discard-unsynced (it says how many it destroys)
  audit verify                 walk the audit chain; report the first altered, removed,
                               inserted or reordered entry (exit 1 when one is found)
  audit accept-rollback --yes  go on with a cache older than its audit anchor (ROLLED_BACK):
                               the loss is recorded in the trail, the anchor moves
  audit export [--since <ISO date>]
                               the audit trail as FHIR AuditEvent NDJSON on stdout
  sync retry-held              put changes held for IT back in the queue (after central
                               was fixed, or the user can sign in again); audited

Options:
  --data-dir <dir>             the cache folder (or CLINIC_DATA_DIR)
  --policy <file.json>         policy file naming the IT recovery public key (for escrow)
  --json                       machine-readable output
`;

class UsageError extends Error {}

/** What IT reads for a vault error: what happened, the particulars where they help, what to do. */
function vaultErrorText(error: VaultError): string {
  const guide = vaultErrorGuide[error.code];
  const particulars = ['IN_USE', 'KEY_MISSING', 'ROLLED_BACK', 'DISK_FULL', 'DATABASE_MISSING'].includes(error.code);
  return particulars ? `${guide.title} ${error.message} ${guide.action}` : `${guide.title} ${guide.action}`;
}

function print(json: boolean, value: Record<string, unknown>, text: string): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`);
}

/** `--policy <file>`: checked exactly as a managed policy is; a bad one is a usage error (exit 2). */
function readPolicy(file: string | undefined): Policy {
  if (!file) return Policy.parse({});
  try {
    const policy = readPolicyFile(file, readIfExists);
    if (!policy) throw new UsageError(`Policy file ${file} does not exist.`);
    return policy;
  } catch (error) {
    if (error instanceof PolicyError) throw new UsageError(error.message);
    throw error;
  }
}

export async function runCli(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'data-dir': { type: 'string' },
      'private-key': { type: 'string' },
      out: { type: 'string' },
      in: { type: 'string' },
      since: { type: 'string' },
      policy: { type: 'string' },
      yes: { type: 'boolean', default: false },
      'discard-unsynced': { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  const json = values.json;
  const [area, command] = positionals;
  if (values.help || !area) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }
  if (area === 'policy') return runPolicyCheck(command, positionals[2], json);
  if (area !== 'vault' && area !== 'audit' && area !== 'status' && area !== 'enroll' && area !== 'sync')
    throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
  if ((area === 'vault' || area === 'audit' || area === 'sync') && !command)
    throw new UsageError(`${area} needs a command.`);
  if (area === 'vault' && command === 'read-salvage') {
    // IT's offline machine: no cache here, only the sealed file and the private key.
    if (!values.in || !values['private-key'])
      throw new UsageError('vault read-salvage needs --in <file> and --private-key <file.pem>.');
    for await (const line of readSalvage(values.in, fs.readFileSync(values['private-key'], 'utf8')))
      process.stdout.write(`${line}\n`);
    return 0;
  }
  const dataDir = values['data-dir'] ?? process.env.CLINIC_DATA_DIR;
  if (!dataDir) throw new UsageError('Name the cache folder with --data-dir or CLINIC_DATA_DIR.');
  const keyStore = createKeytarKeyStore();
  const logger = createJsonLogger(() => {});
  if (area === 'audit')
    return runAuditCommand(command!, {
      dataDir,
      keyStore,
      logger,
      json,
      since: values.since,
      policy: values.policy,
      yes: values.yes,
    });
  if (area === 'status') return runStatus({ dataDir, keyStore, logger, json });
  if (area === 'sync') return runSyncCommand(command!, { dataDir, keyStore, logger, json });
  if (area === 'enroll') return runEnroll({ dataDir, keyStore, logger, json });

  switch (command) {
    case 'status': {
      const vault = await openWorkstationVault({ dataDir, keyStore, policy: readPolicy(values.policy).vault, logger });
      print(
        json,
        { ok: true, state: 'ready', schemaVersion: vault.schemaVersion, escrowed: vault.escrowed },
        `Cache ready (schema ${vault.schemaVersion}, escrow ${vault.escrowed ? 'on' : 'off'}).`,
      );
      vault.close();
      return 0;
    }
    case 'salvage': {
      if (!values.out) throw new UsageError('vault salvage needs --out <file> (it must not exist yet).');
      const pem =
        readPolicy(values.policy).vault.recoveryPublicKeyPem ??
        (await managedPolicy().catch(() => null))?.policy.vault.recoveryPublicKeyPem;
      if (!pem) {
        const message =
          'A salvage is sealed for the IT recovery public key (policy vault.recoveryPublicKeyPem, or --policy <file>); none is set, so nothing was written (nothing leaves the cache in clear).';
        print(json, { ok: false, code: 'NO_RECOVERY_KEY', message }, message);
        return 1;
      }
      const counts = await salvageCache({ dataDir, keyStore, logger, out: values.out, recoveryPublicKeyPem: pem });
      print(
        json,
        { ok: true, out: values.out, counts },
        `Salvaged into ${values.out} (sealed for IT's recovery key): ${counts.map((c) => `${c.label} ${c.read} read${c.unreadable ? `, ${c.unreadable} unreadable` : ''}`).join('; ')}.`,
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
      const file = values['private-key'];
      if (!file) throw new UsageError('vault recover needs --private-key <file.pem>.');
      await recoverWorkstation({ dataDir, keyStore, privateKeyPem: fs.readFileSync(file, 'utf8'), logger });
      await auditKeyOperation({ dataDir, keyStore, logger, policy: values.policy }, 'key.recover');
      print(json, { ok: true, recovered: true }, 'The cache key was recovered and stored in the OS keychain.');
      return 0;
    }
    case 'rotate-key': {
      const vault = await openWorkstationVault({ dataDir, keyStore, policy: readPolicy(values.policy).vault, logger });
      try {
        await vault.rotateKey();
        createAuditTrail(
          vault.db,
          await loadAuditKey(keyStore, dataDir, vault.db, readPolicy(values.policy).vault.recoveryPublicKeyPem),
          systemClock,
        ).append({ action: 'key.rotate', outcome: 'success', userId: null, role: 'itAdmin', detail: 'cache-key' });
      } finally {
        vault.close();
      }
      print(json, { ok: true, rotated: true }, 'The cache was re-encrypted under a new key.');
      return 0;
    }
    case 'wipe': {
      if (!values.yes)
        throw new UsageError('vault wipe destroys the cache and any unsynced changes; confirm with --yes.');
      const unsynced = await unsyncedWork({ dataDir, keyStore, logger, json });
      const destroys = unsynced === 'unknown' || unsynced.pending + unsynced.unshippedAudit > 0;
      if (destroys && !values['discard-unsynced']) {
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

/** The OS's managed policy as the app loads it (file, Group Policy, managed preferences; CLINIC_POLICY_FILE in development). */
function managedPolicy(): Promise<LoadedPolicy> {
  return loadOsPolicy({ platform: process.platform, isPackaged: false, env: process.env, readFile: readIfExists });
}

function runPolicyCheck(command: string | undefined, file: string | undefined, json: boolean): number {
  if (command !== 'check' || !file) throw new UsageError('Use: ws policy check <file.json>');
  try {
    const policy = readPolicyFile(file, readIfExists);
    if (!policy) throw new PolicyError('POLICY_MISSING', `The policy file ${file} does not exist.`, file);
    print(
      json,
      { ok: true, file, centralConfigured: policy.central !== undefined },
      `${file} is a valid policy for this version.${policy.central ? '' : ' It names no central services: nobody can sign in with it.'}`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    print(json, { ok: false, code: error.code, message: error.message }, error.message);
    return 1;
  }
}

type CliContext = {
  dataDir: string;
  keyStore: ReturnType<typeof createKeytarKeyStore>;
  logger: ReturnType<typeof createJsonLogger>;
  json: boolean;
};

/** One report for IT: each part says ok or what is wrong, and the exit code is 1 if any is not ok. */
async function runStatus({ dataDir, keyStore, logger, json }: CliContext): Promise<number> {
  const report: Record<string, Record<string, unknown>> = {};
  let policy: Policy | null = null;
  try {
    const loaded = await managedPolicy();
    policy = loaded.policy;
    report['policy'] = { ok: true, source: loaded.source, centralConfigured: loaded.policy.central !== undefined };
  } catch (error) {
    if (!(error instanceof PolicyError)) throw error;
    report['policy'] = { ok: false, code: error.code, message: error.message };
  }
  try {
    await keyStore.get('clinic-workstation-status-probe');
    report['keychain'] = { ok: true };
  } catch {
    report['keychain'] = {
      ok: false,
      code: 'KEYCHAIN_UNAVAILABLE',
      message: vaultErrorGuide.KEYCHAIN_UNAVAILABLE.action,
    };
  }
  try {
    // Beside the running app it reads without taking the cache (heldBy names the app).
    const { vault, heldBy } = await openWorkstationVaultForReading({
      dataDir,
      keyStore,
      policy: (policy ?? Policy.parse({})).vault,
      logger,
    });
    try {
      report['vault'] = {
        ok: true,
        schemaVersion: vault.schemaVersion,
        escrowed: vault.escrowed,
        workstationId: readWorkstationId(vault.db),
        ...(heldBy ? { inUse: heldBy } : {}),
      };
      const key = await loadAuditKey(keyStore, dataDir, vault.db);
      const trail = createAuditTrail(vault.db, key, systemClock);
      report['audit'] = { ok: true, entries: trail.lastSeq(), unshipped: pendingAuditCount(vault.db) };
      // Held changes wait for IT (or for their author to sign in again here): not ok until then.
      const counts = outboxCounts(vault.db);
      report['sync'] = { ok: counts.held === 0, ...counts, diagnostics: syncDiagnosticsCount(vault.db) };
    } finally {
      vault.close();
    }
  } catch (error) {
    if (!(error instanceof VaultError)) throw error;
    report['vault'] = { ok: false, code: error.code, message: vaultErrorText(error) };
  }
  const ok = Object.values(report).every((part) => part['ok'] === true);
  const lines = Object.entries(report).map(
    ([part, value]) =>
      `${part.padEnd(9)} ${value['ok'] ? 'ok' : 'NOT OK'}  ${Object.entries(value)
        .filter(([k]) => k !== 'ok')
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ')}`,
  );
  print(json, { ok, ...report }, lines.join('\n'));
  return ok ? 0 : 1;
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

/** `sync retry-held`: held changes go back to pending; the next round sends them. */
async function runSyncCommand(command: string, { dataDir, keyStore, logger, json }: CliContext): Promise<number> {
  if (command !== 'retry-held') throw new UsageError(`Unknown command: sync ${command}`);
  const { policy } = await managedPolicy();
  const vault = await openWorkstationVault({ dataDir, keyStore, policy: policy.vault, logger });
  try {
    const released = retryHeld(vault.db);
    const key = await loadAuditKey(keyStore, dataDir, vault.db);
    createAuditTrail(vault.db, key, systemClock).append({
      action: 'sync.retryHeld',
      outcome: 'success',
      userId: null,
      role: null,
      detail: String(released),
    });
    print(json, { ok: true, released }, `${released} held change(s) queued again.`);
    return 0;
  } finally {
    vault.close();
  }
}

/**
 * Enrollment: the policy must name the central services, and both must answer (the identity
 * provider's discovery document, the FHIR API's CapabilityStatement); then the workstation's id
 * and those addresses are recorded in the cache, and the enrollment is audited.
 */
async function runEnroll({ dataDir, keyStore, logger, json }: CliContext): Promise<number> {
  const { policy, source } = await managedPolicy();
  const central = policy.central;
  if (!central)
    throw new PolicyError(
      'POLICY_INVALID',
      `The managed policy in ${source} names no central services (central.fhirBaseUrl, central.issuer, central.clientId, central.roleMap): nothing to enroll with.`,
      source,
    );
  const problems: string[] = [];
  for (const [what, url] of [
    ['identity provider', `${central.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`],
    ['FHIR API', `${central.fhirBaseUrl.replace(/\/+$/, '')}/metadata`],
  ] as const) {
    if (!isAllowedTransport(new URL(url), central.allowLoopbackHttp)) {
      problems.push(`The ${what} address must use HTTPS.`);
      continue;
    }
    try {
      const response = await fetch(url, {
        headers: { accept: 'application/json, application/fhir+json' },
        signal: AbortSignal.timeout(10_000),
      });
      await response.body?.cancel();
      if (!response.ok) problems.push(`The ${what} answered HTTP ${response.status} at ${url}.`);
    } catch {
      problems.push(`The ${what} could not be reached at ${url}.`);
    }
  }
  if (problems.length > 0) {
    print(
      json,
      { ok: false, code: 'CENTRAL_UNREACHABLE', message: problems.join(' ') },
      `Not enrolled: ${problems.join(' ')}`,
    );
    return 1;
  }
  const vault = await openWorkstationVault({ dataDir, keyStore, policy: policy.vault, logger });
  try {
    const workstationId = readWorkstationId(vault.db);
    const enrolledAt = new Date().toISOString();
    recordEnrollment(vault.db, { enrolledAt, centralIssuer: central.issuer, centralFhirBaseUrl: central.fhirBaseUrl });
    createAuditTrail(
      vault.db,
      await loadAuditKey(keyStore, dataDir, vault.db, policy.vault.recoveryPublicKeyPem),
      systemClock,
    ).append({ action: 'workstation.enroll', outcome: 'success', userId: null, role: 'itAdmin', detail: 'enrolled' });
    print(
      json,
      { ok: true, workstationId, enrolledAt, issuer: central.issuer, fhirBaseUrl: central.fhirBaseUrl },
      `Enrolled workstation ${workstationId} with ${central.fhirBaseUrl} (identity provider ${central.issuer}).`,
    );
    return 0;
  } finally {
    vault.close();
  }
}

/** Key operations are audited in the cache they changed (after the change: the trail lives inside). */
async function auditKeyOperation(
  options: {
    dataDir: string;
    keyStore: ReturnType<typeof createKeytarKeyStore>;
    logger: ReturnType<typeof createJsonLogger>;
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

/**
 * `audit accept-rollback --yes`: IT goes on with a cache older than its audit anchor, knowingly.
 * The loss is recorded in the trail (it ships with the rest), then the anchor moves to what is there.
 */
async function acceptRollback(options: {
  dataDir: string;
  keyStore: ReturnType<typeof createKeytarKeyStore>;
  logger: ReturnType<typeof createJsonLogger>;
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

/** Where each tamper kind is reported: the IT guide explains what to do about each. */
async function runAuditCommand(
  command: string,
  options: {
    dataDir: string;
    keyStore: ReturnType<typeof createKeytarKeyStore>;
    logger: ReturnType<typeof createJsonLogger>;
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
  if (command !== 'verify' && command !== 'export' && command !== 'accept-rollback')
    throw new UsageError(`Unknown audit command: ${command}`);
  if (command === 'accept-rollback') return acceptRollback(options);
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
    let count = 0;
    for (const entry of trail.entries(since === undefined ? {} : { since })) {
      process.stdout.write(`${JSON.stringify(toAuditEvent(entry))}\n`);
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

/**
 * One run of the command line with its arguments (after the program name): the exit code, and
 * every failure told as a message for IT (JSON with --json). Used by `npm run ws` and by the
 * installed app started with `--ws` (src-main/electron/main.ts).
 */
export async function runCliProcess(argv: string[]): Promise<number> {
  const json = argv.includes('--json');
  try {
    return await runCli(argv);
  } catch (error) {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    const message =
      error instanceof VaultError
        ? vaultErrorText(error)
        : error instanceof EscrowKeyError ||
            error instanceof PolicyError ||
            usage ||
            (error as NodeJS.ErrnoException).code === 'ENOENT'
          ? (error as Error).message
          : 'The command failed unexpectedly.';
    const code =
      error instanceof VaultError || error instanceof PolicyError || error instanceof EscrowKeyError
        ? error.code
        : usage
          ? 'USAGE'
          : 'FAILED';
    if (json) process.stdout.write(`${JSON.stringify({ ok: false, code, message })}\n`);
    else process.stderr.write(`${message}\n${usage ? `\n${USAGE}` : ''}`);
    return usage ? 2 : 1;
  }
}

async function main(): Promise<void> {
  process.exitCode = await runCliProcess(process.argv.slice(2));
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('cli/main.ts')) {
  await main();
}
