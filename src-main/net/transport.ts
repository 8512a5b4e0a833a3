/**
 * The transport rule every connection to the central services follows (PRODUCT.md capability 7):
 * HTTPS, or plain HTTP to this machine only when policy allows it for development
 * (central.allowLoopbackHttp, for dev central). TLS 1.2 or newer is Node's and Electron's floor.
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/^\[|\]$/g, '');
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

export function isAllowedTransport(url: URL, allowLoopbackHttp: boolean): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && allowLoopbackHttp && isLoopbackHost(url.hostname);
}
