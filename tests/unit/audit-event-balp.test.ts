/**
 * Every kind of audit entry the app appends, as the AuditEvent central receives: valid FHIR R4 by
 * Medplum's StructureDefinition validator, and shaped after IHE Basic Audit Log Patterns (BALP):
 * RESTful reads, creates, updates and searches with the client (this workstation), the server
 * (central) and the user agents and the data, patient or query entities BALP names; the other
 * events with the user typed as a human user and the workstation as the application; the
 * workstation as the source (a user device); outcome descriptions a person can read; nothing of
 * a search text or a name.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { validateResource } from '@medplum/core';
import type { AuditEvent } from '@medplum/fhirtypes';
import { beforeAll, describe, expect, it } from 'vitest';
import { indexFhirDefinitions } from '../../dev/central/definitions.ts';
import { toAuditEvent } from '../../src-main/audit/audit-event.ts';
import { AUDIT_ACTIONS, type AuditEntry } from '../../src-main/audit/entry.ts';

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const SECURITY_ROLE = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';

const context = { fhirBaseUrl: 'https://fhir.clinic.example/R4', hostName: 'ward3-ws07' };
const GRANT = '6f1c1c2e-7d5e-4a53-9d1e-2f0c3a4b5c6d';
const JUSTIFICATION = 'Unconscious on arrival, allergy history needed';
const at = Date.parse('2026-12-03T13:00:00Z');

/** One entry per action as the app appends it (the fields each capability fills in). */
const SAMPLES: Record<(typeof AUDIT_ACTIONS)[number], Partial<AuditEntry>> = {
  'workstation.start': { userId: null, role: null, detail: 'started' },
  'workstation.enroll': { userId: null, role: 'itAdmin', detail: 'enrolled' },
  'policy.load': { userId: null, role: null, detail: 'loaded' },
  'session.signIn': { detail: 'provider' },
  'session.signInFailed': { outcome: 'failure', detail: 'pin-mismatch' },
  'session.pinSet': { detail: 'pin' },
  'session.lock': { detail: 'idle' },
  'session.unlock': { detail: 'pin' },
  'session.unlockFailed': { outcome: 'failure', detail: 'pin-mismatch' },
  'session.end': { detail: 'switch-user' },
  'patient.search': { purposeOfUse: 'TREAT', detail: 'patients.search' },
  'patient.read': {
    patientId: 'pat-000001',
    resourceRefs: ['Patient/pat-000001'],
    purposeOfUse: 'TREAT',
    detail: 'chart.read',
  },
  'patient.create': {
    patientId: 'pat-000001',
    resourceRefs: ['Observation/obs-1', 'Observation/obs-2'],
    purposeOfUse: 'TREAT',
    detail: 'chart.recordVitals',
  },
  'patient.update': {
    patientId: 'pat-000001',
    resourceRefs: ['AllergyIntolerance/alg-1'],
    purposeOfUse: 'TREAT',
    detail: 'chart.editAllergy',
  },
  'access.denied': { outcome: 'denied', patientId: 'pat-000002', detail: 'chart.read:not-on-care-team' },
  'breakGlass.start': {
    patientId: 'pat-000002',
    purposeOfUse: 'ETREAT',
    grantId: GRANT,
    detail: `until:${at + 3_600_000}`,
    justification: JUSTIFICATION,
  },
  'breakGlass.stop': { patientId: 'pat-000002', purposeOfUse: 'ETREAT', grantId: GRANT, detail: 'expired' },
  'breakGlass.denied': { outcome: 'denied', patientId: 'pat-000002', detail: 'pin-mismatch' },
  'breakGlass.review': { role: 'privacyOfficer', grantId: GRANT, patientId: 'pat-000002', detail: 'reviewed' },
  'breakGlass.alert': { grantId: GRANT, detail: 'threshold:3' },
  'access.alert': { patientId: 'pat-000002', detail: 'family-name' },
  'access.alertReview': {
    role: 'privacyOfficer',
    resourceRefs: ['AuditEvent/0b6c0001-1d2e-4f3a-8b4c-5d6e7f8a9b0c'],
    detail: 'family-name:reviewed',
  },
  'key.rotate': { userId: null, role: 'itAdmin', detail: 'cache-key' },
  'key.recover': { userId: null, role: 'itAdmin', detail: 'cache-key' },
  'audit.purge': { userId: null, role: null, detail: 'through:120' },
  'audit.read': { role: 'privacyOfficer', purposeOfUse: 'HOPERAT', detail: 'breakGlass.reviewQueue' },
  'audit.export': { userId: null, role: 'itAdmin', detail: '12-entries' },
  'sync.retryHeld': { detail: 'retry' },
  'sync.conflictDecision': {
    role: 'privacyOfficer',
    patientId: 'pat-000002',
    resourceRefs: ['AllergyIntolerance/alg-1'],
    purposeOfUse: 'HOPERAT',
    detail: 'released',
  },
  'audit.retryRefused': { detail: '2' },
  'audit.rollbackDetected': { userId: null, role: null, detail: 'anchor:120' },
  'audit.rollbackAccepted': { userId: null, role: 'itAdmin', detail: 'anchor:120' },
  'key.escrowRepaired': { userId: null, role: null, detail: 'audit' },
  'workstation.remoteWipe': { userId: null, role: null, detail: 'task:wipe-1:unsynced-0' },
  'draft.restore': { patientId: 'pat-000001', purposeOfUse: 'TREAT', detail: 'drafts.mine' },
  'draft.discard': { patientId: 'pat-000001', detail: 'note' },
  'draft.purge': { role: null, detail: 'expired:2' },
  'workstation.statusRead': { role: 'itAdmin', purposeOfUse: 'HOPERAT', detail: 'workstation.health' },
  'chart.print': {
    patientId: 'pat-000001',
    resourceRefs: ['Patient/pat-000001'],
    purposeOfUse: 'TREAT',
    detail: 'chart.printSummary',
  },
  'cache.retention': {
    userId: null,
    role: null,
    detail: 'patients-removed:2;resources-removed:40;patients-kept-unsynced:1',
  },
  'chart.fetch': {
    role: 'physician',
    patientId: 'pat-000001',
    detail: 'part:clinical;stored:12;removed:0;refused:0',
  },
};

function entry(action: string, seq: number): AuditEntry {
  return {
    seq,
    id: `0b6c${String(seq).padStart(4, '0')}-1d2e-4f3a-8b4c-5d6e7f8a9b0c`,
    recordedAt: at,
    userId: 'nurse1',
    role: 'nurse',
    workstationId: 'ws-0123456789abcdef0123456789abcdef',
    action,
    outcome: 'success',
    patientId: null,
    resourceRefs: [],
    purposeOfUse: null,
    grantId: null,
    detail: null,
    justification: null,
    ...SAMPLES[action as keyof typeof SAMPLES],
  };
}

const codes = (concept: { coding?: { system?: string; code?: string }[] } | undefined) =>
  (concept?.coding ?? []).map((c) => `${c.system}|${c.code}`);
const agentTyped = (event: AuditEvent, system: string, code: string) =>
  event.agent.filter((a) => codes(a.type).includes(`${system}|${code}`));
const REST = new Set([
  'patient.read',
  'patient.search',
  'patient.create',
  'patient.update',
  'access.denied',
  'audit.read',
]);

beforeAll(() => indexFhirDefinitions());

describe('AuditEvents after IHE BALP', () => {
  const events = AUDIT_ACTIONS.map((action, i) => ({
    action,
    entry: entry(action, i + 1),
    event: toAuditEvent(entry(action, i + 1), context) as unknown as AuditEvent,
  }));

  it('every action the app appends is one of the mapped actions', () => {
    // Literal actions in src-main (the session's come from its own typed list, `session.${action}`).
    const literals = new Set<string>();
    const walk = (dir: string): void => {
      for (const name of readdirSync(dir)) {
        const file = path.join(dir, name);
        if (statSync(file).isDirectory()) walk(file);
        else if (file.endsWith('.ts'))
          for (const m of readFileSync(file, 'utf8').matchAll(/action: '([a-z]+\.[a-zA-Z.]+)'/g)) literals.add(m[1]!);
      }
    };
    walk(path.resolve(import.meta.dirname, '../../src-main'));
    const permissions = new Set(['patient.clinical.read', 'patient.demographics.read']); // access actions, not audit
    for (const action of literals) if (!permissions.has(action)) expect(AUDIT_ACTIONS).toContain(action);
  });

  it('the validator is the real one: it refuses an AuditEvent without its required elements', () => {
    const { recorded: _recorded, ...missing } = events[0]!.event;
    expect(() => validateResource(missing as AuditEvent)).toThrow();
  });

  it.each(events.map((e) => [e.action, e] as const))('%s is valid FHIR R4 (Medplum validator)', (_action, e) => {
    expect(() => validateResource(e.event)).not.toThrow();
  });

  it.each(events.map((e) => [e.action, e] as const))(
    '%s: the workstation as source and application, the user as a human user',
    (action, { entry: source, event }) => {
      const ws = { system: 'urn:clinic-workstation:workstation', value: source.workstationId };
      expect(event.source.observer).toMatchObject({ identifier: ws });
      // A desktop workstation clinicians use: security-source-type 1 "User Device".
      expect(event.source.type?.map((t) => `${t.system}|${t.code}`)).toEqual([`${SOURCE_TYPE}|1`]);
      const app = event.agent.filter((a) => a.who?.identifier?.value === source.workstationId);
      expect(app).toHaveLength(1);
      if (!REST.has(action)) expect(codes(app[0]!.type)).toContain(`${DCM}|110150`);
      const users = event.agent.filter((a) => a.who?.identifier?.system === 'urn:clinic-workstation:user');
      if (source.userId === null) {
        expect(users).toHaveLength(0);
        expect(app[0]!.requestor).toBe(true);
      } else {
        expect(users).toHaveLength(1);
        expect(codes(users[0]!.type)).toContain(`${SECURITY_ROLE}|humanuser`);
        expect(codes(users[0]!.type)).not.toContain(`${DCM}|110153`);
        expect(users[0]).toMatchObject({ requestor: true, who: { identifier: { value: source.userId } } });
      }
      // Readable: no raw epoch milliseconds, no justification text outside its own detail.
      expect(event.outcomeDesc ?? '').not.toMatch(/\d{12,}/);
      expect(event.outcomeDesc ?? '').not.toContain(JUSTIFICATION);
      expect(JSON.stringify({ ...event, entity: undefined })).not.toContain(JUSTIFICATION);
    },
  );

  it.each(events.filter((e) => REST.has(e.action)).map((e) => [e.action, e] as const))(
    '%s: BALP RESTful activity (client, server, user, data/patient/query entities)',
    (action, { entry: source, event }) => {
      expect(event.type).toMatchObject({
        system: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
        code: 'rest',
      });
      const read = event.action === 'R';
      // BALP Read: client is the Destination (110152), server the Source (110153); Create, Update
      // and Query the other way round.
      const [clientCode, serverCode] = read ? ['110152', '110153'] : ['110153', '110152'];
      const clients = agentTyped(event, DCM, clientCode);
      const servers = agentTyped(event, DCM, serverCode);
      expect(clients).toHaveLength(1);
      expect(clients[0]).toMatchObject({ who: { identifier: { value: source.workstationId } } });
      expect(clients[0]!.network?.address).toBe(context.hostName);
      expect(servers).toHaveLength(1);
      expect(servers[0]!.network?.address).toBe(context.fhirBaseUrl);
      expect(servers[0]!.who).toBeDefined();
      const user = event.agent.find((a) => a.who?.identifier?.system === 'urn:clinic-workstation:user')!;
      const userCode = event.action === 'C' || event.action === 'U' ? 'AUT' : 'IRCP';
      expect(codes(user.type)).toContain(`${PARTICIPATION}|${userCode}`);
      expect(user.network).toBeUndefined();

      const entities = event.entity ?? [];
      const patients = entities.filter((e) => e.role?.code === '1');
      if (source.patientId) {
        expect(patients).toEqual([
          expect.objectContaining({
            what: { reference: `Patient/${source.patientId}` },
            type: expect.objectContaining({ system: ENTITY_TYPE, code: '1' }),
            role: expect.objectContaining({ system: OBJECT_ROLE, code: '1' }),
          }),
        ]);
      }
      if (event.subtype?.[0]?.code === 'search-type') {
        const queries = entities.filter((e) => e.role?.system === OBJECT_ROLE && e.role.code === '24');
        expect(queries).toHaveLength(1);
        expect(queries[0]!.type).toMatchObject({ system: ENTITY_TYPE, code: '2' });
        // Deviation from BALP (documented): the search text is PHI and is never sent.
        expect(queries[0]!.query).toBeUndefined();
        expect(queries[0]!.what).toBeUndefined();
      } else {
        const data = entities.filter((e) => e.role?.system === OBJECT_ROLE && e.role.code === '4');
        const expected = source.resourceRefs.length > 0 ? source.resourceRefs : [`Patient/${source.patientId}`];
        expect(data.map((d) => d.what?.reference)).toEqual(expected);
        for (const d of data) expect(d.type).toMatchObject({ system: ENTITY_TYPE, code: '2' });
      }
      if (source.outcome === 'success') expect(event.outcome).toBe('0');
    },
  );

  it('break-glass start and stop: Security Alert, Emergency Override Started/Stopped, a readable outcome', () => {
    const start = events.find((e) => e.action === 'breakGlass.start')!.event;
    expect(start).toMatchObject({
      type: { system: DCM, code: '110113' },
      subtype: [{ system: DCM, code: '110127' }],
      purposeOfEvent: [{ coding: [{ code: 'ETREAT' }] }],
      outcomeDesc: `emergency access until ${new Date(at + 3_600_000).toISOString().replace('.000Z', 'Z')}`,
    });
    expect(start.entity).toEqual(
      expect.arrayContaining([expect.objectContaining({ what: { reference: 'Patient/pat-000002' } })]),
    );
    const stop = events.find((e) => e.action === 'breakGlass.stop')!.event;
    expect(stop).toMatchObject({ subtype: [{ code: '110138' }], outcomeDesc: 'emergency access ended: expired' });
  });

  it('sign-in and sign-out: DICOM User Authentication, Login and Logout', () => {
    const byAction = Object.fromEntries(events.map((e) => [e.action, e.event]));
    expect(byAction['session.signIn']).toMatchObject({ type: { code: '110114' }, subtype: [{ code: '110122' }] });
    expect(byAction['session.signInFailed']).toMatchObject({ subtype: [{ code: '110122' }], outcome: '8' });
    expect(byAction['session.end']).toMatchObject({ type: { code: '110114' }, subtype: [{ code: '110123' }] });
  });
});
