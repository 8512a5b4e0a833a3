/** Connections to the central services: the TLS rules of policy and the transport rule. */
export { centralFetchFor, createCentralFetch, spkiPin, TlsPinError } from './central-fetch.ts';
export { isAllowedTransport, isLoopbackHost } from './transport.ts';
