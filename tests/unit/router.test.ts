import { describe, expect, it } from 'vitest';
import { decide } from '../../src-main/access/decision.ts';
import type { CareRelationship } from '../../src-main/records/relationships.ts';
import { channelNames } from '../../src-shared/ipc/contract.ts';
import { createRouter, type Handlers, type RequestOutcome, type Session } from '../../src-main/ipc/router.ts';
import { CoreError } from '../../src-main/base/index.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { VaultError } from '../../src-main/vault/errors.ts';
import { requestAuditInput, requestAuditInputs } from '../../src-main/ipc/audit-outcome.ts';

const status = {
  appName: 'Clinic Workstation',
  appVersion: '0.1.0',
  workstationId: null,
  vault: { state: 'ready' as const, schemaVersion: 1, escrowed: false },
};
const patient = {
  id: 'p1',
  name: 'Quorva Zentrell',
  mrn: 'MRN-1',
  birthDate: '1970-01-01',
  gender: 'female',
  restricted: false,
};

const chart = { allergies: [], problems: [], medications: [], vitals: [], notes: [] };

/** Care relationships by patient id, for the authorize dependency (the real pure decision). */
function setup(
  session: Session | null,
  overrides: Partial<Handlers> = {},
  careTeamOf: Record<string, CareRelationship[]> = {},
) {
  const outcomes: RequestOutcome[] = [];
  const logger = createMemoryLogger();
  const calls: unknown[] = [];
  const notUsed = () => {
    throw new Error('not used in this test');
  };
  const handlers = {
    ...Object.fromEntries(channelNames.map((name) => [name, notUsed])),
    'workstation.status': () => status,
    'session.activity': () => ({}),
    'patients.search': (request) => {
      calls.push(request);
      return { results: [patient] };
    },
    'chart.read': (request) => {
      calls.push(request);
      return chart;
    },
    ...overrides,
  } as Handlers;
  const route = createRouter({
    handlers,
    currentSession: () => session,
    authorize: (s, action, patientId) =>
      decide({
        user: s,
        action,
        patientId,
        relationships: (patientId && careTeamOf[patientId]) || [],
        activeGrants: [],
      }),
    logger,
    onOutcome: (o) => outcomes.push(o),
  });
  return { route, outcomes, logger, calls };
}

const nurse: Session = { userId: 'u-nurse', role: 'nurse', practitionerId: 'prac-1', locked: false };

describe('IPC router', () => {
  it('answers a public channel without a session and validates the answer against the contract', async () => {
    const { route, outcomes } = setup(null);
    expect(await route('workstation.status', {})).toEqual({ ok: true, data: status });
    expect(outcomes).toEqual([{ channel: 'workstation.status', userId: null, outcome: 'ok' }]);
  });

  it('rejects unknown channels and malformed requests with INVALID, without calling the capability', async () => {
    const { route, calls } = setup(nurse);
    expect(await route('vault.dump', {})).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await route('__proto__', {})).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await route('workstation.status', { extra: 1 })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    const tooLong = await route('patients.search', { query: 'x'.repeat(101) });
    expect(tooLong).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await route('patients.search', { query: '   ' })).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(await route('patients.search', 'Zentrell')).toMatchObject({ ok: false, error: { code: 'INVALID' } });
    expect(calls).toEqual([]);
  });

  it('never echoes the sent value in an INVALID message (it may be PHI)', async () => {
    const { route } = setup(nurse);
    const result = await route('patients.search', { query: 'Quorva Zentrell', limit: 'Quorva' });
    expect(result.ok).toBe(false);
    expect(JSON.stringify(result)).not.toContain('Quorva');
  });

  it('requires a session, an unlocked one for PHI, and the permission of the role', async () => {
    expect(await setup(null).route('patients.search', { query: 'Ze' })).toMatchObject({
      error: { code: 'UNAUTHENTICATED' },
    });
    expect(await setup({ ...nurse, locked: true }).route('patients.search', { query: 'Ze' })).toMatchObject({
      error: { code: 'LOCKED' },
    });
    for (const role of ['privacyOfficer', 'itAdmin'] as const) {
      const { route, calls, outcomes } = setup({ userId: 'u', role, practitionerId: null, locked: false });
      expect(await route('patients.search', { query: 'Ze' })).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect(calls).toEqual([]);
      expect(outcomes).toEqual([
        { channel: 'patients.search', userId: 'u', role, outcome: 'FORBIDDEN', denial: 'role' },
      ]);
    }
    for (const role of ['physician', 'nurse', 'frontDesk'] as const) {
      const { route, calls } = setup({ userId: 'u', role, practitionerId: null, locked: false });
      expect(await route('patients.search', { query: 'Ze' })).toEqual({ ok: true, data: { results: [patient] } });
      expect(calls).toEqual([{ query: 'Ze', limit: 50 }]);
    }
  });

  it('asks the authorization module about the patient a channel names, and reports who was refused why', async () => {
    const { route, calls, outcomes } = setup(nurse, {}, { 'pat-1': ['careTeam'] });
    expect(await route('chart.read', { patientId: 'pat-1' })).toEqual({ ok: true, data: chart });
    const refused = await route('chart.read', { patientId: 'pat-2' });
    expect(refused).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN', message: expect.stringContaining('restricted') },
    });
    expect(calls).toEqual([{ patientId: 'pat-1' }]);
    expect(outcomes).toEqual([
      {
        channel: 'chart.read',
        userId: 'u-nurse',
        role: 'nurse',
        outcome: 'ok',
        patientId: 'pat-1',
        decision: { allowed: true, basis: 'careTeam' },
      },
      {
        channel: 'chart.read',
        userId: 'u-nurse',
        role: 'nurse',
        outcome: 'FORBIDDEN',
        patientId: 'pat-2',
        denial: 'notOnCareTeam',
      },
    ]);
    // Front desk: refused by role before the patient is even looked at.
    const frontDesk = setup(
      { userId: 'u-fd', role: 'frontDesk', practitionerId: null, locked: false },
      {},
      { 'pat-1': ['careTeam'] },
    );
    expect(await frontDesk.route('chart.read', { patientId: 'pat-1' })).toMatchObject({ error: { code: 'FORBIDDEN' } });
    expect(frontDesk.outcomes).toEqual([
      { channel: 'chart.read', userId: 'u-fd', role: 'frontDesk', outcome: 'FORBIDDEN', denial: 'role' },
    ]);
    // A malformed patient id is INVALID, and never reaches the decision or the handler.
    expect(await route('chart.read', { patientId: '../pat-1' })).toMatchObject({ error: { code: 'INVALID' } });
  });

  it('lets a locked session reach only the session channels, and nobody reach them without a session', async () => {
    const locked = setup({ ...nurse, locked: true }, {}, { 'pat-1': ['careTeam'] });
    expect(await locked.route('session.activity', {})).toEqual({ ok: true, data: {} });
    expect(await locked.route('chart.read', { patientId: 'pat-1' })).toMatchObject({ error: { code: 'LOCKED' } });
    expect(await setup(null).route('session.activity', {})).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect(locked.calls).toEqual([]);
  });

  it('withholds PHI when its audit entry cannot be written, and says why', async () => {
    const logger = createMemoryLogger();
    const route = createRouter({
      handlers: {
        'patients.search': () => ({ results: [patient] }),
        'workstation.status': () => status,
      } as unknown as Handlers,
      currentSession: () => nurse,
      authorize: (s, action, patientId) => decide({ user: s, action, patientId, relationships: [], activeGrants: [] }),
      logger,
      onOutcome: () => {
        throw new Error('disk full');
      },
    });
    const result = await route('patients.search', { query: 'Ze' });
    expect(result).toEqual({
      ok: false,
      error: { code: 'UNAVAILABLE', message: expect.stringContaining('audit trail') },
    });
    expect(JSON.stringify(result)).not.toContain('Quorva');
    // A channel without PHI still answers.
    expect(await route('workstation.status', {})).toMatchObject({ ok: true });
  });

  it('maps failures to typed codes and hides internal messages', async () => {
    const failing = (error: unknown) =>
      setup(nurse, {
        'patients.search': () => {
          throw error;
        },
      }).route('patients.search', { query: 'Ze' });
    expect(await failing(new CoreError('notFound', 'No such patient.'))).toEqual({
      ok: false,
      error: { code: 'NOT_FOUND', message: 'No such patient.' },
    });
    expect(await failing(new VaultError('KEY_MISSING', 'x'))).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    const internal = await failing(new Error('row for Quorva Zentrell broke'));
    expect(internal).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(JSON.stringify(internal)).not.toContain('Quorva');
    // Storage failures a person can act on are told as such, never as INTERNAL.
    const sqlite = (code: string) => Object.assign(new Error(`${code} at row of Quorva`), { code });
    expect(await failing(sqlite('SQLITE_BUSY'))).toMatchObject({ error: { code: 'BUSY' } });
    expect(await failing(sqlite('SQLITE_BUSY_SNAPSHOT'))).toMatchObject({ error: { code: 'BUSY' } });
    const full = await failing(sqlite('SQLITE_FULL'));
    expect(full).toMatchObject({
      error: { code: 'DISK_FULL', message: expect.stringContaining('Nothing already stored was lost') },
    });
    expect(JSON.stringify(full)).not.toContain('Quorva');
    expect(await failing(sqlite('SQLITE_CORRUPT'))).toMatchObject({
      error: { code: 'UNAVAILABLE', message: expect.stringContaining('damaged') },
    });
  });

  it('refuses an answer that does not match the contract (nothing extra leaks)', async () => {
    const { route, logger } = setup(nurse, {
      'patients.search': () => ({ results: [{ ...patient, ssn: '000-00-0000' }] }) as never,
    });
    const leaky = setup(nurse, { 'patients.search': () => ({ results: 'all of them' }) as never });
    expect(await leaky.route('patients.search', { query: 'Ze' })).toMatchObject({ error: { code: 'INTERNAL' } });
    // Unknown keys are stripped by the response schema rather than passed through.
    const stripped = await route('patients.search', { query: 'Ze' });
    expect(JSON.stringify(stripped)).not.toContain('ssn');
    expect(logger.entries).toEqual([]);
  });

  it('hands the resources a handler wrote to the audit entry (BALP data entity), never their content', async () => {
    const { route, outcomes } = setup(
      nurse,
      {
        'chart.writeNote': (_request, { served }) => {
          served.resourceRefs = ['DocumentReference/note-1'];
          return { id: 'note-1' };
        },
      },
      { 'pat-1': ['careTeam'] },
    );
    const note = { title: 'Progress note', text: 'Zentrell walked the corridor twice' };
    expect(await route('chart.writeNote', { patientId: 'pat-1', note })).toMatchObject({ ok: true });
    expect(outcomes.at(-1)).toMatchObject({ channel: 'chart.writeNote', resourceRefs: ['DocumentReference/note-1'] });
    const input = requestAuditInput(outcomes.at(-1)!, true, () => null);
    expect(input).toMatchObject({
      action: 'patient.create',
      patientId: 'pat-1',
      resourceRefs: ['DocumentReference/note-1'],
    });
    expect(JSON.stringify(input)).not.toContain('Zentrell');
  });

  it('an answer about several patients is audited once per patient, each with its own grant and purpose (issue 17)', () => {
    const grant = { allowed: true, basis: 'breakGlass', grantId: 'g-1' } as const;
    const team = decide({
      user: nurse,
      action: 'patient.clinical.read',
      patientId: 'pat-1',
      relationships: ['careTeam'],
      activeGrants: [],
    });
    const outcome: RequestOutcome = {
      channel: 'sync.conflicts',
      userId: nurse.userId,
      role: nurse.role,
      outcome: 'ok',
      resourceRefs: ['AllergyIntolerance/a-1', 'AllergyIntolerance/a-2'],
      patients: [
        { patientId: 'pat-1', decision: team, resourceRefs: ['AllergyIntolerance/a-1'] },
        { patientId: 'pat-2', decision: grant, resourceRefs: ['AllergyIntolerance/a-2'] },
      ],
    };
    const inputs = requestAuditInputs(outcome, true, (id) => (id === 'g-1' ? 'ETREAT' : null));
    expect(inputs).toEqual([
      expect.objectContaining({
        patientId: 'pat-1',
        purposeOfUse: 'TREAT',
        grantId: null,
        resourceRefs: ['AllergyIntolerance/a-1'],
      }),
      expect.objectContaining({
        patientId: 'pat-2',
        purposeOfUse: 'ETREAT',
        grantId: 'g-1',
        resourceRefs: ['AllergyIntolerance/a-2'],
      }),
    ]);
    // Nothing shown, nothing recorded as viewed; a refusal is still one entry.
    expect(requestAuditInputs({ ...outcome, patients: [] }, true, () => null)).toEqual([]);
    expect(
      requestAuditInputs({ ...outcome, outcome: 'FORBIDDEN', patients: undefined }, true, () => null),
    ).toHaveLength(1);
  });
});
