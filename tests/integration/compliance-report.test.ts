/**
 * `ws compliance report` as IT runs it: a separate process, the real keychain, a real SQLCipher
 * cache holding the synthetic clinic, a managed policy file, and the JSON reports of a test run.
 * A failed check flips its control's row; the report holds no patient data in any format.
 */
import { generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditTrail, loadAuditKey } from '../../src-main/audit/index.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { openDatabase } from '../../src-main/vault/sqlcipher.ts';
import { openWorkstationVault } from '../../src-main/workstation.ts';
import type { PatientSummary } from '../../src-shared/ipc/contract.ts';
import { runTs } from '../support/child.ts';
import { accountsFor, keyStore } from '../support/keychain.ts';
import { snapshotDir } from '../support/temp.ts';
import { tempVaultDir } from '../support/vault-fixture.ts';
import { fillCache } from '../support/workstation.ts';

const CONTROLS = [
  '164.312(a)(1)',
  '164.312(a)(2)(i)',
  '164.312(a)(2)(ii)',
  '164.312(a)(2)(iii)',
  '164.312(a)(2)(iv)',
  '164.312(b)',
  '164.312(c)(1)',
  '164.312(c)(2)',
  '164.312(d)',
  '164.312(e)(1)',
  '164.312(e)(2)(i)',
  '164.312(e)(2)(ii)',
];

let dataDir: string;
let remove: () => Promise<void>;
let work: string;
let policyFile: string;
let reports: string;
let patients: PatientSummary[];

const recovery = generateKeyPairSync('x25519').publicKey.export({ type: 'spki', format: 'pem' }).toString();

function vitestReport(tests: { fullName: string; status: string }[]) {
  return {
    numTotalTests: tests.length,
    startTime: Date.parse('2026-12-03T12:00:00Z'),
    success: tests.every((t) => t.status === 'passed'),
    testResults: [{ name: 'tests/x.test.ts', status: 'passed', assertionResults: tests }],
  };
}

beforeEach(async () => {
  ({ dataDir, remove } = tempVaultDir({ prefix: 'clinic-compliance-', subdir: 'cache' }));
  work = path.dirname(dataDir);
  const cache = await fillCache(dataDir, { seed: 23, patients: 12 });
  patients = [...cache.summaries.values()];
  // The workstation as the app leaves it: escrowed for IT's key, a trail with reads of patients.
  const vault = await openWorkstationVault({
    dataDir,
    keyStore,
    policy: { recoveryPublicKeyPem: recovery },
    logger: createMemoryLogger(),
  });
  try {
    const trail = createAuditTrail(vault.db, await loadAuditKey(keyStore, dataDir, vault.db, recovery), {
      now: () => Date.now(),
    });
    for (const patient of patients.slice(0, 5))
      trail.append({
        action: 'patient.read',
        outcome: 'success',
        userId: 'nurse1',
        role: 'nurse',
        patientId: patient.id,
        purposeOfUse: 'TREAT',
        detail: 'patients.open',
      });
  } finally {
    vault.close();
  }
  policyFile = path.join(work, 'policy.json');
  fs.writeFileSync(
    policyFile,
    JSON.stringify({
      central: {
        issuer: 'https://idp.clinic.example',
        fhirBaseUrl: 'https://fhir.clinic.example/R4',
        clientId: 'clinic-workstation',
        roleMap: { nurse: 'nurse', physician: 'physician' },
      },
      vault: { recoveryPublicKeyPem: recovery },
      lock: { idleSeconds: 240, warningSeconds: 30 },
    }),
  );
  reports = path.join(work, 'test-reports');
  fs.mkdirSync(reports);
  fs.writeFileSync(
    path.join(reports, 'vitest-integration.json'),
    JSON.stringify(
      vitestReport([
        { fullName: 'audit trail 164.312(b): detects an altered entry', status: 'passed' },
        { fullName: 'lock 164.312(a)(2)(iii): locks after idle time', status: 'passed' },
        { fullName: 'untagged test', status: 'failed' },
      ]),
    ),
  );
  fs.writeFileSync(
    path.join(reports, 'playwright.json'),
    JSON.stringify({
      stats: { startTime: '2026-12-03T12:05:00.000Z' },
      suites: [
        {
          title: 'session.spec.ts',
          specs: [{ title: '164.312(a)(2)(iii): the lock screen hides the chart', tests: [{ status: 'expected' }] }],
          suites: [],
        },
      ],
    }),
  );
});
afterEach(async () => {
  await remove();
});

const report = (...args: string[]) =>
  runTs('src-main/cli/main.ts', ['compliance', 'report', '--data-dir', dataDir, '--test-reports', reports, ...args], {
    ...process.env,
    CLINIC_POLICY_FILE: policyFile,
  });

type Row = { id: string; status: string; checks: { label: string; value: string; ok: boolean | null }[] };
async function jsonReport(): Promise<{ code: number | null; rows: Map<string, Row>; body: Record<string, unknown> }> {
  const result = await report('--format', 'json');
  expect(result.stderr).toBe('');
  const body = JSON.parse(result.stdout) as { controls: Row[] };
  return { code: result.code, rows: new Map(body.controls.map((r) => [r.id, r])), body };
}
const check = (row: Row | undefined, label: string) => row?.checks.find((c) => c.label === label);

describe('ws compliance report', () => {
  it('164.312(b): one row per 164.312 standard and specification, with live evidence and the last test run; exit 0 when all are met', async () => {
    const { code, rows, body } = await jsonReport();
    expect([...rows.keys()]).toEqual(CONTROLS);
    expect(code).toBe(0);
    expect(body['summary']).toEqual({ controls: 12, met: 12, attention: [] });
    const encryption = rows.get('164.312(a)(2)(iv)');
    expect(check(encryption, 'Cipher read back from the database')).toEqual({
      label: 'Cipher read back from the database',
      value: 'sqlcipher v4, HMAC-SHA512, 4096-byte pages',
      ok: true,
    });
    expect(check(encryption, 'Cache key escrow present and verified')).toMatchObject({
      value: 'present, verified',
      ok: true,
    });
    expect(check(rows.get('164.312(b)'), 'Audit chain verified now')).toMatchObject({
      value: 'intact, 5 entries',
      ok: true,
    });
    expect(check(rows.get('164.312(b)'), 'Entries not yet shipped to central')).toMatchObject({ value: '5' });
    expect(check(rows.get('164.312(a)(2)(iii)'), 'Idle lock (lock.idleSeconds)')).toMatchObject({ value: '240 s' });
    expect(check(rows.get('164.312(a)(2)(iii)'), 'Managed policy source')).toMatchObject({ value: policyFile });
    expect(rows.get('164.312(a)(2)(iii)')).toMatchObject({ tests: { passed: 2, failed: 0 } });
    expect(rows.get('164.312(b)')).toMatchObject({ tests: { passed: 1, failed: 0 } });
    expect(body['testRuns']).toMatchObject({
      reports: [
        { file: 'playwright.json', runner: 'playwright', tests: 1 },
        { file: 'vitest-integration.json', runner: 'vitest', tests: 3 },
      ],
    });
  });

  it('164.312(a)(2)(iv): a removed escrow flips its row to attention, and only its row; exit 1', async () => {
    fs.rmSync(path.join(dataDir, 'cache.key-escrow.jwe'));
    const { code, rows, body } = await jsonReport();
    expect(code).toBe(1);
    expect(body['summary']).toMatchObject({ attention: ['164.312(a)(2)(iv)'] });
    expect(check(rows.get('164.312(a)(2)(iv)'), 'Cache key escrow present and verified')).toMatchObject({
      value: 'MISSING',
      ok: false,
    });
    // The report changed nothing: no escrow was written back.
    expect(fs.existsSync(path.join(dataDir, 'cache.key-escrow.jwe'))).toBe(false);
  });

  it('164.312(b): a damaged audit chain flips audit controls and integrity', async () => {
    const raw = openDatabase(path.join(dataDir, 'cache.db'), await keyStore.get(accountsFor(dataDir).current));
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.prepare(`UPDATE audit_log SET detail = 'chart.read' WHERE seq = 3`).run();
    raw.close();
    const { code, rows, body } = await jsonReport();
    expect(code).toBe(1);
    expect(body['summary']).toMatchObject({ attention: ['164.312(b)', '164.312(c)(2)'] });
    expect(check(rows.get('164.312(b)'), 'Audit chain verified now')).toMatchObject({
      value: 'BROKEN: Audit entry 3 was altered.',
      ok: false,
    });
  });

  it('164.312(b): a failed test tagged with a control flips that row', async () => {
    fs.writeFileSync(
      path.join(reports, 'vitest-unit.json'),
      JSON.stringify(vitestReport([{ fullName: 'lock 164.312(a)(2)(iii): warns before locking', status: 'failed' }])),
    );
    fs.writeFileSync(path.join(reports, 'broken.json'), '{ "not": "a report" }');
    const { code, rows, body } = await jsonReport();
    expect(code).toBe(1);
    expect(body['summary']).toMatchObject({ attention: ['164.312(a)(2)(iii)'] });
    expect(rows.get('164.312(a)(2)(iii)')).toMatchObject({
      status: 'attention',
      tests: { passed: 2, failed: 1, failedNames: ['lock 164.312(a)(2)(iii): warns before locking'] },
    });
    expect(body['testRuns']).toMatchObject({ unreadable: [{ file: 'broken.json' }] });
  });

  it('164.312(b): holds no patient data in any format; the HTML page stands alone and escapes what it shows', async () => {
    fs.writeFileSync(
      path.join(reports, 'vitest-unit.json'),
      JSON.stringify(
        vitestReport([{ fullName: '164.312(d): <script>alert(1)</script> & "quotes"', status: 'passed' }]),
      ),
    );
    const outputs: string[] = [];
    for (const format of ['html', 'md', 'json']) {
      const result = await report('--format', format);
      expect(result.code, format).toBe(0);
      outputs.push(result.stdout);
    }
    expect(patients.length).toBe(12);
    for (const output of outputs) {
      for (const p of patients) {
        for (const value of [p.id, p.name, p.mrn, p.birthDate]) if (value) expect(output).not.toContain(value);
        for (const part of p.name.split(/[\s,]+/).filter((w) => w.length >= 3))
          expect(output).not.toMatch(new RegExp(`\\b${part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`));
      }
    }
    const html = outputs[0]!;
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|\bsrc=|<link|https?:\/\/(?!idp\.clinic\.example|fhir\.clinic\.example)/);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;quotes&quot;');
    expect(html).toContain('@media print');
  });

  it('bad usage exits 2 and changes nothing', async () => {
    const before = snapshotDir(dataDir);
    for (const args of [['--format', 'pdf'], ['--format']]) {
      const result = await report(...args);
      expect(result.code, args.join(' ')).toBe(2);
    }
    const unknown = await runTs('src-main/cli/main.ts', ['compliance', 'audit', '--data-dir', dataDir]);
    expect(unknown.code).toBe(2);
    expect(snapshotDir(dataDir)).toEqual(before);
  });
});
