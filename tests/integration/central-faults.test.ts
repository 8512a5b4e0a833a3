/**
 * Dev central's fault injection, each kind over real HTTP: what a sync engine must survive.
 */
import * as oidc from 'openid-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { parseFhirResource } from '../../src-shared/fhir/resources.ts';
import { fhirFetch, signIn, startTestCentral } from '../support/central.ts';
import type { Central, SignedIn } from '../support/central.ts';

let central: Central;
let session: SignedIn;
const PATIENT = 'pat-000001';

beforeAll(async () => {
  central = await startTestCentral({ patients: 5 });
  session = await signIn(central, 'physician1');
});

afterEach(() => central.faults.clear());

afterAll(async () => {
  await central?.close();
});

const api = (path: string, init?: RequestInit) => fhirFetch(central, session.accessToken, path, init);

describe('fault injection', () => {
  it('adds latency to matching requests only', async () => {
    central.faults.inject({ kind: 'latency', ms: 300, method: 'GET', path: /\/Patient\/pat-000001$/ });
    let started = performance.now();
    const other = await api('Patient/pat-000002');
    expect(other.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(250);
    started = performance.now();
    const slow = await api(`Patient/${PATIENT}`);
    expect(slow.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    // Once only (times defaults to 1).
    started = performance.now();
    await api(`Patient/${PATIENT}`);
    expect(performance.now() - started).toBeLessThan(250);
  });

  it('answers 429 with Retry-After, for as many requests as asked', async () => {
    const handle = central.faults.inject({ kind: 'rate-limit', retryAfterSeconds: 2, path: /\/Patient/, times: 2 });
    for (let i = 0; i < 2; i++) {
      const response = await api('Patient?_count=1');
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('2');
      expect((await response.json()).resourceType).toBe('OperationOutcome');
    }
    expect(handle.hits).toBe(2);
    expect(handle.remaining).toBe(0);
    expect((await api('Patient?_count=1')).status).toBe(200);
  });

  it('answers 500 and 503 until removed', async () => {
    const handle = central.faults.inject({
      kind: 'status',
      status: 503,
      retryAfterSeconds: 1,
      path: /\/Observation/,
      times: Infinity,
    });
    for (let i = 0; i < 3; i++) {
      const response = await api('Observation?_count=1');
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('1');
    }
    handle.remove();
    expect((await api('Observation?_count=1')).status).toBe(200);
    central.faults.inject({ kind: 'status', status: 500 });
    expect((await api('Observation?_count=1')).status).toBe(500);
    expect((await api('Observation?_count=1')).status).toBe(200);
  });

  it('resets the connection in the middle of the body', async () => {
    central.faults.inject({ kind: 'reset', path: /\/Patient\?/ });
    const failure = await api('Patient?_count=5')
      .then((response) => response.text())
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(failure).toBeInstanceOf(Error);
    expect((await api('Patient?_count=5')).status).toBe(200);
  });

  it('answers 200 with a body that is not JSON', async () => {
    central.faults.inject({ kind: 'malformed-json', path: `/Patient/${PATIENT}` });
    const response = await api(`Patient/${PATIENT}`);
    expect(response.status).toBe(200);
    await expect(response.json()).rejects.toThrow(SyntaxError);
  });

  it('returns a resource that fails schema validation, in a read and in a search', async () => {
    const good = await (await api(`Patient/${PATIENT}`)).json();
    expect(parseFhirResource(good).success).toBe(true);
    central.faults.inject({ kind: 'invalid-resource', method: 'GET', path: /\/Patient/, times: 2 });
    const bad = await (await api(`Patient/${PATIENT}`)).json();
    expect(bad.resourceType).toBe('Patient');
    expect(parseFhirResource(bad).success).toBe(false);
    const bundle = (await (await api('Patient?_count=3')).json()) as Bundle;
    const [first, ...rest] = bundle.entry ?? [];
    expect(parseFhirResource(first?.resource).success).toBe(false);
    for (const entry of rest) expect(parseFhirResource(entry.resource).success).toBe(true);
    // The stored resource is untouched.
    expect(parseFhirResource(await (await api(`Patient/${PATIENT}`)).json()).success).toBe(true);
  });

  it('answers 412 on the next update without applying it', async () => {
    const current = (await (await api(`Patient/${PATIENT}`)).json()) as Patient;
    const versionId = current.meta?.versionId ?? '';
    const handle = central.faults.failNextUpdate(/\/Patient\//);
    // A read is not an update: unaffected.
    expect((await api(`Patient/${PATIENT}`)).status).toBe(200);
    const put = () =>
      api(`Patient/${PATIENT}`, {
        method: 'PUT',
        headers: { 'if-match': `W/"${versionId}"` },
        body: JSON.stringify({ ...current, gender: 'other' }),
      });
    expect((await put()).status).toBe(412);
    expect(handle.hits).toBe(1);
    const after = (await (await api(`Patient/${PATIENT}`)).json()) as Patient;
    expect(after.meta?.versionId).toBe(versionId);
    expect(after.gender).toBe(current.gender);
    expect((await put()).status).toBe(200);
  });

  it('can fail the identity provider too (token endpoint down)', async () => {
    central.faults.inject({ service: 'idp', kind: 'status', status: 503, method: 'POST', path: /^\/token/ });
    await expect(oidc.refreshTokenGrant(session.config, session.refreshToken)).rejects.toThrow();
    const refreshed = await oidc.refreshTokenGrant(session.config, session.refreshToken);
    expect(refreshed.access_token).toBeDefined();
  });

  it('rejects a rule that can never apply', () => {
    expect(() => central.faults.inject({ kind: 'reset', times: 0 })).toThrow(RangeError);
  });
});
