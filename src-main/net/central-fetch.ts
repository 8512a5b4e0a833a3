import { createHash, X509Certificate } from 'node:crypto';
import { checkServerIdentity, getCACertificates, type PeerCertificate } from 'node:tls';
import { Agent } from 'undici';

/**
 * fetch for the central services, with the TLS rules of policy (PRODUCT.md capability 7):
 * TLS 1.2 or newer, the usual certificate and host name checks against Node's roots and the OS
 * trust store, and, when IT lists them, pins of
 * the servers' public keys (base64 SHA-256 of the SubjectPublicKeyInfo, as in HPKP): a
 * certificate whose key is not pinned is refused even if a trusted CA signed it, so a rogue or
 * compromised CA cannot stand in for central. Plain HTTP (development, loopback only) is checked
 * by the caller (isAllowedTransport) and has no TLS.
 */
export interface CentralTls {
  tlsPins: readonly string[];
  /** Extra trusted CA certificates (PEM), besides Node's roots and the OS store: for tests. */
  ca?: readonly string[];
}

/** The pin of a certificate's public key: base64 SHA-256 of its DER SubjectPublicKeyInfo. */
export function spkiPin(certificatePem: string | Buffer): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

export class TlsPinError extends Error {
  override readonly name = 'TlsPinError';
}

export function createCentralFetch(tls: CentralTls): typeof fetch {
  const pins = new Set(tls.tlsPins);
  const agent = new Agent({
    connect: {
      minVersion: 'TLSv1.2',
      // Node's bundled roots and the OS trust store: a clinic's own CA, deployed by IT to the
      // machines (Group Policy, a configuration profile), is trusted as the OS trusts it.
      ca: [...getCACertificates('bundled'), ...getCACertificates('system'), ...(tls.ca ?? [])],
      checkServerIdentity(host: string, certificate: PeerCertificate) {
        const mismatch = checkServerIdentity(host, certificate);
        if (mismatch) return mismatch;
        if (pins.size === 0) return undefined;
        const pin = createHash('sha256')
          .update(new X509Certificate(certificate.raw).publicKey.export({ type: 'spki', format: 'der' }))
          .digest('base64');
        return pins.has(pin)
          ? undefined
          : new TlsPinError("The server's public key is not one of the keys pinned by policy (central.tlsPins).");
      },
    },
  });
  // Node's own fetch (its Response is the global one, which openid-client insists on) with this
  // Agent as its dispatcher: Node's fetch is undici, the same major version as the package.
  return (input, init) => fetch(input, { ...init, dispatcher: agent } as RequestInit);
}

const perPolicy = new WeakMap<object, typeof fetch>();

/** One fetch (one connection pool) per central policy object: sign-in, sync and audit share it. */
export function centralFetchFor(central: { tlsPins: readonly string[] }): typeof fetch {
  let found = perPolicy.get(central);
  if (!found) perPolicy.set(central, (found = createCentralFetch({ tlsPins: central.tlsPins })));
  return found;
}
