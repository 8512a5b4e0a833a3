/**
 * The IT command line (PRODUCT.md capability 9): the same core, no window: the vault's key
 * operations and the audit trail's verification and export; status and policy commands join it
 * with their capabilities.
 * Output never contains PHI. Exit codes: 0 done, 1 the operation failed, 2 bad usage.
 */
import { fleetLine } from '../../src-shared/fleet/device.ts';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Policy } from '../../src-shared/policy/schema.ts';
import { createJsonLogger } from '../log/index.ts';
import { VaultError, vaultErrorGuide, EscrowKeyError, createKeytarKeyStore } from '../vault/index.ts';
import { openWorkstationVault, openWorkstationVaultForReading } from '../workstation.ts';
import { clearWipedMarker, eraseWorkstation, wipedMarkerOf } from '../workstation-keys.ts';
import { workstationBacklogs } from '../workstation-health.ts';
import { readSalvage } from './salvage.ts';
import { runAuditCommand } from './audit-commands.ts';
import { managedPolicy, print, UsageError, vaultErrorText, type CliContext } from './common.ts';
import { runVaultCommand } from './vault-commands.ts';
import { runComplianceCommand, type ShellFacts } from './compliance/command.ts';
import { loadAuditKey, createAuditTrail, readWorkstationId, recordEnrollment } from '../audit/index.ts';
import { systemClock } from '../ports.ts';
import { retryHeld } from '../sync/index.ts';
import { isAllowedTransport } from '../net/index.ts';
import { PolicyError, readPolicyFile } from '../policy/index.ts';
import { readIfExists } from '../base/index.ts';

const USAGE = `Usage: ws <command> [options]

Commands:
  status                       vault, keychain, policy and audit backlog in one report
                               (exit 1 when any of them is not right)
  policy check <file.json>     validate a policy file against this version's schema
  enroll                       record this workstation's enrollment: its id, and the central
                               addresses from policy after checking they answer (after a
                               remote wipe: a new, empty cache with a new id)
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
  audit retry-refused          send again the audit entries central refused one by one
                               (after central was fixed); audited
  sync retry-held              put changes held for IT back in the queue (after central
                               was fixed, or the user can sign in again); audited
  compliance report [--format html|md|json] [--test-reports <dir>]
                               the HIPAA 164.312 evidence report on stdout: live checks of
                               this workstation and the last test run (exit 1 when any
                               control needs attention)

Options:
  --data-dir <dir>             the cache folder (or CLINIC_DATA_DIR)
  --policy <file.json>         policy file naming the IT recovery public key (for escrow)
  --json                       machine-readable output
`;

export async function runCli(argv: string[], shell?: ShellFacts): Promise<number> {
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
      format: { type: 'string' },
      'test-reports': { type: 'string' },
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
  if (!['vault', 'audit', 'status', 'enroll', 'sync', 'compliance'].includes(area))
    throw new UsageError(`Unknown command: ${positionals.join(' ')}`);
  if ((area === 'vault' || area === 'audit' || area === 'sync' || area === 'compliance') && !command)
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
  if (area === 'compliance')
    return runComplianceCommand(command!, {
      dataDir,
      keyStore,
      logger,
      format: values.format,
      testReports: values['test-reports'],
      ...(shell ? { shell } : {}),
    });

  return runVaultCommand(
    command!,
    { dataDir, keyStore, logger, json },
    {
      policy: values.policy,
      privateKey: values['private-key'],
      out: values.out,
      yes: values.yes,
      discardUnsynced: values['discard-unsynced'],
    },
  );
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
      // The same counts as the app's IT status screen (workstation-health.ts).
      const backlogs = workstationBacklogs(vault.db);
      // Entries central refused wait for IT (`ws audit retry-refused`): not ok until then.
      const refused = backlogs.audit.refusedByCentral;
      report['audit'] = {
        ok: refused === 0,
        entries: trail.lastSeq(),
        unshipped: backlogs.audit.unshipped,
        refusedByCentral: refused,
      };
      // Held changes wait for IT (or for their author to sign in again here): not ok until then.
      const { pending, conflicts, held, diagnostics } = backlogs.sync;
      report['sync'] = { ok: held === 0, pending, conflicts, held, diagnostics };
      // What central's fleet view shows of this workstation: what it last told central, and when.
      const told = backlogs.fleet;
      report['fleet'] = told
        ? { ok: true, lastReportedAt: new Date(told.reportedAt).toISOString(), ...fleetLine(told.device) }
        : { ok: true, lastReportedAt: null };
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
  // A workstation wiped by IT's order starts again only here: the erase is finished (a crash may
  // have interrupted it), then the marker goes, and a new cache with a new id is created below.
  const reenrolled = wipedMarkerOf(dataDir) !== null;
  if (reenrolled) {
    await eraseWorkstation({ dataDir, keyStore });
    clearWipedMarker(dataDir);
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
      { ok: true, workstationId, enrolledAt, issuer: central.issuer, fhirBaseUrl: central.fhirBaseUrl, reenrolled },
      `Enrolled workstation ${workstationId} with ${central.fhirBaseUrl} (identity provider ${central.issuer})${reenrolled ? ' after a remote wipe, with a new, empty cache' : ''}.`,
    );
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
export async function runCliProcess(argv: string[], shell?: ShellFacts): Promise<number> {
  const json = argv.includes('--json');
  try {
    return await runCli(argv, shell);
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
