/**
 * The RFC 8252 loopback receiver on its own, over real HTTP on 127.0.0.1: one callback, on one
 * path, then the port is gone.
 */
import { describe, expect, it } from 'vitest';
import { startLoopbackReceiver } from '../../src-main/identity/oidc-loopback.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { refuses } from '../support/net.ts';

const logger = createMemoryLogger();

describe('loopback receiver', () => {
  it('listens on 127.0.0.1 with an OS-chosen port and the fixed /callback path', async () => {
    const receiver = await startLoopbackReceiver({ expectedState: 'st-1', timeoutMs: 10_000, logger });
    expect(receiver.redirectUri).toBe(`http://127.0.0.1:${receiver.port}/callback`);
    expect(receiver.port).toBeGreaterThan(0);
    await receiver.close();
    expect(await refuses(receiver.port)).toBe(true);
  });

  it('ignores other paths and methods, accepts one matching callback, then closes', async () => {
    const receiver = await startLoopbackReceiver({ expectedState: 'st-2', timeoutMs: 10_000, logger });
    const base = `http://127.0.0.1:${receiver.port}`;
    expect((await fetch(`${base}/favicon.ico`)).status).toBe(404);
    expect((await fetch(`${base}/callback?code=c&state=st-2`, { method: 'POST' })).status).toBe(404);
    const answer = await fetch(`${base}/callback?code=the-code&state=st-2&iss=http%3A%2F%2F127.0.0.1%3A1`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const body = await answer.text();
    expect(body).toContain('You can close this window');
    expect(body).not.toContain('the-code');
    const url = await receiver.callback;
    expect(url.href).toBe(`${receiver.redirectUri}?code=the-code&state=st-2&iss=http%3A%2F%2F127.0.0.1%3A1`);
    expect(await refuses(receiver.port)).toBe(true);
  });

  it('a callback without a code is a provider error', async () => {
    const receiver = await startLoopbackReceiver({ expectedState: 'st-3', timeoutMs: 10_000, logger });
    expect((await fetch(`http://127.0.0.1:${receiver.port}/callback?state=st-3`)).status).toBe(400);
    await expect(receiver.callback).rejects.toMatchObject({ code: 'PROVIDER_ERROR' });
    expect(await refuses(receiver.port)).toBe(true);
  });

  it('an unsafe provider error code is not echoed', async () => {
    const receiver = await startLoopbackReceiver({ expectedState: 'st-4', timeoutMs: 10_000, logger });
    await (
      await fetch(`http://127.0.0.1:${receiver.port}/callback?state=st-4&error=${encodeURIComponent('<b>x</b>')}`)
    ).text();
    const error: unknown = await receiver.callback.catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PROVIDER_ERROR', providerError: undefined });
  });

  it('a callback with a wrong or missing state gets 400 and the receiver keeps waiting for the real one', async () => {
    const receiver = await startLoopbackReceiver({ expectedState: 'st-5', timeoutMs: 10_000, logger });
    const base = `http://127.0.0.1:${receiver.port}/callback`;
    for (const query of ['?code=c&state=wrong', '?code=c', '?error=access_denied', '?error=server_error&state=x']) {
      const answer = await fetch(`${base}${query}`);
      expect(answer.status).toBe(400);
      await answer.text();
    }
    expect(await refuses(receiver.port)).toBe(false);
    const answer = await fetch(`${base}?code=real&state=st-5`);
    expect(answer.status).toBe(200);
    await answer.text();
    expect((await receiver.callback).searchParams.get('code')).toBe('real');
    expect(await refuses(receiver.port)).toBe(true);
  });

  it('only forged callbacks: the receiver times out and closes', async () => {
    const receiver = await startLoopbackReceiver({ expectedState: 'st-6', timeoutMs: 300, logger });
    await (await fetch(`http://127.0.0.1:${receiver.port}/callback?code=c&state=wrong`)).text();
    await expect(receiver.callback).rejects.toMatchObject({ code: 'TIMEOUT' });
    expect(await refuses(receiver.port)).toBe(true);
  });
});
