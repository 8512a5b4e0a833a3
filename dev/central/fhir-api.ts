/**
 * The clinic's FHIR R4 API: Medplum's FHIR router over CentralRepository, behind node:http at a
 * base path, with what the router leaves out and a sync engine relies on:
 *
 * - bearer tokens verified with jose against the identity provider's JWKS (issuer, audience =
 *   this API's base URL, expiry, typ at+jwt); 401 with WWW-Authenticate otherwise;
 * - a CapabilityStatement at /metadata (no token needed);
 * - request bodies validated against the R4 StructureDefinitions (validation.ts: Medplum's
 *   validator; refused with the personality's status and an OperationOutcome of its issues; the
 *   repository checks every other write route, batch entries and PATCH included), and against the
 *   workstation's zod schemas for the types it stores; server-managed meta (versionId,
 *   lastUpdated, source) stripped;
 * - ETag W/"<versionId>", Last-Modified, and Location on create (201, also for PUT-create);
 * - searches paged by default with Bundle.link self/next/previous and `_count` (capped);
 * - 410 Gone for deleted resources; type- and system-level `_history` with `_since`, deletes
 *   included, paged newest first with a cursor that later writes cannot shift;
 * - FHIR Bulk Data's Group export when asked for (bulk-export.ts), advertised as the Group's
 *   `export` operation;
 * - fault injection per request pattern (faults.ts);
 * - a personality (personality.ts): Medplum's own ways by default (UUID version ids, pages
 *   searched again at each `_offset`), or HAPI FHIR's (integer version ids, results held
 *   server-side behind `_getpages` links, held-results.ts).
 *
 * Many resources share a lastUpdated millisecond.
 */
import { fleetLine } from '../../src-shared/fleet/device.ts';
import { GROUP_EXPORT_OPERATION, type BulkExports } from './bulk-export.ts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  OperationOutcomeError,
  badRequest,
  getStatus,
  globalSchema,
  notFound,
  parseSearchRequest,
  preconditionFailed,
} from '@medplum/core';
import { FhirRouter } from '@medplum/fhir-router';
import type { HttpMethod } from '@medplum/fhir-router';
import type {
  Bundle,
  BundleEntry,
  BundleLink,
  CapabilityStatement,
  OperationOutcome,
  Resource,
} from '@medplum/fhirtypes';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { StoredResourceType, parseFhirResource } from '../../src-shared/fhir/resources.ts';
import type { Logger } from '../../src-main/log/logger.ts';
import type { FaultInjector, FaultKind } from './faults.ts';
import { HeldResults, type Held } from './held-results.ts';
import { TRAITS, type Personality } from './personality.ts';
import type { CentralRepository, ChangeEntry } from './repository.ts';
import { invalidOutcome, validationIssues } from './validation.ts';
const MAX_BODY_BYTES = 32 * 1024 * 1024;
const FHIR_JSON = 'application/fhir+json; charset=utf-8';

/** Resource types the CapabilityStatement advertises: what the workstation syncs, and its audit trail. */
export const SUPPORTED_TYPES = [...StoredResourceType.options, 'AuditEvent', 'Provenance', 'Group'] as const;

export interface FhirApiOptions {
  /** Absolute base URL, e.g. http://127.0.0.1:4401/fhir/R4 (no trailing slash). */
  baseUrl: string;
  issuer: string;
  repo: CentralRepository;
  faults: FaultInjector;
  /** Where the identity provider publishes its keys (default `${issuer}/jwks`). */
  jwksUri?: string;
  /** Over the personality's page sizes. */
  defaultPageSize?: number;
  maxPageSize?: number;
  /** Whose ways where FHIR leaves servers free (personality.ts); Medplum's by default. */
  personality?: Personality;
  /** How long held search results live after their last read (HAPI personality; held-results.ts). */
  heldResultsTtlMs?: number;
  logger?: Logger;
  /** FHIR Bulk Data's Group export, advertised in the CapabilityStatement (bulk-export.ts); off by default. */
  bulkExport?: BulkExports;
}

export interface FhirApi {
  handle(req: IncomingMessage, res: ServerResponse): void;
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
  /** A Bulk Data file: sent as it is, not as JSON. */
  ndjson?: string;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
    readonly headers: Record<string, string> = {},
  ) {
    super(outcome.issue?.[0]?.details?.text ?? `HTTP ${status}`);
  }
}

function outcome(severity: 'error' | 'information', code: string, text: string): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code: code as 'processing', details: { text } }] };
}

export function createFhirApi(options: FhirApiOptions): FhirApi {
  const { baseUrl, issuer, repo, faults } = options;
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const traits = TRAITS[options.personality ?? 'medplum'];
  const defaultPageSize = options.defaultPageSize ?? traits.defaultPageSize;
  const maxPageSize = options.maxPageSize ?? traits.maxPageSize;
  const held = new HeldResults(options.heldResultsTtlMs);
  const jwks = createRemoteJWKSet(new URL(options.jwksUri ?? `${issuer}/jwks`), { cooldownDuration: 1000 });
  const router = new FhirRouter();

  async function authenticate(req: IncomingMessage): Promise<JWTPayload> {
    const realm = 'Bearer realm="clinic-fhir"';
    const token = /^Bearer +([\w.~+/-]+=*)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token)
      throw new HttpError(401, outcome('error', 'login', 'Authentication required'), { 'www-authenticate': realm });
    try {
      const { payload } = await jwtVerify(token, jwks, {
        issuer,
        audience: baseUrl,
        typ: 'at+jwt',
        algorithms: ['RS256', 'PS256', 'ES256'],
        requiredClaims: ['exp', 'sub'],
      });
      return payload;
    } catch (error) {
      const description = error instanceof Error && 'code' in error ? String(error.code) : 'invalid token';
      throw new HttpError(401, outcome('error', 'login', 'Invalid access token'), {
        'www-authenticate': `${realm}, error="invalid_token", error_description="${description.replace(/"/g, '')}"`,
      });
    }
  }

  function entryUrl(resourceType: string, id: string): string {
    return `${baseUrl}/${resourceType}/${id}`;
  }

  function resourceHeaders(resource: Resource): Record<string, string> {
    const headers: Record<string, string> = {};
    if (resource.meta?.versionId) headers.etag = `W/"${resource.meta.versionId}"`;
    if (resource.meta?.lastUpdated) headers['last-modified'] = new Date(resource.meta.lastUpdated).toUTCString();
    return headers;
  }

  async function route(
    method: HttpMethod,
    relative: string,
    search: URLSearchParams,
    body: unknown,
    req: IncomingMessage,
  ): Promise<[OperationOutcome, Resource?]> {
    const query = search.toString();
    const response = await router.handleRequest(
      {
        method,
        url: query ? `${relative}?${query}` : relative,
        pathname: '',
        body,
        params: {},
        query: {},
        headers: req.headers,
        config: { transactions: true },
      },
      repo,
    );
    return [response[0], response[1]];
  }

  function pageSize(search: URLSearchParams): number {
    const raw = search.get('_count');
    if (raw === null) return defaultPageSize;
    if (!/^\d+$/.test(raw)) throw new HttpError(400, badRequest('_count must be a non-negative integer'));
    return Math.min(Number(raw), maxPageSize);
  }

  async function searchType(resourceType: string, search: URLSearchParams, req: IncomingMessage): Promise<Reply> {
    if (traits.paging === 'snapshot') return heldSearch(resourceType, search, req);
    const count = pageSize(search);
    const rawOffset = search.get('_offset') ?? '0';
    if (!/^\d+$/.test(rawOffset)) throw new HttpError(400, badRequest('_offset must be a non-negative integer'));
    const offset = Number(rawOffset);
    const params = new URLSearchParams(search);
    params.set('_count', String(count));
    params.set('_offset', String(offset));
    const [result, bundle] = await route('GET', resourceType, params, undefined, req);
    if (getStatus(result) >= 400 || bundle?.resourceType !== 'Bundle') return outcomeReply(result);
    const total = bundle.total ?? 0;
    const link = (at: number): string => {
      const p = new URLSearchParams(params);
      p.set('_offset', String(at));
      return `${baseUrl}/${resourceType}?${p}`;
    };
    const links: BundleLink[] = [{ relation: 'self', url: link(offset) }];
    if (count > 0 && offset + count < total) links.push({ relation: 'next', url: link(offset + count) });
    if (offset > 0 && count > 0) links.push({ relation: 'previous', url: link(Math.max(0, offset - count)) });
    const entry = (bundle.entry ?? []).map((e: BundleEntry) =>
      e.resource?.id ? { fullUrl: entryUrl(e.resource.resourceType, e.resource.id), ...e } : e,
    );
    const out: Bundle = {
      resourceType: 'Bundle',
      type: 'searchset',
      total,
      link: links,
      ...(entry.length ? { entry } : {}),
    };
    return { status: 200, headers: {}, body: out };
  }

  /**
   * The HAPI personality's search: run once, every match's id held (held-results.ts), the first
   * page answered; the next link names the held results, not the query.
   */
  async function heldSearch(resourceType: string, search: URLSearchParams, req: IncomingMessage): Promise<Reply> {
    const count = pageSize(search);
    const self = `${baseUrl}/${resourceType}${search.size ? `?${search}` : ''}`;
    const key = `${resourceType}?${search}`;
    const noCache = /(^|,)\s*no-cache\s*(,|$)/i.test(req.headers['cache-control'] ?? '');
    const reused =
      traits.reuseSearchesForMs === null || noCache ? undefined : held.recent(key, traits.reuseSearchesForMs);
    if (reused) return heldPage(reused, 0, count, self);
    const params = new URLSearchParams(search);
    params.delete('_count');
    params.delete('_offset');
    let ids: string[];
    try {
      ids = await repo.searchIds(parseSearchRequest(`${resourceType}?${params}`));
    } catch (error) {
      if (error instanceof OperationOutcomeError) throw new HttpError(getStatus(error.outcome), error.outcome);
      throw error;
    }
    const results = held.hold({
      bundleType: 'searchset',
      key,
      total: ids.length,
      count,
      entries: (offset, n) =>
        repo.currentVersions(resourceType, ids.slice(offset, offset + n)).map((resource) => ({
          fullUrl: entryUrl(resourceType, resource.id),
          resource,
          search: { mode: 'match' as const },
        })),
    });
    return heldPage(results, 0, count, self);
  }

  /** A page of held results (`GET [base]?_getpages=<id>&_getpagesoffset=<n>&_count=<n>`). */
  function heldPageRequest(search: URLSearchParams): Reply {
    const id = search.get('_getpages') ?? '';
    const rawOffset = search.get('_getpagesoffset') ?? '0';
    if (!/^\d+$/.test(rawOffset))
      throw new HttpError(400, badRequest('_getpagesoffset must be a non-negative integer'));
    const results = held.get(id);
    // HAPI's answer to a page of a search it no longer holds.
    if (!results)
      throw new HttpError(410, outcome('error', 'processing', `Search ID "${id}" does not exist and may have expired`));
    const count = search.has('_count') ? pageSize(search) : results.count;
    return heldPage(results, Number(rawOffset), count, `${baseUrl}?${search}`);
  }

  function heldPage(results: Held, offset: number, count: number, self: string): Reply {
    const pageUrl = (at: number) =>
      `${baseUrl}?${new URLSearchParams({
        _getpages: results.id,
        _getpagesoffset: String(at),
        _count: String(count),
        _bundletype: results.bundleType,
      })}`;
    const links: BundleLink[] = [{ relation: 'self', url: self }];
    if (count > 0 && offset + count < results.total) links.push({ relation: 'next', url: pageUrl(offset + count) });
    if (count > 0 && offset > 0) links.push({ relation: 'previous', url: pageUrl(Math.max(0, offset - count)) });
    const entry = count > 0 ? results.entries(offset, count) : [];
    const bundle: Bundle = {
      resourceType: 'Bundle',
      id: results.id,
      meta: { lastUpdated: results.created },
      type: results.bundleType,
      total: results.total,
      link: links,
      ...(entry.length ? { entry } : {}),
    };
    return { status: 200, headers: {}, body: bundle };
  }

  function sinceOf(search: URLSearchParams): number | undefined {
    const since = search.get('_since');
    if (since === null) return undefined;
    const sinceMs = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/.test(since)
      ? Date.parse(since)
      : Number.NaN;
    if (Number.isNaN(sinceMs)) throw new HttpError(400, badRequest('_since must be a FHIR instant with a time zone'));
    return sinceMs;
  }

  function history(resourceType: string | undefined, id: string | undefined, search: URLSearchParams): Reply {
    const count = pageSize(search);
    const since = search.get('_since');
    const sinceMs = sinceOf(search);
    const cursorText = search.get('_cursor');
    let before: { lastUpdatedMs: number; seq: number } | undefined;
    if (cursorText !== null) {
      const match = /^(\d+)\.(\d+)$/.exec(cursorText);
      if (!match) throw new HttpError(400, badRequest('Invalid _cursor'));
      before = { lastUpdatedMs: Number(match[1]), seq: Number(match[2]) };
    }
    if (
      id !== undefined &&
      resourceType !== undefined &&
      !repo.exists(resourceType, id) &&
      !repo.deletedVersion(resourceType, id)
    ) {
      throw new HttpError(404, notFound);
    }
    if (traits.paging === 'snapshot') {
      // HAPI holds a history like a search: every version it asks for, paged by _getpages.
      const changes = repo.changeList({ resourceType, id, sinceMs });
      const results = held.hold({
        bundleType: 'history',
        total: changes.length,
        count,
        entries: (offset, n) =>
          changes.slice(offset, offset + n).map((change) => historyEntry(change, repo.versionOf(change))),
      });
      const path = [resourceType, id, '_history'].filter((s) => s !== undefined).join('/');
      return heldPage(results, 0, count, `${baseUrl}/${path}${search.size ? `?${search}` : ''}`);
    }
    const page = repo.changes({ resourceType, id, sinceMs, before, count });
    const path = [resourceType, id, '_history'].filter((s) => s !== undefined).join('/');
    const params = new URLSearchParams();
    if (since !== null) params.set('_since', since);
    params.set('_count', String(count));
    const links: BundleLink[] = [
      {
        relation: 'self',
        url: `${baseUrl}/${path}?${new URLSearchParams([...params, ...(cursorText ? [['_cursor', cursorText]] : [])])}`,
      },
    ];
    if (page.next && count > 0) {
      const next = new URLSearchParams(params);
      next.set('_cursor', `${page.next.lastUpdatedMs}.${page.next.seq}`);
      links.push({ relation: 'next', url: `${baseUrl}/${path}?${next}` });
    }
    const entry = page.entries.map(({ change, resource }) => historyEntry(change, resource));
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'history',
      total: page.total,
      link: links,
      ...(entry.length ? { entry } : {}),
    };
    return { status: 200, headers: {}, body: bundle };
  }

  function historyEntry(change: ChangeEntry, resource: Resource | undefined): BundleEntry {
    const url = `${change.resourceType}/${change.id}`;
    const response = { etag: `W/"${change.versionId}"`, lastModified: change.lastUpdated };
    if (change.deleted || !resource) {
      return {
        fullUrl: entryUrl(change.resourceType, change.id),
        request: { method: 'DELETE', url },
        response: { status: '410 Gone', ...response },
      };
    }
    const created = repo.isFirstVersion(change.resourceType, change.id, change.versionId);
    return {
      fullUrl: entryUrl(change.resourceType, change.id),
      resource,
      request: created ? { method: 'POST', url: change.resourceType } : { method: 'PUT', url },
      response: { status: created ? '201 Created' : '200 OK', ...response },
    };
  }

  function validate(resourceType: string, id: string | undefined, body: unknown): Resource {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new HttpError(400, badRequest('Body must be a FHIR resource'));
    const resource = body as Resource;
    if (resource.resourceType !== resourceType) {
      throw new HttpError(
        400,
        badRequest(`Incorrect resource type: expected ${resourceType}, found ${String(resource.resourceType)}`),
      );
    }
    if (id !== undefined && resource.id !== id)
      throw new HttpError(400, badRequest('Resource id does not match the URL'));
    // Server-managed meta is the server's: a client's versionId or lastUpdated never survives.
    if (resource.meta) {
      const { versionId: _v, lastUpdated: _l, source: _s, ...kept } = resource.meta;
      if (Object.keys(kept).length > 0) resource.meta = kept;
      else delete resource.meta;
    }
    // What a real server checks: the R4 definitions (the repository checks again on every route).
    const issues = validationIssues(resource);
    if (issues) throw new HttpError(traits.invalidStatus, invalidOutcome(issues));
    if ((StoredResourceType.options as readonly string[]).includes(resourceType)) {
      const parsed = parseFhirResource(resource);
      if (!parsed.success) {
        throw new HttpError(400, {
          resourceType: 'OperationOutcome',
          issue: parsed.error.issues.slice(0, 20).map((issue) => ({
            severity: 'error',
            code: 'invalid',
            details: { text: issue.message },
            expression: [[resourceType, ...issue.path.map(String)].join('.')],
          })),
        });
      }
    }
    return resource;
  }

  async function write(
    method: 'POST' | 'PUT',
    resourceType: string,
    id: string | undefined,
    body: unknown,
    search: URLSearchParams,
    req: IncomingMessage,
  ): Promise<Reply> {
    const resource = validate(resourceType, id, body);
    if (method === 'PUT' && id !== undefined && req.headers['if-match'] && repo.deletedVersion(resourceType, id)) {
      // The client updates a version that is no longer current: the resource was deleted.
      throw new HttpError(412, preconditionFailed);
    }
    const existed = id !== undefined && repo.exists(resourceType, id);
    const [result, stored] = await route(
      method,
      id === undefined ? resourceType : `${resourceType}/${id}`,
      search,
      resource,
      req,
    );
    const status = getStatus(result);
    if (status >= 400 || !stored?.id) return outcomeReply(result);
    const createdNow = method === 'POST' ? status === 201 : !existed;
    const headers = resourceHeaders(stored);
    if (createdNow) {
      headers.location = `${entryUrl(resourceType, stored.id)}/_history/${stored.meta?.versionId ?? ''}`;
      headers['content-location'] = headers.location;
    }
    return { status: createdNow ? 201 : 200, headers, body: stored };
  }

  /**
   * The fleet as IT would see it (issue 15): every workstation's Device, summed up in a line each
   * (`GET /fleet`, beside the FHIR base, with the same bearer token). Counts and versions only.
   */
  async function fleet(req: IncomingMessage): Promise<Reply> {
    const found = await searchType('Device', new URLSearchParams({ _count: '1000', _sort: '-_lastUpdated' }), req);
    const devices = ((found.body as { entry?: { resource?: Record<string, unknown> }[] }).entry ?? []).map(
      (entry) => entry.resource ?? {},
    );
    return { status: 200, headers: {}, body: { workstations: devices.map(fleetLine) } };
  }

  async function process(req: IncomingMessage, url: URL): Promise<Reply> {
    const method = (req.method ?? 'GET').toUpperCase() as HttpMethod;
    if (method === 'GET' && url.pathname === '/fleet') {
      await authenticate(req);
      return fleet(req);
    }
    if (url.pathname !== basePath && !url.pathname.startsWith(`${basePath}/`)) throw new HttpError(404, notFound);
    const segments = url.pathname.slice(basePath.length).split('/').filter(Boolean).map(decodeURIComponent);
    const search = url.searchParams;
    const [first, second, third, fourth] = segments;

    if (method === 'GET' && first === 'metadata' && segments.length === 1)
      return { status: 200, headers: {}, body: capabilityStatement() };
    await authenticate(req);
    const exports = options.bulkExport;
    if (exports && method === 'GET' && first === 'Group' && second && third === '$export' && segments.length === 3)
      return exports.kickOff(second, search, String(req.headers.prefer ?? ''), url.href);
    if (exports && first === '$export-status' && second && segments.length === 2)
      return method === 'DELETE' ? exports.forget(second) : exports.status(second);
    if (exports && method === 'GET' && first === '$export-file' && second && third && segments.length === 3)
      return exports.file(second, third);

    let body: unknown;
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') body = await readJson(req);

    if (method === 'GET' && segments.length === 0 && search.has('_getpages') && traits.paging === 'snapshot')
      return heldPageRequest(search);
    if (method === 'GET' && first === '_history' && segments.length === 1) return history(undefined, undefined, search);
    if (method === 'GET' && first && second === '_history' && segments.length === 2)
      return history(first, undefined, search);
    if (method === 'GET' && first && second && third === '_history' && segments.length === 3)
      return history(first, second, search);
    if (method === 'GET' && first && segments.length === 1 && /^[A-Z]/.test(first))
      return searchType(first, search, req);
    if (method === 'POST' && first && segments.length === 1 && /^[A-Z]/.test(first))
      return write('POST', first, undefined, body, search, req);
    if (method === 'PUT' && first && second && segments.length === 2)
      return write('PUT', first, second, body, search, req);

    const relative = segments.map(encodeURIComponent).join('/');
    const [result, resource] = await route(method, relative, search, body, req);
    const status = getStatus(result);
    if (status >= 400 || !resource) return outcomeReply(result);
    const headers =
      first && second && fourth === undefined && resource.resourceType === first ? resourceHeaders(resource) : {};
    if (third === '_history' && fourth) Object.assign(headers, resourceHeaders(resource));
    return { status, headers, body: resource };
  }

  function capabilityStatement(): CapabilityStatement {
    const issuerUrl = issuer.replace(/\/+$/, '');
    return {
      resourceType: 'CapabilityStatement',
      status: 'active',
      date: new Date().toISOString(),
      kind: 'instance',
      software: { name: traits.software },
      implementation: { description: 'Development stand-in for the clinic FHIR R4 API', url: baseUrl },
      fhirVersion: '4.0.1',
      format: ['json'],
      rest: [
        {
          mode: 'server',
          security: {
            cors: false,
            service: [
              { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'OAuth' }] },
            ],
            extension: [
              {
                url: 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris',
                extension: [
                  { url: 'authorize', valueUri: `${issuerUrl}/auth` },
                  { url: 'token', valueUri: `${issuerUrl}/token` },
                ],
              },
            ],
          },
          resource: SUPPORTED_TYPES.map((type) => ({
            type,
            ...(type === 'Group' && options.bulkExport ? { operation: [GROUP_EXPORT_OPERATION] } : {}),
            versioning: 'versioned-update' as const,
            readHistory: true,
            updateCreate: true,
            conditionalCreate: true,
            conditionalDelete: 'not-supported' as const,
            interaction: (
              [
                'read',
                'vread',
                'update',
                'patch',
                'delete',
                'history-instance',
                'history-type',
                'create',
                'search-type',
              ] as const
            ).map((code) => ({ code })),
            searchParam: Object.values(globalSchema.types[type]?.searchParams ?? {})
              .filter((p) => p.code && p.type)
              .map((p) => ({
                name: p.code as string,
                type: p.type as 'string',
                ...(p.url ? { definition: p.url } : {}),
              })),
          })),
          interaction: [{ code: 'batch' }, { code: 'history-system' }, { code: 'search-system' }],
        },
      ],
    };
  }

  function send(res: ServerResponse, reply: Reply, fault: FaultKind | undefined): void {
    const headers: Record<string, string> = {
      'content-type': FHIR_JSON,
      'cache-control': 'no-store',
      ...reply.headers,
    };
    let body = reply.body;
    if (fault?.kind === 'invalid-resource' && body !== undefined) body = corrupt(body);
    let text = reply.ndjson ?? (body === undefined ? '' : JSON.stringify(body));
    let status = reply.status;
    if (fault?.kind === 'malformed-json') {
      status = status >= 400 ? status : 200;
      text = `${text.slice(0, Math.max(1, Math.floor(text.length / 2)))}<!-- truncated`;
    }
    const bytes = Buffer.from(text, 'utf8');
    headers['content-length'] = String(bytes.length);
    res.writeHead(status, headers);
    if (fault?.kind === 'reset') {
      res.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
        const socket = res.socket;
        if (socket && typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
        else socket?.destroy();
      });
      return;
    }
    res.end(bytes);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', baseUrl);
    const active = faults.take('fhir', req.method ?? 'GET', `${url.pathname}${url.search}`);
    const latency = active.reduce((ms, f) => ms + (f.kind.kind === 'latency' ? f.kind.ms : 0), 0);
    const fault = active.find((f) => f.kind.kind !== 'latency')?.kind;
    const run = async (): Promise<void> => {
      if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
      if (fault?.kind === 'unreachable') {
        req.socket.resetAndDestroy();
        return;
      }
      if (fault?.kind === 'rate-limit') {
        req.resume();
        return send(
          res,
          {
            status: 429,
            headers: { 'retry-after': String(fault.retryAfterSeconds ?? 1) },
            body: outcome('error', 'throttled', 'Too many requests'),
          },
          undefined,
        );
      }
      if (fault?.kind === 'status') {
        req.resume();
        const headers: Record<string, string> =
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) };
        return send(
          res,
          {
            status: fault.status,
            headers,
            body: outcome('error', 'transient', `Injected fault: HTTP ${fault.status}`),
          },
          undefined,
        );
      }
      if (fault?.kind === 'precondition-failed') {
        req.resume();
        return send(res, { status: 412, headers: {}, body: preconditionFailed }, undefined);
      }
      let reply: Reply;
      try {
        reply = await process(req, url);
      } catch (error) {
        reply = errorReply(error, options.logger);
      }
      send(res, reply, fault);
    };
    run().catch((error: unknown) => {
      options.logger?.log('error', 'central.fhir.unhandled', {
        errorName: error instanceof Error ? error.name : 'unknown',
      });
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    });
  }

  return { handle };
}

function outcomeReply(result: OperationOutcome): Reply {
  return { status: getStatus(result), headers: {}, body: result };
}

function errorReply(error: unknown, logger: Logger | undefined): Reply {
  if (error instanceof HttpError) return { status: error.status, headers: error.headers, body: error.outcome };
  if (error instanceof OperationOutcomeError) return outcomeReply(error.outcome);
  logger?.log('error', 'central.fhir.error', { errorName: error instanceof Error ? error.name : 'unknown' });
  return { status: 500, headers: {}, body: outcome('error', 'exception', 'Internal server error') };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, outcome('error', 'too-costly', 'Request body too large'));
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, badRequest('Request body is not valid JSON'));
  }
}

/** A copy of the body whose resource (or first bundle entry) fails schema validation. */
function corrupt(body: unknown): unknown {
  const copy = structuredClone(body) as Resource & { entry?: BundleEntry[] };
  const target = (copy.resourceType === 'Bundle' ? copy.entry?.find((e) => e.resource)?.resource : copy) as
    Record<string, unknown> | undefined;
  if (target) {
    target.id = 'not a valid id!';
    target.meta = { ...(target.meta as object | undefined), lastUpdated: 'not-an-instant' };
    if (target.resourceType === 'Patient') target.birthDate = '31/02/1970';
  }
  return copy;
}
