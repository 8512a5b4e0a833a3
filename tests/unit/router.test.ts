import { describe, expect, it } from 'vitest';
import { createRouter, type Handlers, type RequestOutcome, type Session } from '../../src-main/ipc/router.ts';
import { IpcFailure } from '../../src-main/ipc/failure.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { VaultError } from '../../src-main/vault/errors.ts';

const status = {
  appName: 'Clinic Workstation',
  appVersion: '0.1.0',
  workstationId: null,
  vault: { state: 'ready' as const, schemaVersion: 1, escrowed: false },
};
const patient = { id: 'p1', name: 'Quorva Zentrell', mrn: 'MRN-1', birthDate: '1970-01-01', gender: 'female' };

function setup(session: Session | null, overrides: Partial<Handlers> = {}) {
  const outcomes: RequestOutcome[] = [];
  const logger = createMemoryLogger();
  const calls: unknown[] = [];
  const handlers: Handlers = {
    'workstation.status': () => status,
    'patients.search': (request) => {
      calls.push(request);
      return { results: [patient] };
    },
    ...overrides,
  };
  const route = createRouter({ handlers, currentSession: () => session, logger, onOutcome: (o) => outcomes.push(o) });
  return { route, outcomes, logger, calls };
}

const nurse: Session = { userId: 'u-nurse', role: 'nurse', locked: false };

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
    expect(await setup(null).route('patients.search', { query: 'Ze' })).toMatchObject({ error: { code: 'UNAUTHENTICATED' } });
    expect(await setup({ ...nurse, locked: true }).route('patients.search', { query: 'Ze' })).toMatchObject({ error: { code: 'LOCKED' } });
    for (const role of ['privacyOfficer', 'itAdmin'] as const) {
      const { route, calls, outcomes } = setup({ userId: 'u', role, locked: false });
      expect(await route('patients.search', { query: 'Ze' })).toMatchObject({ error: { code: 'FORBIDDEN' } });
      expect(calls).toEqual([]);
      expect(outcomes).toEqual([{ channel: 'patients.search', userId: 'u', outcome: 'FORBIDDEN' }]);
    }
    for (const role of ['physician', 'nurse', 'frontDesk'] as const) {
      const { route, calls } = setup({ userId: 'u', role, locked: false });
      expect(await route('patients.search', { query: 'Ze' })).toEqual({ ok: true, data: { results: [patient] } });
      expect(calls).toEqual([{ query: 'Ze', limit: 50 }]);
    }
  });

  it('maps failures to typed codes and hides internal messages', async () => {
    const failing = (error: unknown) => setup(nurse, { 'patients.search': () => { throw error; } }).route('patients.search', { query: 'Ze' });
    expect(await failing(new IpcFailure('NOT_FOUND', 'No such patient.'))).toEqual({ ok: false, error: { code: 'NOT_FOUND', message: 'No such patient.' } });
    expect(await failing(new VaultError('KEY_MISSING', 'x'))).toMatchObject({ error: { code: 'UNAVAILABLE' } });
    const internal = await failing(new Error('row for Quorva Zentrell broke'));
    expect(internal).toMatchObject({ error: { code: 'INTERNAL' } });
    expect(JSON.stringify(internal)).not.toContain('Quorva');
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
});
