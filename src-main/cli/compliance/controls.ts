/**
 * The 45 CFR 164.312 technical safeguards, one row per standard and implementation
 * specification: what the workstation does for it, the live checks read from this workstation,
 * and the tests that carry its name with their last results. A failed check or a failed test
 * marks the row for attention; a row with nothing failed is "met" for this workstation's part.
 */
import type { LiveEvidence } from './evidence.ts';
import { REQUIRED_FUSES } from './fuses.ts';
import type { TaggedTest, TestRuns } from './test-runs.ts';

export interface Check {
  label: string;
  value: string;
  /** null: a fact shown, not a pass or fail (a count of what waits for review). */
  ok: boolean | null;
}

export interface ControlRow {
  id: string;
  title: string;
  kind: 'standard' | 'required' | 'addressable';
  does: string;
  checks: Check[];
  tests: { passed: number; failed: number; skipped: number; failedNames: string[]; names: string[] };
  status: 'met' | 'attention';
}

type Vault = Extract<LiveEvidence['vault'], { ok: true }>;

const when = (ms: number | null) => (ms === null ? 'never' : new Date(ms).toISOString());
const yes = (value: boolean) => (value ? 'yes' : 'no');

/** The checks that need the open cache: one "cache not readable" failure when it is not. */
function withVault(e: LiveEvidence, checks: (vault: Vault) => Check[]): Check[] {
  if (!e.vault.ok) return [{ label: 'Encrypted cache', value: `not readable (${e.vault.code})`, ok: false }];
  return checks(e.vault);
}

function policyChecks(
  e: LiveEvidence,
  pick: (policy: Extract<LiveEvidence['policy'], { ok: true }>['value']) => Check[],
): Check[] {
  if (!e.policy.ok) return [{ label: 'Managed policy', value: `${e.policy.code}: ${e.policy.message}`, ok: false }];
  return [{ label: 'Managed policy source', value: e.policy.source, ok: true }, ...pick(e.policy.value)];
}

function transportChecks(e: LiveEvidence): Check[] {
  return policyChecks(e, (p) => {
    if (!p.central) return [{ label: 'Central services', value: 'not enrolled (no central in policy)', ok: null }];
    const https = [p.central.issuer, p.central.fhirBaseUrl].every((url) => url.startsWith('https:'));
    return [
      {
        label: 'Central addresses use HTTPS',
        value: yes(https),
        ok: https || (!e.app.packaged && p.central.allowLoopbackHttp),
      },
      {
        label: 'Plain HTTP to loopback allowed (central.allowLoopbackHttp)',
        value: yes(p.central.allowLoopbackHttp),
        ok: !p.central.allowLoopbackHttp || !e.app.packaged,
      },
      { label: 'TLS minimum version', value: 'TLS 1.2 (fixed in the transport)', ok: true },
      {
        label: 'TLS public key pins (central.tlsPins)',
        value:
          p.central.tlsPins.length === 0
            ? 'none: the OS trust store alone decides'
            : `${p.central.tlsPins.length} pin(s)`,
        ok: null,
      },
      ...withVault(e, (v) => [
        { label: 'Last audit batch central accepted', value: when(v.audit.lastShippedAt), ok: null },
        { label: 'Last pull from central', value: when(v.sync.lastPullAt), ok: null },
      ]),
    ];
  });
}

/** The app's own integrity: the packaged binary's fuses as PRODUCT.md asks (ASAR integrity, no RunAsNode, ...). */
function fuseCheck(e: LiveEvidence): Check {
  const label = 'Electron fuses of the packaged binary';
  if (!e.app.packaged) return { label, value: 'not packaged (development checkout)', ok: null };
  const fuses = e.app.fuses;
  if (!fuses) return { label, value: 'fuse wire not found in the binary', ok: false };
  const wrong = Object.entries(REQUIRED_FUSES).filter(([name, want]) => fuses[name] !== want);
  return {
    label,
    value:
      wrong.length === 0
        ? 'as required'
        : `not as required: ${wrong.map(([n]) => `${n}=${fuses[n] ?? 'absent'}`).join(', ')}`,
    ok: wrong.length === 0,
  };
}

function auditChecks(v: Vault): Check[] {
  const verify = v.audit.verify;
  return [
    {
      label: 'Audit chain verified now',
      value: verify.ok ? `intact, ${verify.checked} entries` : `BROKEN: ${verify.message}`,
      ok: verify.ok,
    },
    {
      label: 'Audit head against its anchor outside the cache',
      value: v.audit.rollback ? v.audit.rollback.message : 'matches',
      ok: v.audit.rollback === null,
    },
    { label: 'Entries not yet shipped to central', value: String(v.audit.unshipped), ok: null },
    { label: 'Unusual access alerts awaiting review', value: String(v.awaitingReview.alerts), ok: null },
  ];
}

const CONTROLS: readonly {
  id: string;
  title: string;
  kind: ControlRow['kind'];
  does: string;
  checks(e: LiveEvidence): Check[];
}[] = [
  {
    id: '164.312(a)(1)',
    title: 'Access control',
    kind: 'standard',
    does: 'Roles from the identity provider (mapped by policy) and care-team relationships decide what each user sees; every request is authorized in the main process; clinicians outside the care team see a restricted record.',
    checks: (e) =>
      policyChecks(e, (p) => [
        {
          label: 'Role claim mapped (central.roleMap)',
          value: p.central ? `${Object.keys(p.central.roleMap).length} claim value(s)` : 'not enrolled',
          ok: p.central ? Object.keys(p.central.roleMap).length > 0 : null,
        },
      ]),
  },
  {
    id: '164.312(a)(2)(i)',
    title: 'Unique user identification',
    kind: 'required',
    does: 'Every user signs in as themselves through OpenID Connect; every audit entry names one user id; no shared accounts.',
    checks: (e) =>
      policyChecks(e, (p) => [
        {
          label: 'User id claim',
          value: `roles from "${p.central?.roleClaim ?? 'roles'}", user from the ID token subject`,
          ok: null,
        },
      ]),
  },
  {
    id: '164.312(a)(2)(ii)',
    title: 'Emergency access procedure',
    kind: 'required',
    does: 'Break-glass with a coded reason, a written justification and the PIN again, durably audited before any record is shown, for one patient and a limited time; the cache keeps records available while central is down.',
    checks: (e) => [
      ...policyChecks(e, (p) => [
        { label: 'Roles allowed (breakGlass.roles)', value: p.breakGlass.roles.join(', '), ok: null },
        {
          label: 'Grant duration (breakGlass.durationMinutes)',
          value: `${p.breakGlass.durationMinutes} min`,
          ok: null,
        },
        { label: 'Shortest justification', value: `${p.breakGlass.minJustificationLength} characters`, ok: null },
      ]),
      ...withVault(e, (v) => [
        { label: 'Emergency accesses awaiting review', value: String(v.awaitingReview.emergencyAccess), ok: null },
      ]),
    ],
  },
  {
    id: '164.312(a)(2)(iii)',
    title: 'Automatic logoff',
    kind: 'addressable',
    does: 'Idle lock with a warning, lock on OS lock, suspend and user switch, a lock hotkey; the lock removes PHI from the window; a maximum session length forces a full sign-in.',
    checks: (e) =>
      policyChecks(e, (p) => [
        { label: 'Idle lock (lock.idleSeconds)', value: `${p.lock.idleSeconds} s`, ok: null },
        { label: 'Warning (lock.warningSeconds)', value: `${p.lock.warningSeconds} s`, ok: null },
        { label: 'Maximum session (identity.maxSessionHours)', value: `${p.identity.maxSessionHours} h`, ok: null },
      ]),
  },
  {
    id: '164.312(a)(2)(iv)',
    title: 'Encryption and decryption',
    kind: 'addressable',
    does: 'The cache is an SQLCipher 4 database under a random 256-bit key held in the OS keychain, never on disk; the key is escrowed for IT recovery; key rotation and crypto-erase.',
    checks: (e) => [
      { label: 'OS keychain answers', value: yes(e.keychain.ok), ok: e.keychain.ok },
      ...withVault(e, (v) => [
        {
          label: 'Cipher read back from the database',
          value: `${v.cipher.cipher} v${v.cipher.legacy}, ${v.cipher.hmacAlgorithm}, ${v.cipher.pageSize}-byte pages`,
          ok: v.cipher.cipher === 'sqlcipher' && v.cipher.legacy === 4,
        },
        {
          label: 'File header encrypted',
          value: yes(v.fileEncrypted && v.cipher.plaintextHeaderSize === 0),
          ok: v.fileEncrypted && v.cipher.plaintextHeaderSize === 0,
        },
        { label: 'Cache key in the OS keychain (opened with it)', value: 'yes', ok: true },
        {
          label: 'IT recovery key in policy',
          value: yes(v.escrow.recoveryKeyInPolicy),
          ok: v.escrow.recoveryKeyInPolicy,
        },
        {
          label: 'Cache key escrow present and verified',
          value: v.escrow.present ? (v.escrow.intact ? 'present, verified' : 'present, DAMAGED') : 'MISSING',
          ok: v.escrow.present && v.escrow.intact,
        },
        {
          label: 'Audit key escrow present',
          value: yes(v.escrow.auditKeyEscrowPresent),
          ok: v.escrow.auditKeyEscrowPresent,
        },
        { label: 'Secure delete', value: yes(v.cipher.secureDelete), ok: v.cipher.secureDelete },
      ]),
    ],
  },
  {
    id: '164.312(b)',
    title: 'Audit controls',
    kind: 'required',
    does: 'An append-only trail of every PHI view, search, change, sign-in and failure, lock, break-glass, alert, policy and key event, chained by HMAC under its own key and anchored outside the cache; shipped to central as FHIR AuditEvents; unusual access alerts for the privacy officer.',
    checks: (e) => [
      ...withVault(e, auditChecks),
      ...policyChecks(e, (p) => [
        { label: 'Retention after shipping (audit.retentionDays)', value: `${p.audit.retentionDays} days`, ok: null },
        {
          label: 'Alert thresholds (alerts.*)',
          value: `${p.alerts.chartOpensMax} charts/${p.alerts.chartOpensWindowMinutes} min, ${p.alerts.failedAuthMax} failures/${p.alerts.failedAuthWindowMinutes} min, family name ${p.alerts.familyName ? 'on' : 'off'}`,
          ok: null,
        },
      ]),
    ],
  },
  {
    id: '164.312(c)(1)',
    title: 'Integrity',
    kind: 'standard',
    does: 'Optimistic concurrency (If-Match) on every write to central; a conflict goes to a person, never a silent overwrite; nothing invalid from central is stored.',
    checks: (e) => [
      fuseCheck(e),
      ...withVault(e, (v) => [
        { label: 'Conflicts waiting for a person', value: String(v.sync.conflicts), ok: null },
        { label: 'Changes held for IT', value: String(v.sync.held), ok: v.sync.held === 0 },
        { label: 'Changes waiting to be sent', value: String(v.sync.pending), ok: null },
      ]),
    ],
  },
  {
    id: '164.312(c)(2)',
    title: 'Mechanism to authenticate electronic protected health information',
    kind: 'addressable',
    does: "Every cache page carries SQLCipher's HMAC (a changed page does not open); the audit chain shows any altered, removed or reordered entry.",
    checks: (e) =>
      withVault(e, (v) => [
        {
          label: 'Page HMAC in use',
          value: `${yes(v.cipher.hmacUse)} (${v.cipher.hmacAlgorithm})`,
          ok: v.cipher.hmacUse,
        },
        {
          label: 'Audit chain verified now',
          value: v.audit.verify.ok ? 'intact' : `BROKEN: ${v.audit.verify.message}`,
          ok: v.audit.verify.ok,
        },
      ]),
  },
  {
    id: '164.312(d)',
    title: 'Person or entity authentication',
    kind: 'required',
    does: "OpenID Connect (authorization code and PKCE) at the clinic's identity provider, where MFA lives; a PIN for quick unlock stored as a slow salted hash; lockout after repeated failures; offline sign-in only within a policy window.",
    checks: (e) =>
      policyChecks(e, (p) => [
        { label: 'Shortest PIN (identity.pinMinLength)', value: String(p.identity.pinMinLength), ok: null },
        {
          label: 'Wrong PINs before lockout (identity.pinMaxFailures)',
          value: String(p.identity.pinMaxFailures),
          ok: null,
        },
        {
          label: 'Offline sign-in window (identity.offlineSignInHours)',
          value: `${p.identity.offlineSignInHours} h`,
          ok: null,
        },
      ]),
  },
  {
    id: '164.312(e)(1)',
    title: 'Transmission security',
    kind: 'standard',
    does: 'Everything to central goes over HTTPS with TLS 1.2 or newer, optionally pinned; plain HTTP is refused except to loopback in development.',
    checks: transportChecks,
  },
  {
    id: '164.312(e)(2)(i)',
    title: 'Integrity controls (transmission)',
    kind: 'addressable',
    does: "TLS protects every message's integrity; answers from central are validated against FHIR R4 schemas and size limits before anything is stored.",
    checks: (e) =>
      policyChecks(e, (p) => [
        {
          label: 'Largest answer read (central.maxResponseMiB)',
          value: p.central ? `${p.central.maxResponseMiB} MiB` : 'not enrolled',
          ok: null,
        },
      ]),
  },
  {
    id: '164.312(e)(2)(ii)',
    title: 'Encryption (transmission)',
    kind: 'addressable',
    does: 'HTTPS only (TLS 1.2+), trusting the OS store and optional SPKI pins from policy.',
    checks: transportChecks,
  },
];

/** A tag without its specification ("164.312(e)") belongs to the standard's row. */
function rowOf(control: string): string {
  return /^164\.312\([ace]\)$/.test(control) ? `${control}(1)` : control;
}

function testsOf(id: string, tagged: readonly TaggedTest[]): ControlRow['tests'] {
  const mine = tagged.filter((t) => rowOf(t.control) === id);
  const failed = mine.filter((t) => t.status === 'failed');
  return {
    passed: mine.filter((t) => t.status === 'passed').length,
    failed: failed.length,
    skipped: mine.filter((t) => t.status === 'skipped').length,
    failedNames: failed.map((t) => t.name),
    names: [...new Set(mine.map((t) => t.name))],
  };
}

export function controlRows(evidence: LiveEvidence, runs: TestRuns): ControlRow[] {
  return CONTROLS.map((control) => {
    const checks = control.checks(evidence);
    const tests = testsOf(control.id, runs.tagged);
    const attention = checks.some((c) => c.ok === false) || tests.failed > 0;
    return {
      id: control.id,
      title: control.title,
      kind: control.kind,
      does: control.does,
      checks,
      tests,
      status: attention ? 'attention' : 'met',
    };
  });
}
