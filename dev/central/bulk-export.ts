/**
 * FHIR Bulk Data's Group export (`GET Group/<id>/$export`, async request pattern), as dev central
 * serves it when started with `bulkExport` (issue 15): the kick-off answers 202 with a status URL;
 * the status answers 202 with Retry-After for the first `pollsBeforeReady` polls, then the
 * manifest (transactionTime, requiresAccessToken, one NDJSON file per type); the files need the
 * same bearer token; DELETE on the status URL forgets the job. Parameters: `_type` (the types
 * exported, each a patient's record type) and `_since` (only what was updated after). The members
 * are the Group's active `Patient/<id>` members when the kick-off came; the files are cut then,
 * so what is written afterwards waits for the next export.
 */
import { parseSearchRequest } from '@medplum/core';
import type { Group, Resource } from '@medplum/fhirtypes';
import { randomUUID } from 'node:crypto';
import { SCOPE_PARAMETER } from '../../src-main/sync/scope.ts';
import type { CentralRepository } from './repository.ts';

/** The types a Group export may name (a patient's records), and how a search names their patient. */
const PATIENT_PARAMETER: Readonly<Record<string, '_id' | 'patient'>> = Object.fromEntries(
  Object.entries(SCOPE_PARAMETER).filter((entry): entry is [string, '_id' | 'patient'] => entry[1] !== null),
);

export interface ExportReply {
  status: number;
  headers: Record<string, string>;
  /** JSON body (a manifest, an OperationOutcome), or NDJSON text. */
  body?: unknown;
  ndjson?: string;
}

interface Job {
  transactionTime: string;
  request: string;
  polls: number;
  files: Map<string, { type: string; ndjson: string; count: number }>;
}

const outcome = (text: string) => ({
  resourceType: 'OperationOutcome',
  issue: [{ severity: 'error', code: 'processing', details: { text } }],
});

export interface BulkExports {
  kickOff(
    groupId: string,
    search: URLSearchParams,
    prefer: string | undefined,
    requestUrl: string,
  ): Promise<ExportReply>;
  status(jobId: string): ExportReply;
  file(jobId: string, name: string): ExportReply;
  forget(jobId: string): ExportReply;
  /** Kick-offs received (tests count them). */
  readonly kickOffs: number;
}

export function createBulkExports(options: {
  baseUrl: string;
  repo: CentralRepository;
  pollsBeforeReady?: number;
}): BulkExports {
  const jobs = new Map<string, Job>();
  let kickOffs = 0;
  const pollsBeforeReady = options.pollsBeforeReady ?? 1;

  /** What the repository holds of these patients of this type, updated after `since` (ms). */
  async function recordsOf(type: string, patients: readonly string[], since: number | undefined): Promise<Resource[]> {
    const found: Resource[] = [];
    for (let i = 0; i < patients.length; i += 100) {
      const query = new URLSearchParams({ [PATIENT_PARAMETER[type]!]: patients.slice(i, i + 100).join(',') });
      if (since !== undefined) query.set('_lastUpdated', `gt${new Date(since).toISOString()}`);
      for (let offset = 0; ; offset += 1000) {
        const request = parseSearchRequest(`${type}?${query}`);
        const bundle = await options.repo.search({ ...request, count: 1000, offset });
        const page = (bundle.entry ?? []).flatMap((e) => (e.resource ? [e.resource] : []));
        found.push(...page);
        if (page.length < 1000) break;
      }
    }
    return found;
  }

  return {
    get kickOffs() {
      return kickOffs;
    },
    async kickOff(groupId, search, prefer, requestUrl): Promise<ExportReply> {
      if (!/respond-async/i.test(prefer ?? ''))
        return { status: 400, headers: {}, body: outcome('A Bulk Data kick-off needs Prefer: respond-async.') };
      let group: Group;
      try {
        group = await options.repo.readResource<Group>('Group', groupId);
      } catch {
        return { status: 404, headers: {}, body: outcome('No such Group.') };
      }
      const types = (search.get('_type') ?? Object.keys(PATIENT_PARAMETER).join(',')).split(',');
      const unknown = types.filter((t) => !(t in PATIENT_PARAMETER));
      if (unknown.length > 0)
        return { status: 400, headers: {}, body: outcome(`A Group export cannot name ${unknown.join(', ')}.`) };
      const sinceText = search.get('_since');
      const since = sinceText === null ? undefined : Date.parse(sinceText);
      if (since !== undefined && Number.isNaN(since))
        return { status: 400, headers: {}, body: outcome('_since is not an instant.') };
      kickOffs++;
      const transactionTime = new Date().toISOString();
      const members = (group.member ?? [])
        .filter((m) => m.inactive !== true)
        .map((m) => m.entity.reference ?? '')
        .filter((r) => r.startsWith('Patient/'))
        .map((r) => r.slice('Patient/'.length));
      const files = new Map<string, { type: string; ndjson: string; count: number }>();
      for (const type of types) {
        const records = await recordsOf(type, members, since);
        if (records.length === 0) continue;
        files.set(`${type}.ndjson`, {
          type,
          ndjson: records.map((r) => JSON.stringify(r)).join('\n') + '\n',
          count: records.length,
        });
      }
      const id = randomUUID();
      jobs.set(id, { transactionTime, request: requestUrl, polls: 0, files });
      return { status: 202, headers: { 'content-location': `${options.baseUrl}/$export-status/${id}` } };
    },
    status(jobId): ExportReply {
      const job = jobs.get(jobId);
      if (!job) return { status: 404, headers: {}, body: outcome('No such export.') };
      if (job.polls++ < pollsBeforeReady)
        return { status: 202, headers: { 'retry-after': '1', 'x-progress': 'preparing' } };
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: {
          transactionTime: job.transactionTime,
          request: job.request,
          requiresAccessToken: true,
          output: [...job.files].map(([name, file]) => ({
            type: file.type,
            url: `${options.baseUrl}/$export-file/${jobId}/${name}`,
            count: file.count,
          })),
          error: [],
        },
      };
    },
    file(jobId, name): ExportReply {
      const file = jobs.get(jobId)?.files.get(name);
      if (!file) return { status: 404, headers: {}, body: outcome('No such file.') };
      return { status: 200, headers: { 'content-type': 'application/fhir+ndjson' }, ndjson: file.ndjson };
    },
    forget(jobId) {
      jobs.delete(jobId);
      return { status: 202, headers: {} };
    },
  };
}

/** The CapabilityStatement's word for it: the Group resource's `export` operation. */
export const GROUP_EXPORT_OPERATION = {
  name: 'export',
  definition: 'http://hl7.org/fhir/uv/bulkdata/OperationDefinition/group-export',
};
