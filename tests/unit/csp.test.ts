import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from '../../src-shared/security/csp.ts';

describe('content security policy', () => {
  it('allows nothing inline or evaluated, and nothing but its own origin', () => {
    const csp = contentSecurityPolicy();
    expect(csp).not.toMatch(/unsafe-|\*|https?:/);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(contentSecurityPolicy({ extraConnectSources: ['ws://127.0.0.1:5000'] })).toContain(
      "connect-src 'self' ws://127.0.0.1:5000",
    );
  });

  it('is the one in the renderer meta tag', () => {
    const html = fs.readFileSync(new URL('../../src-renderer/index.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html)?.[1];
    expect(meta).toBe(contentSecurityPolicy({ forMetaTag: true }));
  });
});
