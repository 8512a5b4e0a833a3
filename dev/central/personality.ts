/**
 * Dev central's personalities: the same FHIR R4 API, behaving like one real server or another
 * where FHIR leaves servers free to differ, so the workstation's sync is tested against more than
 * one reading of the specification.
 *
 * - `medplum` (the default): Medplum's FHIR router as it is: UUID version ids, searches paged by
 *   `_offset` (each page searched again), history paged by a cursor, validation failures 400.
 * - `hapi`: what a HAPI FHIR JPA server does (its documentation and issue tracker, e.g.
 *   hapifhir/hapi-fhir#481 for paging): integer version ids per resource ("1", "2", ...; a delete
 *   is a version too), searches and histories run once and held server-side, paged by an opaque
 *   `?_getpages=<uuid>&_getpagesoffset=<n>` link that expires (410 Gone after), page sizes 20 by
 *   default and 200 at most (the JPA starter's), an identical search within a minute answered from
 *   the results held for the last one unless the client sends `Cache-Control: no-cache` (its
 *   search result caching), `Bundle.id` and `Bundle.meta.lastUpdated` set to the search's,
 *   validation failures 422 Unprocessable Entity (its RequestValidatingInterceptor).
 *
 * Both: weak ETags `W/"<versionId>"`, Last-Modified, Date, 201 Created with a Location that names
 * the version (`.../_history/<versionId>`) on create, PUT-create included.
 */
export const PERSONALITIES = ['medplum', 'hapi'] as const;
export type Personality = (typeof PERSONALITIES)[number];

export interface PersonalityTraits {
  /** 'uuid': every version a new UUID; 'sequence': "1", "2", ... per resource. */
  versionIds: 'uuid' | 'sequence';
  /** 'requery': `_offset` links, each page searched again; 'snapshot': `_getpages` links over results held server-side. */
  paging: 'requery' | 'snapshot';
  defaultPageSize: number;
  maxPageSize: number;
  /**
   * An identical search within this time is answered from the results held for the first (HAPI's
   * search result caching, one minute by default; `Cache-Control: no-cache` opts out); null: never.
   */
  reuseSearchesForMs: number | null;
  /** The status of a write the definitions refuse. */
  invalidStatus: 400 | 422;
  software: string;
}

export const TRAITS: Readonly<Record<Personality, PersonalityTraits>> = {
  medplum: {
    versionIds: 'uuid',
    paging: 'requery',
    defaultPageSize: 50,
    maxPageSize: 1000,
    reuseSearchesForMs: null,
    invalidStatus: 400,
    software: 'Clinic Workstation dev central (Medplum FHIR router)',
  },
  hapi: {
    versionIds: 'sequence',
    paging: 'snapshot',
    defaultPageSize: 20,
    maxPageSize: 200,
    reuseSearchesForMs: 60_000,
    invalidStatus: 422,
    software: 'Clinic Workstation dev central (Medplum FHIR router, HAPI FHIR personality)',
  },
};

export function isPersonality(value: unknown): value is Personality {
  return typeof value === 'string' && (PERSONALITIES as readonly string[]).includes(value);
}
