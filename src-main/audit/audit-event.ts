import type { AuditEntry } from './entry.ts';

/**
 * An audit entry as a FHIR R4 AuditEvent, after IHE Basic Audit Log Patterns (BALP,
 * https://profiles.ihe.net/ITI/BALP/). No clinical content: who, when, what, which patient and
 * resources, why.
 *
 * - RESTful activity on records (read, create, update, search, and a refused read) follows BALP's
 *   Read / Create / Update / Query and their Patient* variants: a client agent (this workstation,
 *   with its host name as network address), a server agent (central's FHIR API, the system of
 *   record whose data the cache holds and to which changes go), the user agent, the patient
 *   entity (role 1) and the data entity (role 4, the resource read, created or updated) or, for a
 *   search, the query entity (role 24). BALP's Read has the client as DICOM Destination (110152)
 *   and the server as Source (110153), because data flows to the client; Create, Update and Query
 *   the other way round. The user agent carries BALP's participation code (IRCP for what is read
 *   or searched, AUT for what is written) and, as HL7's AuditEvent examples type a person,
 *   extra-security-role-type `humanuser`; BALP's slices match by pattern, so both codings conform.
 * - Sign-in and sign-out are DICOM User Authentication (110114) Login/Logout, break-glass start
 *   and stop DICOM Security Alert (110113) Emergency Override Started (110127) / Stopped (110138),
 *   application start DICOM Application Activity; there the workstation is the DICOM Application
 *   (110150) and the user the `humanuser`. BALP defines no pattern for these; they follow DICOM
 *   PS3.15 A.5 as BALP's BasicAuditEvent allows.
 * - Deviation from BALP Query (docs/it-guide.md): entity[query].query (the base64 search request,
 *   1..1 in BALP) is left out. The search text is a patient's name, MRN or birth date: PHI that
 *   the trail never stores and the central audit log must not receive. The entity says what kind
 *   of search it was instead.
 * - The id is the entry's own UUID: shipping writes the same AuditEvent however often it is sent.
 */

const DCM = 'http://dicom.nema.org/resources/ontology/DCM';
const EVENT_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-event-type';
const RESTFUL = 'http://hl7.org/fhir/restful-interaction';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const ENTITY_TYPE = 'http://terminology.hl7.org/CodeSystem/audit-entity-type';
const OBJECT_ROLE = 'http://terminology.hl7.org/CodeSystem/object-role';
const SOURCE_TYPE = 'http://terminology.hl7.org/CodeSystem/security-source-type';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
const SECURITY_ROLE = 'http://terminology.hl7.org/CodeSystem/extra-security-role-type';
const NETWORK_MACHINE_NAME = '1';
const NETWORK_URI = '5';
/** The workstation's own codes for what no standard code names (lock, unlock, PIN, review). */
export const WORKSTATION_AUDIT_SYSTEM = 'https://clinic.example/fhir/CodeSystem/workstation-audit';
export const WORKSTATION_USER_SYSTEM = 'urn:clinic-workstation:user';
export const WORKSTATION_ID_SYSTEM = 'urn:clinic-workstation:workstation';
/** RFC 3986: central is named by its FHIR base URL. */
const URI_SYSTEM = 'urn:ietf:rfc:3986';

/** Where the events are mapped: what the trail does not store because it is the same for all. */
export interface AuditEventContext {
  /** Central's FHIR base URL: the server agent of RESTful activity. */
  fhirBaseUrl?: string;
  /** The workstation's host name: the client agent's network address (BALP: as known by TCP). */
  hostName?: string;
}

interface Coding {
  system: string;
  code: string;
  display?: string;
}
type Interaction = 'read' | 'create' | 'update' | 'search-type';
type Shape =
  | { kind: 'rest'; interaction: Interaction; action: 'C' | 'R' | 'U' | 'E' }
  | { kind: 'other'; type: Coding; subtype: Coding; action: 'C' | 'R' | 'U' | 'D' | 'E' };

/** The parts of an R4 AuditEvent this mapping writes (checked against R4 by Medplum's validator in tests). */
export interface AuditEventResource {
  resourceType: 'AuditEvent';
  id: string;
  type: Coding;
  subtype: Coding[];
  action: string;
  recorded: string;
  outcome: string;
  outcomeDesc?: string;
  purposeOfEvent?: { coding: Coding[] }[];
  agent: Record<string, unknown>[];
  source: Record<string, unknown>;
  entity?: Record<string, unknown>[];
}

const own = (code: string): Coding => ({ system: WORKSTATION_AUDIT_SYSTEM, code });
const dcm = (code: string, display: string): Coding => ({ system: DCM, code, display });
const TYPES = {
  rest: { system: EVENT_TYPE, code: 'rest', display: 'Restful Operation' },
  auth: dcm('110114', 'User Authentication'),
  alert: dcm('110113', 'Security Alert'),
  app: dcm('110100', 'Application Activity'),
  export: dcm('110106', 'Export'),
  import: dcm('110107', 'Import'),
} satisfies Record<string, Coding>;
const other = (type: Coding, subtype: Coding, action: 'C' | 'R' | 'U' | 'D' | 'E'): Shape => ({
  kind: 'other',
  type,
  subtype,
  action,
});

const SHAPES: Record<string, Shape> = {
  'patient.read': { kind: 'rest', interaction: 'read', action: 'R' },
  'patient.search': { kind: 'rest', interaction: 'search-type', action: 'E' },
  'patient.create': { kind: 'rest', interaction: 'create', action: 'C' },
  'patient.update': { kind: 'rest', interaction: 'update', action: 'U' },
  // A refused read is still the read it was (FHIR's Access Denied: the same event, outcome 4).
  'access.denied': { kind: 'rest', interaction: 'read', action: 'R' },
  'audit.read': { kind: 'rest', interaction: 'search-type', action: 'E' },
  'session.signIn': other(TYPES.auth, dcm('110122', 'Login'), 'E'),
  'session.signInFailed': other(TYPES.auth, dcm('110122', 'Login'), 'E'),
  'session.end': other(TYPES.auth, dcm('110123', 'Logout'), 'E'),
  'session.lock': other(TYPES.auth, own('lock'), 'E'),
  'session.unlock': other(TYPES.auth, own('unlock'), 'E'),
  'session.unlockFailed': other(TYPES.auth, own('unlock'), 'E'),
  'session.pinSet': other(TYPES.auth, own('pin-set'), 'U'),
  'breakGlass.start': other(TYPES.alert, dcm('110127', 'Emergency Override Started'), 'E'),
  'breakGlass.stop': other(TYPES.alert, dcm('110138', 'Emergency Override Stopped'), 'E'),
  'breakGlass.denied': other(TYPES.alert, own('emergency-override-denied'), 'E'),
  'breakGlass.alert': other(TYPES.alert, own('emergency-override-threshold'), 'E'),
  'breakGlass.review': other(TYPES.alert, own('emergency-override-reviewed'), 'U'),
  'access.alert': other(TYPES.alert, own('unusual-access'), 'E'),
  'access.alertReview': other(TYPES.alert, own('unusual-access-reviewed'), 'U'),
  'workstation.start': other(TYPES.app, dcm('110120', 'Application Start'), 'E'),
  'policy.load': other(TYPES.app, own('policy-load'), 'R'),
  'workstation.enroll': other(TYPES.app, own('enroll'), 'U'),
  'workstation.remoteWipe': other(TYPES.alert, own('remote-wipe'), 'D'),
  // IT read the workstation's status screen (counts and settings, no patient).
  'workstation.statusRead': other(TYPES.app, own('status-read'), 'R'),
  // A chart summary shown for printing: PHI leaves the screen for paper (an export, BALP).
  'chart.print': other(TYPES.export, own('chart-print'), 'R'),
  'key.rotate': other(TYPES.alert, own('key-rotate'), 'U'),
  'key.recover': other(TYPES.alert, own('key-recover'), 'U'),
  'key.escrowRepaired': other(TYPES.alert, own('escrow-repaired'), 'U'),
  'audit.export': other(TYPES.export, own('audit-export'), 'R'),
  'audit.purge': other(TYPES.app, own('audit-purge'), 'D'),
  'sync.retryHeld': other(TYPES.app, own('sync-retry-held'), 'U'),
  // The privacy officer released or discarded a change its clinician may no longer decide.
  'sync.conflictDecision': other(TYPES.app, own('restricted-conflict-decision'), 'U'),
  'audit.retryRefused': other(TYPES.app, own('audit-retry-refused'), 'U'),
  'audit.rollbackDetected': other(TYPES.alert, own('audit-rollback-detected'), 'E'),
  'audit.rollbackAccepted': other(TYPES.alert, own('audit-rollback-accepted'), 'U'),
  // Drafts are the workstation's own, not FHIR resources: application activity about a patient.
  'draft.restore': other(TYPES.app, own('draft-restore'), 'R'),
  'draft.discard': other(TYPES.app, own('draft-discard'), 'D'),
  'draft.purge': other(TYPES.app, own('draft-purge'), 'D'),
  // Records of patients out of scope and past cache.retentionDays left the cache: counts only.
  'cache.retention': other(TYPES.app, own('cache-retention'), 'D'),
  // A chart brought from central on demand (outside the cache scope): PHI imported here (BALP's Import).
  'chart.fetch': other(TYPES.import, own('chart-fetch'), 'C'),
};

/** What each search is about, for the query entity (never the search text). */
const QUERY_OF: Readonly<Record<string, string>> = {
  'patient.search': 'Patient search by name, MRN or birth date (search text withheld)',
  'audit.read': 'AuditEvent search: break-glass review queue',
};

/** The words that open an outcome description; the entry's coded detail follows. */
const LABELS: Readonly<Record<string, string>> = {
  'workstation.start': 'application started, version',
  'workstation.enroll': 'workstation enrolled',
  'workstation.remoteWipe': 'remote wipe ordered by IT, carried out',
  'workstation.statusRead': 'workstation status read through',
  'chart.print': 'chart summary printed through',
  'policy.load': 'policy loaded from',
  'session.signIn': 'signed in with',
  'session.signInFailed': 'sign-in failed',
  'session.pinSet': 'PIN set',
  'session.lock': 'workstation locked',
  'session.unlock': 'unlocked with',
  'session.unlockFailed': 'unlock failed',
  'session.end': 'session ended',
  'patient.search': 'patients searched through',
  'patient.read': 'record read through',
  'patient.create': 'record created through',
  'patient.update': 'record updated through',
  'access.denied': 'access denied',
  'breakGlass.stop': 'emergency access ended',
  'breakGlass.denied': 'emergency access denied',
  'breakGlass.review': 'emergency access review',
  'breakGlass.alert': 'emergency access threshold reached',
  'access.alert': 'unusual access',
  'access.alertReview': 'unusual access alert reviewed',
  'key.rotate': 'key rotated',
  'key.recover': 'key recovered',
  'key.escrowRepaired': 'key escrow repaired',
  'audit.purge': 'audit entries removed after retention',
  'audit.read': 'audit trail read through',
  'audit.export': 'audit trail exported',
  'sync.retryHeld': 'held changes retried',
  'sync.conflictDecision': 'restricted sync conflict decided',
  'audit.retryRefused': 'audit entries refused by central sent again',
  'audit.rollbackDetected': 'audit trail rollback detected',
  'audit.rollbackAccepted': 'audit trail rollback accepted',
  'cache.retention': 'records removed after retention',
  'chart.fetch': 'chart brought from central on demand',
};

const OUTCOMES = { success: '0', denied: '4', failure: '8' } as const;

/** A readable outcome: `until:<epoch ms>` becomes an instant, codes keep their words. */
export function outcomeDescription(entry: Pick<AuditEntry, 'action' | 'detail'>): string | undefined {
  const { action, detail } = entry;
  if (action === 'breakGlass.start') {
    const until = /^until:(\d+)$/.exec(detail ?? '');
    if (!until) return 'emergency access started';
    return `emergency access until ${new Date(Number(until[1])).toISOString().replace(/\.000Z$/, 'Z')}`;
  }
  const label = LABELS[action];
  if (!label) return detail ?? undefined;
  return detail ? `${label}${/ (with|from|through|version)$/.test(label) ? ' ' : ': '}${detail}` : label;
}

export function toAuditEvent(entry: AuditEntry, context: AuditEventContext = {}): AuditEventResource {
  const shape = SHAPES[entry.action] ?? other(TYPES.app, own(entry.action), 'E');
  const rest = shape.kind === 'rest' ? shape : null;
  const purpose = entry.purposeOfUse ? [{ coding: [{ system: ACT_REASON, code: entry.purposeOfUse }] }] : undefined;
  const workstation = { system: WORKSTATION_ID_SYSTEM, value: entry.workstationId };
  const read = rest?.action === 'R';
  const writes = rest?.action === 'C' || rest?.action === 'U';

  const agents: Record<string, unknown>[] = [];
  if (entry.userId !== null) {
    const participation = rest
      ? writes
        ? [{ system: PARTICIPATION, code: 'AUT', display: 'author (originator)' }]
        : [{ system: PARTICIPATION, code: 'IRCP', display: 'information recipient' }]
      : [];
    agents.push({
      type: { coding: [...participation, { system: SECURITY_ROLE, code: 'humanuser', display: 'human user' }] },
      who: { identifier: { system: WORKSTATION_USER_SYSTEM, value: entry.userId } },
      ...(entry.role ? { role: [{ text: entry.role }] } : {}),
      requestor: true,
      ...(purpose ? { purposeOfUse: purpose } : {}),
    });
  }
  // The workstation: BALP's client in RESTful activity, DICOM's Application otherwise.
  const clientRole = rest ? (read ? dcm('110152', 'Destination Role ID') : dcm('110153', 'Source Role ID')) : null;
  agents.push({
    type: { coding: [...(clientRole ? [clientRole] : []), dcm('110150', 'Application')] },
    who: { identifier: workstation, display: 'Clinic Workstation' },
    requestor: entry.userId === null,
    ...(context.hostName ? { network: { address: context.hostName, type: NETWORK_MACHINE_NAME } } : {}),
  });
  if (rest) {
    agents.push({
      type: { coding: [read ? dcm('110153', 'Source Role ID') : dcm('110152', 'Destination Role ID')] },
      who: {
        ...(context.fhirBaseUrl ? { identifier: { system: URI_SYSTEM, value: context.fhirBaseUrl } } : {}),
        display: 'Central FHIR API',
      },
      requestor: false,
      ...(context.fhirBaseUrl ? { network: { address: context.fhirBaseUrl, type: NETWORK_URI } } : {}),
    });
  }

  const entities: Record<string, unknown>[] = [];
  if (entry.patientId) {
    entities.push({
      what: { reference: `Patient/${entry.patientId}` },
      type: { system: ENTITY_TYPE, code: '1', display: 'Person' },
      role: { system: OBJECT_ROLE, code: '1', display: 'Patient' },
    });
  }
  if (rest?.interaction === 'search-type') {
    entities.push({
      type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
      role: { system: OBJECT_ROLE, code: '24', display: 'Query' },
      description: QUERY_OF[entry.action] ?? 'search (search text withheld)',
    });
  } else {
    // The data read, created or updated; a chart read is of the patient's record as a whole.
    const data =
      entry.resourceRefs.length > 0
        ? entry.resourceRefs
        : entry.patientId && rest
          ? [`Patient/${entry.patientId}`]
          : [];
    for (const reference of data) {
      entities.push({
        what: { reference },
        type: { system: ENTITY_TYPE, code: '2', display: 'System Object' },
        role: { system: OBJECT_ROLE, code: '4', display: 'Domain Resource' },
      });
    }
  }
  const details: { type: string; valueString: string }[] = [];
  if (entry.grantId) details.push({ type: 'break-glass-grant', valueString: entry.grantId });
  // The person's reason for emergency access: the privacy officer's review needs it, and the
  // product ships it since break-glass was built (PRODUCT.md, capability 5). It never goes into
  // outcomeDesc, which SIEMs index and show.
  if (entry.justification) details.push({ type: 'justification', valueString: entry.justification });
  if (details.length > 0)
    entities.push({ type: { system: ENTITY_TYPE, code: '4', display: 'Other' }, detail: details });

  const outcomeDesc = outcomeDescription(entry);
  return {
    resourceType: 'AuditEvent',
    id: entry.id,
    type: rest ? TYPES.rest : (shape as Extract<Shape, { kind: 'other' }>).type,
    subtype: [
      rest ? { system: RESTFUL, code: rest.interaction } : (shape as Extract<Shape, { kind: 'other' }>).subtype,
    ],
    action: shape.action,
    recorded: new Date(entry.recordedAt).toISOString(),
    outcome: OUTCOMES[entry.outcome],
    ...(outcomeDesc ? { outcomeDesc } : {}),
    ...(purpose ? { purposeOfEvent: purpose } : {}),
    agent: agents,
    source: {
      observer: { identifier: workstation, display: 'Clinic Workstation' },
      // security-source-type 1 "User Device" ("end-user display device, diagnostic device"):
      // the desktop where clinicians view and record care, not a server (4 "Application
      // Server" is what central is) nor a web server (3).
      type: [{ system: SOURCE_TYPE, code: '1', display: 'User Device' }],
    },
    ...(entities.length > 0 ? { entity: entities } : {}),
  };
}
