import { describe, expect, it } from 'vitest';
import { fetchWithRetry, retryAfterMs, SyncHttpError } from '../../src-main/sync/http.ts';

const URL_OK = 'https://fhir.clinic.example/R4/Patient';

function scripted(answers: (number | 'network')[], headers: Record<string, string> = {}) {
  const calls: string[] = [];
  const fetchFn = (async (input: string | URL | Request) => {
    calls.push(String(input));
    const next = answers.shift() ?? 200;
    if (next === 'network') throw new TypeError('fetch failed');
    return new Response(next === 200 ? '{}' : 'no', { status: next, headers });
  }) as typeof fetch;
  return { fetchFn, calls };
}

describe('sync HTTP retries', () => {
  it('reads Retry-After as seconds or an HTTP date, and ignores nonsense', () => {
    expect(retryAfterMs('3')).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6_000);
    expect(retryAfterMs('soon')).toBeNull();
    expect(retryAfterMs(null)).toBeNull();
  });

  it('retries network errors, 408, 409, 429 and 5xx with growing, jittered backoff; then answers', async () => {
    const { fetchFn, calls } = scripted(['network', 503, 408, 409, 200]);
    const sleeps: number[] = [];
    const response = await fetchWithRetry(
      URL_OK,
      {},
      {
        fetch: fetchFn,
        sleep: async (ms) => void sleeps.push(ms),
        random: () => 0.999,
        allowLoopbackHttp: false,
        retry: { baseDelayMs: 100, maxDelayMs: 350 },
      },
    );
    expect(response.status).toBe(200);
    expect(calls).toHaveLength(5);
    // Full jitter under a cap that doubles: 100, 200, 350 (capped), 350.
    expect(sleeps).toEqual([99, 199, 349, 349]);
  });

  it('never retries another 4xx, and gives up after the attempts with the last failure', async () => {
    for (const status of [400, 401, 403, 404, 410, 412, 422]) {
      const refused = scripted([status]);
      expect(
        (
          await fetchWithRetry(
            URL_OK,
            {},
            { fetch: refused.fetchFn, allowLoopbackHttp: false, sleep: async () => undefined },
          )
        ).status,
      ).toBe(status);
      expect(refused.calls, String(status)).toHaveLength(1);
    }
    const down = scripted([503, 503, 503]);
    const error = await fetchWithRetry(
      URL_OK,
      {},
      { fetch: down.fetchFn, allowLoopbackHttp: false, sleep: async () => undefined, retry: { attempts: 3 } },
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SyncHttpError);
    expect((error as SyncHttpError).reason).toBe('http-503');
    expect(down.calls).toHaveLength(3);
  });

  it('refuses plain HTTP unless it is to this machine and policy allows it', async () => {
    const { fetchFn, calls } = scripted([200]);
    await expect(
      fetchWithRetry('http://fhir.clinic.example/R4', {}, { fetch: fetchFn, allowLoopbackHttp: true }),
    ).rejects.toMatchObject({ reason: 'insecure-transport' });
    await expect(
      fetchWithRetry('http://127.0.0.1:4401/fhir/R4', {}, { fetch: fetchFn, allowLoopbackHttp: false }),
    ).rejects.toMatchObject({ reason: 'insecure-transport' });
    expect(calls).toHaveLength(0);
    expect(
      (await fetchWithRetry('http://127.0.0.1:4401/fhir/R4', {}, { fetch: fetchFn, allowLoopbackHttp: true })).status,
    ).toBe(200);
  });
});
