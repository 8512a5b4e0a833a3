/**
 * The IT command line as IT runs it: a separate process, the real keychain, exit codes and
 * machine-readable output, and no change at all on bad usage.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { workstationPolicyFor } from '../../dev/central/central.ts';
import { startTestCentral, type Central } from '../support/central.ts';
import { storeResources } from '../../src-main/records/repository.ts';
import { LATEST_SCHEMA_VERSION } from '../../src-main/migrations.ts';
import { loadAuditKey } from '../../src-main/audit/key.ts';
import { createAuditTrail } from '../../src-main/audit/trail.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { runTs } from '../support/child.ts';
import { testPatient } from '../support/fhir.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { snapshotDir } from '../support/temp.ts';
import { openTempVault, type TempVault } from '../support/vault-fixture.ts';

let dataDir: string;
let temp: TempVault;
const ws = (...args: string[]) => runTs('src-main/cli/main.ts', args);

beforeEach(async () => {
  temp = await openTempVault({ prefix: 'clinic-cli-', subdir: 'cache' });
  ({ dataDir } = temp);
  storeResources(temp.vault.db, [testPatient('p1', 'Istrane', 'Morwick', 'C-1')]);
  temp.vault.close();
});
afterEach(() => temp.close());

describe('ws vault', () => {
  it('status reports the cache as JSON', async () => {
    const result = await ws('vault', 'status', '--data-dir', dataDir, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual({
      ok: true,
      state: 'ready',
      schemaVersion: LATEST_SCHEMA_VERSION,
      escrowed: false,
    });
  });

  it('bad usage exits 2 and changes nothing', async () => {
    const before = snapshotDir(dataDir);
    const badPolicy = path.join(path.dirname(dataDir), 'policy.json');
    fs.writeFileSync(badPolicy, '{ "vault": ');
    const typoPolicy = path.join(path.dirname(dataDir), 'typo.json');
    fs.writeFileSync(typoPolicy, JSON.stringify({ lock: { idleSecs: 60 } }));
    for (const args of [
      ['vault', 'explode', '--data-dir', dataDir],
      ['vault', 'wipe', '--data-dir', dataDir],
      ['vault', 'status', '--bogus'],
      ['vault', 'status'],
      ['vault', 'rotate-key', '--data-dir', dataDir, '--policy', badPolicy],
      ['vault', 'rotate-key', '--data-dir', dataDir, '--policy', typoPolicy],
      ['vault', 'rotate-key', '--data-dir', dataDir, '--policy', `${badPolicy}.missing`],
    ]) {
      const result = await ws(...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).not.toContain('failed unexpectedly');
    }
    expect(snapshotDir(dataDir)).toEqual(before);
    expect(await keyStore.get(accountsFor(dataDir).current)).not.toBeNull();
  });

  it('a fail-closed cache exits 1 with the typed code and the action for IT', async () => {
    await keyStore.delete(accountsFor(dataDir).current);
    const result = await ws('vault', 'status', '--data-dir', dataDir, '--json');
    expect(result.code).toBe(1);
    const answer = JSON.parse(result.stdout);
    expect(answer).toMatchObject({ ok: false, code: 'KEY_MISSING' });
    expect(answer.message).toContain('vault recover');
  });

  it('rotate-key re-encrypts under a new key; the data stays', async () => {
    const before = await keyStore.get(accountsFor(dataDir).current);
    const result = await ws('vault', 'rotate-key', '--data-dir', dataDir, '--json');
    expect(result.code).toBe(0);
    expect(await keyStore.get(accountsFor(dataDir).current)).not.toBe(before);
    const vault = await temp.reopen();
    expect(vault.db.prepare('SELECT count(*) AS n FROM patients').get()).toEqual({ n: 1 });
    // The rotation is in the audit trail, which still verifies under its own (unchanged) key.
    expect(vault.db.prepare(`SELECT action, role FROM audit_log`).all()).toEqual([
      { action: 'key.rotate', role: 'itAdmin' },
    ]);
    vault.close();
    expect(JSON.parse((await ws('audit', 'verify', '--data-dir', dataDir, '--json')).stdout)).toEqual({
      ok: true,
      checked: 1,
      lastSeq: 1,
    });
  });

  it('wipe --yes crypto-erases: key first, then files', async () => {
    const result = await ws('vault', 'wipe', '--yes', '--data-dir', dataDir, '--json');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).removed).toContain('cache.db');
    expect(await keyStore.get(accountsFor(dataDir).current)).toBeNull();
    expect(snapshotDir(dataDir)).toEqual({});
  });

  it('never prints PHI', async () => {
    const outputs = [
      await ws('vault', 'status', '--data-dir', dataDir),
      await ws('vault', 'rotate-key', '--data-dir', dataDir),
    ];
    for (const output of outputs) expect(output.stdout + output.stderr).not.toMatch(/Istrane|Morwick|C-1/);
  });
});

describe('ws audit', () => {
  async function withTrail(entries: number): Promise<void> {
    let trailClock = 0;
    const vault = await temp.reopen();
    const trail = createAuditTrail(vault.db, await loadAuditKey(keyStore, dataDir, vault.db), {
      now: () => Date.parse('2026-11-20T08:00:00Z') + trailClock++ * 60_000,
    });
    for (let i = 0; i < entries; i++)
      trail.append({
        action: 'patient.read',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        patientId: 'p1',
        purposeOfUse: 'TREAT',
        detail: 'patients.open',
      });
    vault.close();
  }

  it('verify passes on an intact trail, then names the edited entry (exit 1)', async () => {
    await withTrail(12);
    const ok = await ws('audit', 'verify', '--data-dir', dataDir, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ ok: true, checked: 12, lastSeq: 12 });
    // Edited in the file with the database key: the guards dropped, one entry changed.
    const db = openDatabase(path.join(dataDir, 'cache.db'), await keyStore.get(accountsFor(dataDir).current));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET patient_id = 'p2' WHERE seq = 7`).run();
    db.close();
    const broken = await ws('audit', 'verify', '--data-dir', dataDir, '--json');
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.stdout)).toMatchObject({
      ok: false,
      code: 'AUDIT_TAMPERED',
      kind: 'altered',
      seq: 7,
      checked: 6,
    });
    const text = await ws('audit', 'verify', '--data-dir', dataDir);
    expect(text.stdout).toContain('AUDIT TRAIL BROKEN: Audit entry 7 was altered.');
  });

  it('export writes AuditEvents as NDJSON, from --since on, and is itself audited', async () => {
    await withTrail(5);
    const all = await ws('audit', 'export', '--data-dir', dataDir);
    expect(all.code).toBe(0);
    const events = all.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(events).toHaveLength(5);
    for (const event of events)
      expect(event).toMatchObject({
        resourceType: 'AuditEvent',
        type: { code: 'rest' },
        action: 'R',
        // BALP PatientRead: the patient (role 1) and the data read (role 4, the chart as a whole).
        entity: [
          { what: { reference: 'Patient/p1' }, role: { code: '1' } },
          { what: { reference: 'Patient/p1' }, role: { code: '4' } },
        ],
      });
    const since = await ws('audit', 'export', '--data-dir', dataDir, '--since', '2026-11-20T08:03:00Z');
    // Entries 4 and 5, and the first export's own entry.
    expect(since.stdout.trim().split('\n')).toHaveLength(3);
    expect(since.stdout).toContain('audit-export');
    expect((await ws('audit', 'export', '--data-dir', dataDir, '--since', 'yesterday')).code).toBe(2);
    expect((await ws('audit', 'verify', '--data-dir', dataDir, '--json')).code).toBe(0);
  });
});

describe('ws policy check, status, enroll', () => {
  let central: Central;
  beforeAll(async () => {
    central = await startTestCentral({ patients: 2 });
  });
  afterAll(async () => {
    await central?.close();
  });
  const policyFile = (policy: unknown) => {
    const file = path.join(path.dirname(dataDir), `policy-${Math.random().toString(36).slice(2)}.json`);
    fs.writeFileSync(file, typeof policy === 'string' ? policy : JSON.stringify(policy));
    return file;
  };
  const withPolicy = (file: string) => ({ ...process.env, CLINIC_POLICY_FILE: file });

  it('policy check: valid, invalid (the setting and the file named), not JSON, missing, bad usage', async () => {
    const good = policyFile({ central: workstationPolicyFor(central), lock: { idleSeconds: 120 } });
    expect(JSON.parse((await ws('policy', 'check', good, '--json')).stdout)).toEqual({
      ok: true,
      file: good,
      centralConfigured: true,
    });
    const bad = policyFile({ lock: { idleSeconds: 10, idleSecs: 60 } });
    const refused = await ws('policy', 'check', bad, '--json');
    expect(refused.code).toBe(1);
    const answer = JSON.parse(refused.stdout) as { code: string; message: string };
    expect(answer.code).toBe('POLICY_INVALID');
    expect(answer.message).toContain(bad);
    expect(answer.message).toMatch(/lock\.idleSecs: not a setting this version knows/);
    expect(answer.message).toMatch(/lock\.idleSeconds: Too small/);
    expect(JSON.parse((await ws('policy', 'check', policyFile('{"lock":'), '--json')).stdout)).toMatchObject({
      ok: false,
      code: 'POLICY_INVALID',
      message: expect.stringContaining('not valid JSON'),
    });
    expect((await ws('policy', 'check', '/nonexistent/policy.json', '--json')).code).toBe(1);
    expect((await ws('policy', 'check')).code).toBe(2);
  });

  it('status reports vault, keychain, policy and audit backlog; exit 1 when the policy is missing', async () => {
    const file = policyFile({ central: workstationPolicyFor(central) });
    const ok = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dataDir, '--json'], withPolicy(file));
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      ok: true,
      policy: { ok: true, source: file, centralConfigured: true },
      keychain: { ok: true },
      vault: { ok: true, schemaVersion: LATEST_SCHEMA_VERSION, workstationId: expect.stringMatching(/^ws-/) },
      audit: { ok: true, entries: 0, unshipped: 0, refusedByCentral: 0 },
      sync: { ok: true, pending: 0, conflicts: 0, held: 0, diagnostics: 0 },
    });
    const missing = await runTs(
      'src-main/cli/main.ts',
      ['status', '--data-dir', dataDir, '--json'],
      withPolicy('/nonexistent/policy.json'),
    );
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({
      ok: false,
      policy: { ok: false, code: 'POLICY_MISSING' },
      vault: { ok: true },
    });
  });

  it('held changes make the status not ok until IT queues them again (audited)', async () => {
    const file = policyFile({ central: workstationPolicyFor(central) });
    const vault = await temp.reopen();
    vault.db
      .prepare(
        "INSERT INTO sync_outbox (resource_type, resource_id, json, user_id, created_at, state, problem) VALUES ('Observation', 'obs-held', '{}', 'nurse-user', 0, 'held', 'central refused the change (HTTP 422)')",
      )
      .run();
    vault.close();
    const held = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dataDir, '--json'], withPolicy(file));
    expect(held.code).toBe(1);
    expect(JSON.parse(held.stdout)).toMatchObject({ ok: false, sync: { ok: false, held: 1, pending: 0 } });
    const retried = await runTs(
      'src-main/cli/main.ts',
      ['sync', 'retry-held', '--data-dir', dataDir, '--json'],
      withPolicy(file),
    );
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toEqual({ ok: true, released: 1 });
    const after = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dataDir, '--json'], withPolicy(file));
    expect(JSON.parse(after.stdout)).toMatchObject({ ok: true, sync: { ok: true, held: 0, pending: 1 } });
    expect((await ws('audit', 'export', '--data-dir', dataDir)).stdout).toContain('sync-retry-held');
    expect((await ws('sync', 'nonsense', '--data-dir', dataDir)).code).toBe(2);
  });

  it('audit entries central refused make the status not ok until IT sends them again (audited)', async () => {
    const file = policyFile({ central: workstationPolicyFor(central) });
    const vault = await temp.reopen();
    const trail = createAuditTrail(vault.db, await loadAuditKey(keyStore, dataDir, vault.db), {
      now: () => Date.now(),
    });
    trail.append({ action: 'patient.search', outcome: 'success', userId: 'u', role: 'nurse', detail: 'search' });
    trail.append({ action: 'patient.search', outcome: 'success', userId: 'u', role: 'nurse', detail: 'search' });
    // As a round leaves them when central answered 422 for each.
    for (const entry of trail.entries())
      vault.db.prepare('INSERT INTO audit_refused (seq, status, refused_at) VALUES (?, 422, 0)').run(entry.seq);
    vault.close();
    const refused = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dataDir, '--json'], withPolicy(file));
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      ok: false,
      audit: { ok: false, unshipped: 2, refusedByCentral: 2 },
    });
    const retried = await runTs(
      'src-main/cli/main.ts',
      ['audit', 'retry-refused', '--data-dir', dataDir, '--json'],
      withPolicy(file),
    );
    expect(retried.code).toBe(0);
    expect(JSON.parse(retried.stdout)).toEqual({ ok: true, released: 2 });
    const after = await runTs('src-main/cli/main.ts', ['status', '--data-dir', dataDir, '--json'], withPolicy(file));
    expect(JSON.parse(after.stdout)).toMatchObject({ audit: { ok: true, unshipped: 3, refusedByCentral: 0 } });
    expect((await ws('audit', 'export', '--data-dir', dataDir)).stdout).toContain('audit-retry-refused');
  });

  it('enroll checks the central services named in policy, records the enrollment and audits it', async () => {
    const file = policyFile({ central: workstationPolicyFor(central) });
    const enrolled = await runTs('src-main/cli/main.ts', ['enroll', '--data-dir', dataDir, '--json'], withPolicy(file));
    expect(enrolled.code).toBe(0);
    expect(JSON.parse(enrolled.stdout)).toMatchObject({
      ok: true,
      workstationId: expect.stringMatching(/^ws-/),
      fhirBaseUrl: central.fhirBaseUrl,
      issuer: central.issuer,
    });
    const unreachable = policyFile({
      central: { ...workstationPolicyFor(central), fhirBaseUrl: 'http://127.0.0.1:9/fhir/R4' },
    });
    const refused = await runTs(
      'src-main/cli/main.ts',
      ['enroll', '--data-dir', dataDir, '--json'],
      withPolicy(unreachable),
    );
    expect(refused.code).toBe(1);
    expect(JSON.parse(refused.stdout)).toMatchObject({
      ok: false,
      code: 'CENTRAL_UNREACHABLE',
      message: expect.stringContaining('FHIR API could not be reached'),
    });
    const noCentral = await runTs(
      'src-main/cli/main.ts',
      ['enroll', '--data-dir', dataDir, '--json'],
      withPolicy(policyFile({})),
    );
    expect(noCentral.code).toBe(1);
    const audit = await ws('audit', 'export', '--data-dir', dataDir);
    expect(audit.stdout).toContain('"enroll"');
  });
});
