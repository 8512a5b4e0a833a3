/**
 * The renderer's Content Security Policy, written once for the Electron protocol handler, the
 * dev web host and the renderer's meta tag (a unit test keeps index.html equal to it). No
 * 'unsafe-inline' or 'unsafe-eval': scripts and styles come only from the bundle, and the page
 * talks to nothing but its own origin (all data goes through window.clinic).
 */
export function contentSecurityPolicy(
  options: { extraConnectSources?: readonly string[]; forMetaTag?: boolean } = {},
): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...(options.extraConnectSources ?? [])].join(' '),
    "base-uri 'none'",
    "form-action 'none'",
    // frame-ancestors is honoured only as a header, so the meta tag leaves it out.
    ...(options.forMetaTag ? [] : ["frame-ancestors 'none'"]),
    "object-src 'none'",
  ].join('; ');
}
