import { fetchWithRetry, readBoundedJson, SyncHttpError, type HttpDeps } from './http.ts';
import { DEFAULT_PAGE_LIMITS } from './pull.ts';
import type { OutboxRow } from './outbox-store.ts';

/**
 * What the push reads from central to settle a change, and what central's answers mean; HTTP
 * only, no database. Whether a change already landed ("is this exact content already there?")
 * is read from the resource's history: a version other than the one the change was based on,
 * holding the same content (meta aside, which central sets). Central's current version is read
 * when a change meets a conflict. Requests carry the token of the user who made the change.
 */

export type Json = Record<string, unknown>;

/** The change asked about: its resource, the version it was based on, its content. */
export type QueuedChange = Pick<OutboxRow, 'resource_type' | 'resource_id' | 'base_version' | 'json'>;

export interface CentralForPush {
  /** A request to `path` (under the FHIR base), FHIR JSON under `token`, with the retry rules. */
  request(
    path: string,
    init: RequestInit,
    token: string,
    beforeResend?: () => Promise<Response | null>,
  ): Promise<Response>;
  /** Central's version holding exactly this change's content, if the change already landed. */
  landedVersion(change: QueuedChange, token: string): Promise<Json | null>;
  /** Central's current version of the change's resource; null when central deleted it (or never had it). */
  currentVersion(change: QueuedChange, token: string): Promise<Json | null>;
}

const FHIR_JSON = 'application/fhir+json';

/** JSON with object keys sorted, so two encodings of the same content compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item as Json).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** A resource's content, without the meta central sets (versions, times) or may add. */
function contentOf(resource: Json): string {
  const { meta: _meta, ...content } = resource;
  return canonical(content);
}

/** The version central gave a resource (null: none, or not a string). */
export function versionIdOf(resource: Json | null): string | null {
  const versionId = (resource?.['meta'] as Json | undefined)?.['versionId'];
  return typeof versionId === 'string' ? versionId : null;
}

/**
 * An answer's JSON object; null when it is not one (cut off, malformed, an array...). Read within
 * the size cap (`too-large` past it): central is untrusted, on the push's side too.
 */
export async function readJson(response: Response, maxBytes = DEFAULT_PAGE_LIMITS.maxResponseBytes): Promise<unknown> {
  try {
    const value = await readBoundedJson(response, maxBytes, 'answer');
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch (error) {
    if (error instanceof SyncHttpError && error.reason === 'too-large') throw error;
    return null;
  }
}

/** `http` is passed on as it is to each request (fetch, retry, transport rule). */
export function centralForPush(fhirBaseUrl: string, http: HttpDeps): CentralForPush {
  const base = new URL(fhirBaseUrl.replace(/\/+$/, '') + '/');

  const request: CentralForPush['request'] = (path, init, token, beforeResend) =>
    fetchWithRetry(
      new URL(path, base).href,
      {
        ...init,
        headers: {
          accept: FHIR_JSON,
          authorization: `Bearer ${token}`,
          ...(init.headers as Record<string, string> | undefined),
        },
      },
      { ...http, ...(beforeResend ? { beforeResend } : {}) },
    );

  const landedVersion: CentralForPush['landedVersion'] = async (change, token) => {
    const response = await request(`${change.resource_type}/${change.resource_id}/_history?_count=100`, {}, token);
    if (response.status === 404 || response.status === 410) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SyncHttpError(
        `http-${response.status}`,
        `Central answered HTTP ${response.status} to a history lookup.`,
        response.status,
      );
    }
    const bundle = (await readJson(response)) as { entry?: { resource?: Json }[] } | null;
    if (!bundle) throw new SyncHttpError('malformed-response', 'Central sent a history page that is not JSON.');
    const mine = contentOf(JSON.parse(change.json) as Json);
    for (const entry of bundle.entry ?? []) {
      const version = entry.resource;
      // The version the change was based on is not the change, whatever it holds.
      const versionId = (version?.['meta'] as Json | undefined)?.['versionId'];
      if (version && versionId !== change.base_version && contentOf(version) === mine) return version;
    }
    return null;
  };

  const currentVersion: CentralForPush['currentVersion'] = async (change, token) => {
    const response = await request(`${change.resource_type}/${change.resource_id}`, {}, token);
    if (response.ok) {
      const current = (await readJson(response)) as Json | null;
      if (!current) throw new SyncHttpError('malformed-response', 'Central sent a record that is not JSON.');
      return current;
    }
    await response.body?.cancel();
    if (response.status !== 404 && response.status !== 410) {
      throw new SyncHttpError(
        `http-${response.status}`,
        `Central answered HTTP ${response.status} to a read.`,
        response.status,
      );
    }
    return null;
  };

  return { request, landedVersion, currentVersion };
}
