/**
 * Property test of access control as a window meets it: generated sessions (every role, with the
 * practitioner of any clinic member, an unknown one or none, locked or not, or nobody) send
 * generated requests (search, open a patient, read a chart; patients of the clinic or unknown)
 * through the real router and the real record handlers over a real vault holding a synthetic
 * clinic. The oracle reads the clinic's FHIR resources directly (CareTeam members, Encounter
 * participants, general practitioners, through PractitionerRoles too) and PRODUCT.md's rules:
 * no answer outside those rules may carry PHI, and every answer inside them must be given.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateResources } from '../../dev/synthetic/clinic.ts';
import { authorizeSession } from '../../src-main/access/authorize.ts';
import { createRouter, type Handlers, type Session } from '../../src-main/ipc/router.ts';
import { createMemoryLogger } from '../../src-main/log/logger.ts';
import { createChartHandlers } from '../../src-main/chart/handlers.ts';
import { bulkStoreResources } from '../../src-main/records/repository.ts';
import type { Vault } from '../../src-main/vault/vault.ts';
import { Role } from '../../src-shared/access/roles.ts';
import { openTempVault } from '../support/vault-fixture.ts';

const CLINIC = { seed: 42, patients: 40 };
type Json = Record<string, unknown>;

let vault: Vault;
let close: () => Promise<void>;
let route: (channel: unknown, request: unknown) => Promise<{ ok: boolean; data?: unknown; error?: { code: string } }>;
let session: Session | null = null;
const resources = [...generateResources(CLINIC)] as Json[];

// ---- The oracle, from the FHIR resources themselves ------------------------------------------------
const refId = (value: unknown, type: string): string | null => {
  const ref = (value as { reference?: unknown } | undefined)?.reference;
  return typeof ref === 'string' && ref.startsWith(`${type}/`) ? ref.slice(type.length + 1) : null;
};
const practitionerOfRole = new Map(
  resources
    .filter((r) => r.resourceType === 'PractitionerRole')
    .map((r) => [String(r.id), refId(r.practitioner, 'Practitioner')]),
);
const practitionerOf = (value: unknown): string | null =>
  refId(value, 'Practitioner') ?? practitionerOfRole.get(refId(value, 'PractitionerRole') ?? '') ?? null;
const patientIds = resources.filter((r) => r.resourceType === 'Patient').map((r) => String(r.id));
const practitionerIds = resources.filter((r) => r.resourceType === 'Practitioner').map((r) => String(r.id));
/** "practitioner|patient" for every care relationship PRODUCT.md capability 4 names. */
const related = new Set<string>();
for (const r of resources) {
  const patient = refId(r.subject, 'Patient');
  if (r.resourceType === 'CareTeam' && patient && (r.status ?? 'active') === 'active') {
    for (const p of (r.participant as Json[] | undefined) ?? []) related.add(`${practitionerOf(p.member)}|${patient}`);
  }
  if (r.resourceType === 'Encounter' && patient && r.status !== 'entered-in-error' && r.status !== 'cancelled') {
    for (const p of (r.participant as Json[] | undefined) ?? [])
      related.add(`${practitionerOf(p.individual)}|${patient}`);
  }
  if (r.resourceType === 'Patient') {
    for (const gp of (r.generalPractitioner as Json[] | undefined) ?? [])
      related.add(`${practitionerOf(gp)}|${String(r.id)}`);
  }
}
const clinical = (role: string) => role === 'physician' || role === 'nurse';
const onCareTeam = (s: Session, patientId: string) =>
  s.practitionerId !== null && related.has(`${s.practitionerId}|${patientId}`);

beforeAll(async () => {
  ({ vault, close } = await openTempVault({ prefix: 'clinic-access-props-' }));
  bulkStoreResources(vault.db, [resources]);
  const notUsed = () => {
    throw new Error('not part of this test');
  };
  const handlers = {
    ...Object.fromEntries(
      [
        'workstation.status',
        'session.status',
        'session.signIn',
        'session.cancelSignIn',
        'session.signInOffline',
        'session.setPin',
        'session.unlock',
        'session.lock',
        'session.end',
        'session.activity',
      ].map((c) => [c, notUsed]),
    ),
    ...createChartHandlers({
      db: () => vault.db,
      activeGrants: () => [],
      displayNameOf: () => 'Test user',
      clock: { now: () => Date.now() },
      changed: () => undefined,
    }),
  } as Handlers;
  route = createRouter({
    handlers,
    currentSession: () => session,
    authorize: (s, action, patientId) => authorizeSession(vault.db, s, action, patientId, []),
    logger: createMemoryLogger(),
  }) as typeof route;
  // The clinic must give the property something to find on both sides of the rule.
  expect(related.size).toBeGreaterThan(20);
  expect(patientIds.length * practitionerIds.length).toBeGreaterThan(related.size * 2);
});
afterAll(() => close?.());

const sessionArb: fc.Arbitrary<Session | null> = fc.option(
  fc.record({
    userId: fc.constantFrom('u1', 'u2'),
    role: fc.constantFrom(...Role.options),
    practitionerId: fc.oneof(fc.constantFrom(...practitionerIds), fc.constant(null), fc.constant('prac-unknown')),
    locked: fc.boolean(),
  }),
  { freq: 8 },
);
const patientArb = fc.oneof(
  { weight: 9, arbitrary: fc.constantFrom(...patientIds) },
  { weight: 1, arbitrary: fc.constant('pat-missing') },
);
const requestArb = fc.oneof(
  patientArb.map((patientId) => ({ channel: 'chart.read', request: { patientId } })),
  patientArb.map((patientId) => ({ channel: 'patients.open', request: { patientId } })),
  fc.constantFrom('a', 'Ze', '19', 'MRN').map((query) => ({ channel: 'patients.search', request: { query } })),
);

describe('access control through the router, over a real vault', () => {
  it('no request outside the rules returns PHI, and every request inside them is answered', async () => {
    await fc.assert(
      fc.asyncProperty(sessionArb, requestArb, async (s, { channel, request }) => {
        session = s;
        const result = await route(channel, request);
        const patientId = (request as { patientId?: string }).patientId;
        if (s === null || s.locked || s.role === 'privacyOfficer' || s.role === 'itAdmin') {
          expect(result.ok).toBe(false);
          expect(result).not.toHaveProperty('data');
          return;
        }
        if (channel === 'chart.read') {
          const allowed = clinical(s.role) && onCareTeam(s, patientId!);
          expect(result.ok).toBe(allowed);
          if (!allowed) expect(result.error?.code).toBe('FORBIDDEN');
        } else if (channel === 'patients.open') {
          if (patientId === 'pat-missing') {
            expect(result.error?.code).toBe('NOT_FOUND');
            return;
          }
          expect(result.ok).toBe(true);
          const expected = !clinical(s.role) ? 'demographicsOnly' : onCareTeam(s, patientId!) ? 'full' : 'restricted';
          expect((result.data as { access: string }).access).toBe(expected);
          // Demographics only: the answer has the summary fields and nothing clinical.
          expect(Object.keys((result.data as { patient: object }).patient).sort()).toEqual([
            'birthDate',
            'gender',
            'id',
            'mrn',
            'name',
          ]);
        } else {
          expect(result.ok).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });
});
