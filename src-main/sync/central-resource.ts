import { fetchAndReadWithRetry, readBoundedJson, SyncHttpError, type HttpDeps } from './http.ts';

/**
 * One resource read from central on demand (the chart's "Show note" for an attachment the pull
 * kept on central): under the signed-in user's token, with the sync engine's transport rule and
 * retry rules, the answer read within the size cap (policy central.maxResponseMiB). Nothing is
 * stored here; the caller decides what to do with it.
 */
export interface CentralResourceRead extends HttpDeps {
  fhirBaseUrl: string;
  accessToken: string;
  maxResponseBytes: number;
}

/** A person waits for this read: fewer tries than a background sync round makes. */
const ON_DEMAND_ATTEMPTS = 3;

/** Central's current version of `type/id`; null when central has no such resource (404, 410). */
export async function readCentralResource(type: string, id: string, options: CentralResourceRead): Promise<unknown> {
  const base = new URL(options.fhirBaseUrl.replace(/\/+$/, '') + '/');
  const url = new URL(`${type}/${encodeURIComponent(id)}`, base).href;
  const http: HttpDeps = { ...options, retry: { attempts: ON_DEMAND_ATTEMPTS, ...options.retry } };
  return fetchAndReadWithRetry(
    url,
    { headers: { accept: 'application/fhir+json', authorization: `Bearer ${options.accessToken}` } },
    http,
    async (response) => {
      if (response.status === 404 || response.status === 410) {
        await response.body?.cancel().catch(() => undefined);
        return null;
      }
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        throw new SyncHttpError(
          `http-${response.status}`,
          `The central FHIR API refused the read (HTTP ${response.status}).`,
          response.status,
        );
      }
      return readBoundedJson(response, options.maxResponseBytes, `${type} read`);
    },
  );
}
