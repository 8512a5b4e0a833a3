import type { Prepared, PreparedResource } from '../../src-shared/fhir/prepare.ts';
import type { PreparedPage } from './pages.ts';

/**
 * A validated page as it crosses from the page worker to the core's thread: the resources' JSON
 * as one string, their columns in flat arrays. Copying a page across threads as a few hundred
 * objects, and making them again on the other side, cost more than reading it; one string and
 * a few arrays are copied at once, and the resources are made again only as they are stored.
 * Imports stay type-only: the page worker loads this as Node strips types.
 */
export interface WirePage {
  /** The accepted resources' JSON, one after another. */
  json: string;
  /** Where each accepted resource's JSON ends in `json`. */
  ends: Uint32Array;
  /** Five a resource: type, id, versionId, lastUpdated, patientId. */
  columns: (string | null)[];
  /** Six a Patient: its index among the accepted, displayName, nameSearch, mrn, birthDate, gender. */
  patients: (string | number | null)[];
  rejected: Extract<Prepared, { ok: false }>[];
  newest: string | null;
  future: string[];
  centralNow: number | null;
}

export function toWire(page: PreparedPage): WirePage {
  const accepted = page.prepared.filter((outcome) => outcome.ok);
  const ends = new Uint32Array(accepted.length);
  const columns: (string | null)[] = [];
  const patients: (string | number | null)[] = [];
  let json = '';
  accepted.forEach(({ resource }, i) => {
    json += resource.json;
    ends[i] = json.length;
    columns.push(resource.type, resource.id, resource.versionId, resource.lastUpdated, resource.patientId);
    const p = resource.patient;
    if (p) patients.push(i, p.displayName, p.nameSearch, p.mrn, p.birthDate, p.gender);
  });
  return {
    json,
    ends,
    columns,
    patients,
    rejected: page.prepared.filter((outcome) => !outcome.ok),
    newest: page.newest,
    future: page.future,
    centralNow: page.centralNow,
  };
}

/** The page again: its accepted resources first (in their order), then the ones refused. */
export function fromWire(wire: WirePage): PreparedPage {
  const resources: PreparedResource[] = [];
  let start = 0;
  for (let i = 0; i < wire.ends.length; i++) {
    const end = wire.ends[i]!;
    const c = i * 5;
    resources.push({
      type: wire.columns[c]!,
      id: wire.columns[c + 1]!,
      versionId: wire.columns[c + 2] ?? null,
      lastUpdated: wire.columns[c + 3] ?? null,
      patientId: wire.columns[c + 4] ?? null,
      json: wire.json.slice(start, end),
      patient: null,
    });
    start = end;
  }
  for (let p = 0; p < wire.patients.length; p += 6) {
    const [index, displayName, nameSearch, mrn, birthDate, gender] = wire.patients.slice(p, p + 6);
    resources[index as number]!.patient = {
      displayName: displayName as string,
      nameSearch: nameSearch as string,
      mrn: mrn as string | null,
      birthDate: birthDate as string | null,
      gender: gender as string | null,
    };
  }
  return {
    prepared: [...resources.map((resource): Prepared => ({ ok: true, resource })), ...wire.rejected],
    newest: wire.newest,
    future: wire.future,
    centralNow: wire.centralNow,
  };
}
