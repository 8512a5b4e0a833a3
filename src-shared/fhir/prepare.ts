import { FhirResource, parseFhirResource, patientIdOf, patientSearchFields } from './index.ts';
import { compileQuickCheck } from './quick-check.ts';

/**
 * Validation and the columns of a resource, before it is stored: pure work, no database, so a
 * pull can do it in its page worker while the core's thread stores the pages before. Nothing is
 * stored that did not pass here (storePrepared takes only what this returns).
 *
 * It lives in src-shared (pure, no Node) so that the sync page worker can load it without the
 * rest of the core: worker threads run these files as Node strips them, without a build step.
 */

/** A resource that failed validation: which one (type and id only, never content) and why. */
export interface RejectedResource {
  index: number;
  resourceType: string | null;
  id: string | null;
  issues: string[];
}

export interface PreparedResource {
  type: string;
  id: string;
  versionId: string | null;
  lastUpdated: string | null;
  patientId: string | null;
  /** The validated resource, as stored. */
  json: string;
  /** A Patient's search columns. */
  patient: {
    displayName: string;
    nameSearch: string;
    mrn: string | null;
    birthDate: string | null;
    gender: string | null;
  } | null;
}

export type Prepared =
  { ok: true; resource: PreparedResource } | { ok: false; rejected: Omit<RejectedResource, 'index'> };

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string[] {
  // Paths and messages only: zod's messages name the rule broken, not the value received.
  return error.issues.slice(0, 5).map((issue) => `${issue.path.map(String).join('.') || '(root)'}: ${issue.message}`);
}

function safeString(value: unknown): string | null {
  return typeof value === 'string' && /^[A-Za-z0-9\-.]{1,64}$/.test(value) ? value : null;
}

/** Whether zod would accept a resource, answered without zod's parsed copy (quick-check.ts). */
const acceptedQuickly = compileQuickCheck(FhirResource);

export function prepareResource(candidate: unknown): Prepared {
  // The quick check's yes is zod's (and the value holds what zod's copy would); otherwise zod decides, with its issues.
  const parsed = acceptedQuickly(candidate)
    ? { success: true as const, data: candidate as FhirResource }
    : parseFhirResource(candidate);
  if (!parsed.success) {
    const raw = (candidate ?? {}) as { resourceType?: unknown; id?: unknown };
    return {
      ok: false,
      rejected: {
        resourceType: safeString(raw.resourceType),
        id: safeString(raw.id),
        issues: describeIssues(parsed.error),
      },
    };
  }
  const resource = parsed.data;
  if (resource.id === undefined)
    return {
      ok: false,
      rejected: { resourceType: resource.resourceType, id: null, issues: ['id: a stored resource needs an id'] },
    };
  let patient: PreparedResource['patient'] = null;
  if (resource.resourceType === 'Patient') {
    const fields = patientSearchFields(resource);
    patient = {
      displayName: fields.displayName,
      nameSearch: [fields.given, fields.family].filter(Boolean).join(' '),
      mrn: fields.mrn,
      birthDate: fields.birthDate,
      gender: fields.gender,
    };
  }
  return {
    ok: true,
    resource: {
      type: resource.resourceType,
      id: resource.id,
      versionId: resource.meta?.versionId ?? null,
      lastUpdated: resource.meta?.lastUpdated ?? null,
      patientId: patientIdOf(resource),
      json: JSON.stringify(resource),
      patient,
    },
  };
}
