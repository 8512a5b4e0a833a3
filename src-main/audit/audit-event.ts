import type { AuditEntry } from './entry.ts';

/**
 * An audit entry as a FHIR R4 AuditEvent, after the IHE Basic Audit Log Patterns (BALP): RESTful
 * reads and searches as `rest` events, sign-in and sign-out as DICOM User Authentication, break-
 * glass start and stop as DICOM Security Alert / Emergency Override Started (110127) and Stopped
 * (110138), application start as DICOM Application Activity. The id is the entry's own UUID, so
 * sending the same entry twice (a retry) writes the same AuditEvent. No clinical content: who,
 * when, what, which patient, why.
 */

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
/** The workstation's own codes for what no standard code names (lock, unlock, PIN, review). */
export const WORKSTATION_AUDIT_SYSTEM = 'https://clinic.example/fhir/CodeSystem/workstation-audit';
export const WORKSTATION_USER_SYSTEM = 'urn:clinic-workstation:user';
export const WORKSTATION_ID_SYSTEM = 'urn:clinic-workstation:workstation';

type Coding = { system: string; code: string; display?: string };
type Shape = { type: Coding; subtype: Coding; action: 'C' | 'R' | 'U' | 'D' | 'E' };

const rest = (code: string): Coding => ({ system: RESTFUL, code });
const own = (code: string): Coding => ({ system: WORKSTATION_AUDIT_SYSTEM, code });
const TYPES = {
  rest: { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' },
  auth: { system: DCM, code: '110114', display: 'User Authentication' },
  alert: { system: DCM, code: '110113', display: 'Security Alert' },
  app: { system: DCM, code: '110100', display: 'Application Activity' },
  export: { system: DCM, code: '110106', display: 'Export' },
} satisfies Record<string, Coding>;

const SHAPES: Record<string, Shape> = {
  'patient.read': { type: TYPES.rest, subtype: rest('read'), action: 'R' },
  'patient.search': { type: TYPES.rest, subtype: rest('search-type'), action: 'E' },
  'patient.create': { type: TYPES.rest, subtype: rest('create'), action: 'C' },
  'patient.update': { type: TYPES.rest, subtype: rest('update'), action: 'U' },
  'access.denied': { type: TYPES.rest, subtype: rest('read'), action: 'R' },
  'audit.read': { type: TYPES.rest, subtype: rest('search-type'), action: 'E' },
  'session.signIn': { type: TYPES.auth, subtype: { system: DCM, code: '110122', display: 'Login' }, action: 'E' },
  'session.signInFailed': { type: TYPES.auth, subtype: { system: DCM, code: '110122', display: 'Login' }, action: 'E' },
  'session.end': { type: TYPES.auth, subtype: { system: DCM, code: '110123', display: 'Logout' }, action: 'E' },
  'session.lock': { type: TYPES.auth, subtype: own('lock'), action: 'E' },
  'session.unlock': { type: TYPES.auth, subtype: own('unlock'), action: 'E' },
  'session.unlockFailed': { type: TYPES.auth, subtype: own('unlock'), action: 'E' },
  'session.pinSet': { type: TYPES.auth, subtype: own('pin-set'), action: 'U' },
  'breakGlass.start': {
    type: TYPES.alert,
    subtype: { system: DCM, code: '110127', display: 'Emergency Override Started' },
    action: 'E',
  },
  'breakGlass.stop': {
    type: TYPES.alert,
    subtype: { system: DCM, code: '110138', display: 'Emergency Override Stopped' },
    action: 'E',
  },
  'breakGlass.denied': { type: TYPES.alert, subtype: own('emergency-override-denied'), action: 'E' },
  'breakGlass.alert': { type: TYPES.alert, subtype: own('emergency-override-threshold'), action: 'E' },
  'breakGlass.review': { type: TYPES.alert, subtype: own('emergency-override-reviewed'), action: 'U' },
  'workstation.start': {
    type: TYPES.app,
    subtype: { system: DCM, code: '110120', display: 'Application Start' },
    action: 'E',
  },
  'policy.load': { type: TYPES.app, subtype: own('policy-load'), action: 'R' },
  'workstation.enroll': { type: TYPES.app, subtype: own('enroll'), action: 'U' },
  'key.rotate': { type: TYPES.alert, subtype: own('key-rotate'), action: 'U' },
  'key.recover': { type: TYPES.alert, subtype: own('key-recover'), action: 'U' },
  'key.escrowRepaired': { type: TYPES.alert, subtype: own('escrow-repaired'), action: 'U' },
  'audit.export': { type: TYPES.export, subtype: own('audit-export'), action: 'R' },
  'sync.retryHeld': { type: TYPES.app, subtype: own('sync-retry-held'), action: 'U' },
  'audit.rollbackDetected': { type: TYPES.alert, subtype: own('audit-rollback-detected'), action: 'E' },
  'audit.rollbackAccepted': { type: TYPES.alert, subtype: own('audit-rollback-accepted'), action: 'U' },
};

const OUTCOMES = { success: '0', denied: '4', failure: '8' } as const;

export function toAuditEvent(entry: AuditEntry): Record<string, unknown> {
  const shape = SHAPES[entry.action] ?? { type: TYPES.app, subtype: own(entry.action), action: 'E' as const };
  const purpose = entry.purposeOfUse ? [{ coding: [{ system: ACT_REASON, code: entry.purposeOfUse }] }] : undefined;
  const device = {
    type: { coding: [{ system: DCM, code: '110150', display: 'Application' }] },
    who: { identifier: { system: WORKSTATION_ID_SYSTEM, value: entry.workstationId }, display: 'Clinic Workstation' },
    requestor: entry.userId === null,
  };
  const agents: Record<string, unknown>[] = [];
  if (entry.userId !== null) {
    agents.push({
      type: { coding: [{ system: DCM, code: '110153', display: 'Source Role ID' }] },
      who: { identifier: { system: WORKSTATION_USER_SYSTEM, value: entry.userId } },
      ...(entry.role ? { role: [{ text: entry.role }] } : {}),
      requestor: true,
      ...(purpose ? { purposeOfUse: purpose } : {}),
    });
  }
  agents.push(device);

  const entities: Record<string, unknown>[] = [];
  if (entry.patientId) {
    entities.push({
      what: { reference: `Patient/${entry.patientId}` },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  for (const reference of entry.resourceRefs)
    entities.push({ what: { reference }, type: { system: ENTITY_TYPE, code: '2', display: 'System Object' } });
  const details: { type: string; valueString: string }[] = [];
  if (entry.grantId) details.push({ type: 'break-glass-grant', valueString: entry.grantId });
  if (entry.justification) details.push({ type: 'justification', valueString: entry.justification });
  if (details.length > 0)
    entities.push({ type: { system: ENTITY_TYPE, code: '4', display: 'Other' }, detail: details });

  return {
    resourceType: 'AuditEvent',
    id: entry.id,
    type: shape.type,
    subtype: [shape.subtype],
    action: shape.action,
    recorded: new Date(entry.recordedAt).toISOString(),
    outcome: OUTCOMES[entry.outcome],
    ...(entry.detail ? { outcomeDesc: entry.detail } : {}),
    ...(purpose ? { purposeOfEvent: purpose } : {}),
    agent: agents,
    source: {
      observer: {
        identifier: { system: WORKSTATION_ID_SYSTEM, value: entry.workstationId },
        display: 'Clinic Workstation',
      },
      type: [{ system: SOURCE_TYPE, code: '4', display: 'Application Server' }],
    },
    ...(entities.length > 0 ? { entity: entities } : {}),
  };
}
