/**
 * The TLS rules for central (policy central.tlsPins): a pinned public key is accepted, any other
 * refused even when the certificate is trusted, an untrusted certificate refused; a refusal is
 * reported as such and not retried as if the network had failed.
 */
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCentralFetch, spkiPin } from '../../src-main/net/central-fetch.ts';
import { fetchWithRetry, SyncHttpError } from '../../src-main/sync/http.ts';
import { discoverProvider } from '../../src-main/identity/oidc.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';

const dir = path.resolve(import.meta.dirname, '../support/tls');
const cert = fs.readFileSync(path.join(dir, 'localhost.pem'), 'utf8');
const key = fs.readFileSync(path.join(dir, 'localhost.key'), 'utf8');
let server: https.Server;
let base: string;
let requests = 0;

beforeAll(async () => {
  server = https.createServer({ cert, key, minVersion: 'TLSv1.2' }, (_req, res) => {
    requests++;
    res.writeHead(200, { 'content-type': 'application/fhir+json' }).end('{"resourceType":"Bundle"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `https://localhost:${(server.address() as AddressInfo).port}/fhir/R4`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

// A pin of another key: the test certificate's own pin with its bytes turned around.
const otherPin = () => Buffer.from(spkiPin(cert), 'base64').reverse().toString('base64');

describe('164.312(e)(1) 164.312(e)(2)(ii) central TLS', () => {
  it('accepts the pinned public key', async () => {
    const response = await createCentralFetch({ tlsPins: [otherPin(), spkiPin(cert)], ca: [cert] })(`${base}/metadata`);
    expect(response.status).toBe(200);
    // The global Response: openid-client refuses any other.
    expect(response).toBeInstanceOf(Response);
    expect(await response.json()).toEqual({ resourceType: 'Bundle' });
  });

  it('refuses a trusted certificate whose key is not pinned, at once and without retrying', async () => {
    const before = requests;
    const sleeps: number[] = [];
    const refused = await fetchWithRetry(
      `${base}/Patient`,
      {},
      {
        allowLoopbackHttp: false,
        fetch: createCentralFetch({ tlsPins: [otherPin()], ca: [cert] }),
        sleep: async (ms) => void sleeps.push(ms),
      },
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SyncHttpError);
    expect((refused as SyncHttpError).reason).toBe('tls');
    expect((refused as SyncHttpError).message).toMatch(/not one of the keys pinned by policy/);
    expect(sleeps).toEqual([]);
    expect(requests).toBe(before);
  });

  it('without pins the trust store decides: an untrusted certificate is refused', async () => {
    const refused = await fetchWithRetry(
      `${base}/Patient`,
      {},
      { allowLoopbackHttp: false, fetch: createCentralFetch({ tlsPins: [] }), sleep: async () => undefined },
    ).catch((e: unknown) => e);
    expect((refused as SyncHttpError).reason).toBe('tls');
    expect((await createCentralFetch({ tlsPins: [], ca: [cert] })(`${base}/metadata`)).status).toBe(200);
  });

  it('the sign-in goes through the same rules: discovery under a wrong pin never reaches the provider', async () => {
    const issuer = base.replace('/fhir/R4', '');
    const before = requests;
    const options = { issuer, clientId: 'clinic-workstation', logger: createMemoryLogger() };
    await expect(
      discoverProvider({ ...options, fetch: createCentralFetch({ tlsPins: [otherPin()], ca: [cert] }) }),
    ).rejects.toThrow();
    expect(requests).toBe(before);
    // With the right pin the request is made (this server is no provider, so discovery still fails).
    await expect(
      discoverProvider({ ...options, fetch: createCentralFetch({ tlsPins: [spkiPin(cert)], ca: [cert] }) }),
    ).rejects.toThrow();
    expect(requests).toBe(before + 1);
  });
});
