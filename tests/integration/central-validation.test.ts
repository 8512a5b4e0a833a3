/**
 * Dev central as strict as a real server: every create and update is checked against the R4
 * StructureDefinitions (Medplum's validator) whichever way it arrives: POST, PUT, PATCH, an entry
 * of a batch or a transaction. A refusal is 400 (Medplum) or 422 (HAPI) with an OperationOutcome
 * naming the paths at fault, stores nothing, and logs none of what was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { PERSONALITIES } from '../../dev/central/personality.ts';
import { fhirFetch, signIn, startTestCentral, type Central } from '../support/central.ts';
import { testPatient } from '../support/fhir.ts';

/** A value that must never reach a log: it stands for PHI in the refused resource. */
const SECRET = 'Zyxwvut-Synthetic-Secret';

describe.each(PERSONALITIES)('validation (%s personality)', (personality) => {
  const invalidStatus = personality === 'hapi' ? 422 : 400;
  const logger = createMemoryLogger();
  let central: Central;
  let token: string;

  beforeAll(async () => {
    central = await startTestCentral({ patients: 2, seed: 3, personality, logger });
    token = (await signIn(central, 'nurse1')).accessToken;
  });
  afterAll(() => central?.close());

  const api = (path: string, init?: RequestInit) => fhirFetch(central, token, path, init);
  const patient = (id: string) => {
    const { meta: _meta, ...content } = testPatient(id, SECRET, 'Validation', `MRN-${id}`);
    return content;
  };
  /** A patient the app's own schemas accept but the R4 definitions do not: an element R4 lacks. */
  const unknownElement = (id: string) => ({ ...patient(id), favouriteColour: SECRET });
  const status = async (path: string) => {
    const response = await api(path);
    await response.body?.cancel();
    return response.status;
  };

  async function expectRefused(response: Response, expression: string): Promise<void> {
    expect(response.status).toBe(invalidStatus);
    const outcome = (await response.json()) as OperationOutcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue?.length).toBeGreaterThan(0);
    expect(outcome.issue?.every((issue) => issue.severity === 'error')).toBe(true);
    expect(outcome.issue?.flatMap((issue) => issue.expression ?? [])).toContain(expression);
  }

  it('refuses a create the definitions refuse (an element R4 does not have), storing nothing', async () => {
    const id = `val-create-${personality}`;
    await expectRefused(
      await api('Patient', { method: 'POST', body: JSON.stringify(unknownElement(id)) }),
      'Patient.favouriteColour',
    );
    await expectRefused(
      await api(`Patient/${id}`, { method: 'PUT', body: JSON.stringify(unknownElement(id)) }),
      'Patient.favouriteColour',
    );
    expect(await status(`Patient/${id}`)).toBe(404);
  });

  it('refuses an update that breaks a required element, keeping the current version', async () => {
    const id = `val-update-${personality}`;
    const created = await api(`Patient/${id}`, { method: 'PUT', body: JSON.stringify(patient(id)) });
    expect(created.status).toBe(201);
    const etag = created.headers.get('etag') ?? '';
    // A name with an empty given: R4 primitives may not be empty strings.
    const broken = { ...patient(id), name: [{ family: 'Validation', given: [''] }] };
    await expectRefused(
      await api(`Patient/${id}`, { method: 'PUT', headers: { 'if-match': etag }, body: JSON.stringify(broken) }),
      'Patient.name[0].given[0]',
    );
    const current = await api(`Patient/${id}`);
    expect(current.headers.get('etag')).toBe(etag);
    await current.body?.cancel();
  });

  it('refuses types the workstation does not cache too (an AuditEvent without its required type)', async () => {
    const response = await api('AuditEvent', {
      method: 'POST',
      body: JSON.stringify({
        resourceType: 'AuditEvent',
        recorded: new Date().toISOString(),
        agent: [{ requestor: true }],
        source: { observer: { display: 'workstation-1' } },
      }),
    });
    await expectRefused(response, 'AuditEvent.type');
  });

  it('refuses a PATCH whose result the definitions refuse', async () => {
    const id = `val-patch-${personality}`;
    const created = await api(`Patient/${id}`, { method: 'PUT', body: JSON.stringify(patient(id)) });
    expect(created.status).toBe(201);
    const response = await api(`Patient/${id}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json-patch+json' },
      body: JSON.stringify([{ op: 'add', path: '/favouriteColour', value: SECRET }]),
    });
    expect(response.status).toBe(400);
    const outcome = (await response.json()) as OperationOutcome;
    expect(outcome.issue?.flatMap((issue) => issue.expression ?? [])).toContain('Patient.favouriteColour');
    const current = (await (await api(`Patient/${id}`)).json()) as Resource & Record<string, unknown>;
    expect(current['favouriteColour']).toBeUndefined();
  });

  it('refuses the invalid entries of a batch and keeps the valid ones', async () => {
    const good = `val-batch-good-${personality}`;
    const bad = `val-batch-bad-${personality}`;
    const batch: Bundle = {
      resourceType: 'Bundle',
      type: 'batch',
      entry: [
        { resource: patient(good) as Resource, request: { method: 'PUT', url: `Patient/${good}` } },
        { resource: unknownElement(bad) as Resource, request: { method: 'PUT', url: `Patient/${bad}` } },
      ],
    };
    const response = await api('', { method: 'POST', body: JSON.stringify(batch) });
    expect(response.status).toBe(200);
    const answer = (await response.json()) as Bundle;
    expect(answer.entry?.[0]?.response?.status).toMatch(/^20[01]/);
    expect(answer.entry?.[1]?.response?.status).toMatch(/^400/);
    expect(answer.entry?.[1]?.response?.outcome?.issue?.[0]?.expression).toContain('Patient.favouriteColour');
    expect(await status(`Patient/${good}`)).toBe(200);
    expect(await status(`Patient/${bad}`)).toBe(404);
  });

  it('refuses a transaction with an invalid entry, storing that entry nowhere', async () => {
    const bad = `val-tx-bad-${personality}`;
    const transaction: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [{ resource: unknownElement(bad) as Resource, request: { method: 'PUT', url: `Patient/${bad}` } }],
    };
    const response = await api('', { method: 'POST', body: JSON.stringify(transaction) });
    expect(response.status).toBeGreaterThanOrEqual(400);
    await response.body?.cancel();
    expect(await status(`Patient/${bad}`)).toBe(404);
  });

  it('accepts what the definitions accept, and logs nothing of what it refused', async () => {
    const id = `val-ok-${personality}`;
    const response = await api('Patient', { method: 'POST', body: JSON.stringify({ ...patient(id), id: undefined }) });
    expect(response.status).toBe(201);
    await response.body?.cancel();
    expect(JSON.stringify(logger.entries)).not.toContain(SECRET);
  });
});
