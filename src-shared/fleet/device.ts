/**
 * The workstation as central's fleet view sees it: a FHIR R4 Device whose id is the workstation's
 * own id (client-assigned, like its AuditEvents), with what IT needs to know about it and nothing
 * about anyone: the app's version, when it last reached central, the changes and audit entries
 * still waiting here (counts), and where its policy came from. Never a patient, a user or a name.
 */

/** Code system of the Device's properties (counts of what waits on the workstation). */
export const FLEET_PROPERTY_SYSTEM = 'https://clinic.example/fhir/CodeSystem/workstation-status';
/** Identifier system of workstation ids. */
export const WORKSTATION_ID_SYSTEM = 'https://clinic.example/fhir/workstation-id';
export const LAST_CONTACT_URL = 'https://clinic.example/fhir/StructureDefinition/workstation-last-contact';
export const POLICY_SOURCE_URL = 'https://clinic.example/fhir/StructureDefinition/workstation-policy-source';

export interface FleetFacts {
  appName: string;
  appVersion: string;
  /** Where the policy came from (a file path or registry key), or 'built-in defaults'. */
  policySource: string;
  /** Changes not yet on central (pending, held for IT, in conflict). */
  pendingChanges: number;
  /** Audit entries not yet shipped. */
  auditBacklog: number;
}

export interface WorkstationDevice {
  resourceType: 'Device';
  id: string;
  identifier: { system: string; value: string }[];
  status: 'active';
  deviceName: { name: string; type: 'user-friendly-name' }[];
  version: { value: string }[];
  property: {
    type: { coding: { system: string; code: string; display: string }[] };
    valueQuantity: { value: number }[];
  }[];
  extension: ({ url: string; valueDateTime: string } | { url: string; valueString: string })[];
}

const count = (code: string, display: string, value: number) => ({
  type: { coding: [{ system: FLEET_PROPERTY_SYSTEM, code, display }] },
  valueQuantity: [{ value }],
});

export function workstationDevice(workstationId: string, facts: FleetFacts, at: number): WorkstationDevice {
  return {
    resourceType: 'Device',
    id: workstationId,
    identifier: [{ system: WORKSTATION_ID_SYSTEM, value: workstationId }],
    status: 'active',
    deviceName: [{ name: `${facts.appName} ${workstationId}`, type: 'user-friendly-name' }],
    version: [{ value: facts.appVersion }],
    property: [
      count('pending-changes', 'Changes not yet on central', facts.pendingChanges),
      count('audit-backlog', 'Audit entries not yet shipped', facts.auditBacklog),
    ],
    extension: [
      { url: LAST_CONTACT_URL, valueDateTime: new Date(at).toISOString() },
      { url: POLICY_SOURCE_URL, valueString: facts.policySource.slice(0, 500) },
    ],
  };
}

/** What a Device says of its workstation, in a line (the fleet listing, `ws status`). */
export interface FleetLine {
  workstationId: string | null;
  appVersion: string | null;
  lastContact: string | null;
  pendingChanges: number | null;
  auditBacklog: number | null;
  policySource: string | null;
}

/** Read leniently: a Device at central may have been written by anyone. */
export function fleetLine(device: unknown): FleetLine {
  const d = (typeof device === 'object' && device !== null ? device : {}) as Record<string, unknown>;
  const list = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);
  const extension = (url: string) =>
    list<{ url?: unknown; valueDateTime?: unknown; valueString?: unknown }>(d['extension']).find((e) => e.url === url);
  const count = (code: string) => {
    const property = list<{ type?: { coding?: { system?: unknown; code?: unknown }[] }; valueQuantity?: unknown }>(
      d['property'],
    ).find((p) =>
      list<{ system?: unknown; code?: unknown }>(p.type?.coding).some(
        (c) => c.system === FLEET_PROPERTY_SYSTEM && c.code === code,
      ),
    );
    const value = list<{ value?: unknown }>(property?.valueQuantity)[0]?.value;
    return typeof value === 'number' ? value : null;
  };
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return {
    workstationId: text(d['id']),
    appVersion: text(list<{ value?: unknown }>(d['version'])[0]?.value),
    lastContact: text(extension(LAST_CONTACT_URL)?.valueDateTime),
    pendingChanges: count('pending-changes'),
    auditBacklog: count('audit-backlog'),
    policySource: text(extension(POLICY_SOURCE_URL)?.valueString),
  };
}
