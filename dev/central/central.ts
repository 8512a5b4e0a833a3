/**
 * Dev central: the clinic's identity provider and FHIR R4 API, both seeded from the same
 * synthetic clinic, each on its own port of 127.0.0.1. `startCentral()` is the one call tests
 * and the demo use.
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import type { Logger } from '../../src-main/log/logger.ts';
import {
  clinicSites,
  clinicStaff,
  generateResources,
  type ClinicOptions,
  type StaffMember,
} from '../synthetic/clinic.ts';
import type { FhirResource } from '../../src-shared/fhir/resources.ts';
import { indexFhirDefinitions } from './definitions.ts';
import { FaultInjector } from './faults.ts';
import { createBulkExports, type BulkExports } from './bulk-export.ts';
import { createFhirApi } from './fhir-api.ts';
import {
  DEFAULT_CLIENT_ID,
  DEFAULT_REDIRECT_URIS,
  DEFAULT_ROLES_CLAIM,
  FHIR_API_SCOPE,
  createIdentityProvider,
} from './idp.ts';
import { TRAITS, type Personality } from './personality.ts';
import { CentralRepository } from './repository.ts';
import { UserStore, demoPassword } from './users.ts';
import type { CentralUser } from './users.ts';

export const HOST = '127.0.0.1';
export const DEFAULT_FHIR_BASE_PATH = '/fhir/R4';
export const DEMO_PATIENTS = 2000;
export const DEFAULT_SEED = 1;

export interface CentralOptions {
  /** Patients in the synthetic clinic (default 2,000). */
  patients?: number;
  seed?: number;
  resourcesPerPatient?: number;
  /**
   * Only every n-th patient has a full chart, the others their Patient and one Encounter
   * (synthetic ClinicOptions.chartEvery): a central of a million patients in a few GB. Default 1.
   */
  chartEvery?: number;
  /** Port of the identity provider (default: a free one). */
  idpPort?: number;
  /** Port of the FHIR API (default: a free one). */
  fhirPort?: number;
  fhirBasePath?: string;
  clientId?: string;
  redirectUris?: string[];
  rolesClaim?: string;
  accessTokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** Secret for the admin endpoint (default: random). */
  adminSecret?: string;
  defaultPageSize?: number;
  /**
   * Whose ways the FHIR API has where servers differ (personality.ts): 'medplum' (the default,
   * Medplum's router as it is) or 'hapi' (integer version ids, `_getpages` paging, 422 on invalid).
   */
  personality?: Personality;
  /** How long the HAPI personality holds a search's results after their last read (default an hour). */
  heldResultsTtlMs?: number;
  logger?: Logger;
  /** Serve FHIR Bulk Data's Group export (`Group/<id>/$export`), advertised in the CapabilityStatement. */
  bulkExport?: boolean;
}

export interface Central {
  /** The identity provider's issuer URL (discovery at `${issuer}/.well-known/openid-configuration`). */
  issuer: string;
  /** The FHIR API base URL, also the audience of access tokens. */
  fhirBaseUrl: string;
  clientId: string;
  /** Redirect URIs registered for the client (the port of loopback URIs may vary). */
  redirectUris: string[];
  /** Scope to request for the FHIR API (with openid, profile, fhirUser, offline_access). */
  apiScope: string;
  rolesClaim: string;
  /** Bearer secret of POST `${issuer}/admin/users/<username>/disable|enable`. */
  adminSecret: string;
  /** The accounts, with their demo passwords. */
  users: CentralUser[];
  personality: Personality;
  repository: CentralRepository;
  faults: FaultInjector;
  /** FHIR Bulk Data's Group export, when started with `bulkExport`; null otherwise. */
  bulkExport: BulkExports | null;
  seeding: { resources: number; durationMs: number };
  /** Disables an account: its refreshes and sign-ins fail from now on. */
  disableUser(username: string): void;
  enableUser(username: string): void;
  close(): Promise<void>;
}

function listen(server: http.Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, HOST, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startCentral(options: CentralOptions = {}): Promise<Central> {
  const seed = options.seed ?? DEFAULT_SEED;
  const patients = options.patients ?? DEMO_PATIENTS;
  const clinic: ClinicOptions = { seed, patients };
  if (options.resourcesPerPatient !== undefined) clinic.resourcesPerPatient = options.resourcesPerPatient;
  if (options.chartEvery !== undefined) clinic.chartEvery = options.chartEvery;
  const basePath = `/${(options.fhirBasePath ?? DEFAULT_FHIR_BASE_PATH).replace(/^\/+|\/+$/g, '')}`;
  const adminSecret = options.adminSecret ?? randomBytes(24).toString('base64url');
  const clientId = options.clientId ?? DEFAULT_CLIENT_ID;
  const redirectUris = options.redirectUris ?? DEFAULT_REDIRECT_URIS;
  const rolesClaim = options.rolesClaim ?? DEFAULT_ROLES_CLAIM;

  const personality = options.personality ?? 'medplum';
  indexFhirDefinitions();
  const repository = new CentralRepository({ versionIds: TRAITS[personality].versionIds });
  const started = performance.now();
  const staff = clinicStaff(clinic);
  const panel = clinicPanel(staff);
  // The sites first (each patient names its Organization, each encounter its Location), the
  // panel Group last (collected from the patients as they stream past).
  const sites = clinicSites(clinic).flatMap((site) => [site.organization, site.location]) as Resource[];
  const resources =
    repository.seed(sites) +
    repository.seed(panel.collect(generateResources(clinic)) as Iterable<Resource>) +
    repository.seed([panel.group()]);
  const seeding = { resources, durationMs: Math.round(performance.now() - started) };
  const users = new UserStore(staff, demoPassword);
  const faults = new FaultInjector();

  // Listen first (the ports are part of the URLs), then attach the handlers.
  let idpHandler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  let fhirHandler: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const idpServer = http.createServer((req, res) => idpHandler(req, res));
  const fhirServer = http.createServer((req, res) => fhirHandler(req, res));
  try {
    const idpPort = await listen(idpServer, options.idpPort ?? 0);
    const fhirPort = await listen(fhirServer, options.fhirPort ?? 0);
    const issuer = `http://${HOST}:${idpPort}`;
    const fhirBaseUrl = `http://${HOST}:${fhirPort}${basePath}`;

    const idp = await createIdentityProvider({
      issuer,
      fhirBaseUrl,
      users,
      adminSecret,
      clientId,
      redirectUris,
      rolesClaim,
      ...(options.accessTokenTtlSeconds === undefined ? {} : { accessTokenTtlSeconds: options.accessTokenTtlSeconds }),
      ...(options.refreshTokenTtlSeconds === undefined
        ? {}
        : { refreshTokenTtlSeconds: options.refreshTokenTtlSeconds }),
    });
    const bulkExport = options.bulkExport ? createBulkExports({ baseUrl: fhirBaseUrl, repo: repository }) : null;
    const api = createFhirApi({
      baseUrl: fhirBaseUrl,
      issuer,
      repo: repository,
      faults,
      personality,
      ...(options.defaultPageSize === undefined ? {} : { defaultPageSize: options.defaultPageSize }),
      ...(options.heldResultsTtlMs === undefined ? {} : { heldResultsTtlMs: options.heldResultsTtlMs }),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(bulkExport ? { bulkExport } : {}),
    });
    idpHandler = (req, res) => {
      const url = req.url ?? '/';
      const active = faults.take('idp', req.method ?? 'GET', url);
      const latency = active.reduce((ms, f) => ms + (f.kind.kind === 'latency' ? f.kind.ms : 0), 0);
      const fault = active.find((f) => f.kind.kind !== 'latency')?.kind;
      setTimeout(() => {
        if (fault?.kind === 'status' || fault?.kind === 'rate-limit') {
          const status = fault.kind === 'status' ? fault.status : 429;
          const headers: Record<string, string> =
            fault.retryAfterSeconds === undefined && fault.kind === 'status'
              ? {}
              : { 'retry-after': String(fault.retryAfterSeconds ?? 1) };
          req.resume();
          res.writeHead(status, headers).end();
        } else if (fault?.kind === 'reset' || fault?.kind === 'unreachable') {
          req.socket.resetAndDestroy();
        } else idp.handle(req, res);
      }, latency);
    };
    fhirHandler = (req, res) => api.handle(req, res);

    return {
      issuer,
      fhirBaseUrl,
      clientId,
      redirectUris: [...redirectUris],
      apiScope: FHIR_API_SCOPE,
      rolesClaim,
      adminSecret,
      users: users.list(),
      personality,
      repository,
      faults,
      bulkExport,
      seeding,
      disableUser: (username) => users.setDisabled(username, true),
      enableUser: (username) => users.setDisabled(username, false),
      close: async () => {
        await Promise.all([closeServer(idpServer), closeServer(fhirServer)]);
      },
    };
  } catch (error) {
    await Promise.all([closeServer(idpServer), closeServer(fhirServer)]);
    throw error;
  }
}

/** The Group central serves as the clinic's panel (policy cache.scope `{ kind: 'group', group: 'clinic-panel' }`). */
export const CLINIC_PANEL_GROUP = 'clinic-panel';

/**
 * The clinic's panel: the patients whose general practitioner is the clinic's first physician
 * (physician1), a deterministic subset of the seed, as a FHIR Group. Collected while the seed
 * streams past, so a large clinic is not held in memory.
 */
function clinicPanel(staff: readonly StaffMember[]) {
  const physician = staff.find((member) => member.role === 'physician');
  const gp = physician ? `Practitioner/${physician.practitionerId}` : null;
  const members: string[] = [];
  return {
    *collect(resources: Iterable<FhirResource>): Generator<FhirResource> {
      for (const resource of resources) {
        if (
          resource.resourceType === 'Patient' &&
          resource.id !== undefined &&
          resource.generalPractitioner?.some((r) => r.reference === gp)
        )
          members.push(resource.id);
        yield resource;
      }
    },
    group(): Resource {
      return {
        resourceType: 'Group',
        id: CLINIC_PANEL_GROUP,
        meta: { lastUpdated: new Date().toISOString() },
        type: 'person',
        actual: true,
        name: 'Clinic panel',
        quantity: members.length,
        member: members.map((id) => ({ entity: { reference: `Patient/${id}` } })),
      } as Resource;
    },
  };
}

/**
 * The `central` section of a workstation policy that points at this dev central: what IT would
 * write for the clinic's real services (the demo, the web host tests and the benchmark use it).
 */
export function workstationPolicyFor(
  central: Pick<Central, 'issuer' | 'fhirBaseUrl' | 'clientId' | 'apiScope' | 'rolesClaim'>,
) {
  return {
    fhirBaseUrl: central.fhirBaseUrl,
    issuer: central.issuer,
    clientId: central.clientId,
    scope: `openid profile fhirUser offline_access ${central.apiScope}`,
    roleClaim: central.rolesClaim,
    // Dev central listens on 127.0.0.1 without TLS.
    allowLoopbackHttp: true,
    roleMap: {
      physician: 'physician',
      nurse: 'nurse',
      frontDesk: 'frontDesk',
      privacyOfficer: 'privacyOfficer',
      itAdmin: 'itAdmin',
    },
  } as const;
}
