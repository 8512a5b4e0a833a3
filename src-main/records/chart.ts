import type { ChartSections } from '../../src-shared/chart/chart.ts';
import {
  ALLERGY_CLINICAL_SYSTEM,
  ALLERGY_VERIFICATION_SYSTEM,
  CONDITION_VERIFICATION_SYSTEM,
  isOnCentral,
  LOINC,
  type FhirResource,
} from '../../src-shared/fhir/index.ts';
import type { SyncMark } from '../../src-shared/sync/status.ts';
import type { Database } from '../vault/index.ts';
import { readPatientRecord } from './repository.ts';

/**
 * The chart's display rows, built from one patient's validated resources in the cache: the
 * renderer gets text to show, never FHIR to interpret. Sorted newest first where a date exists.
 */

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const asArray = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const asText = (value: unknown): string | null => (typeof value === 'string' && value.length > 0 ? value : null);

/** The text a person reads for a CodeableConcept: its text, else the first coding's display or code. */
function conceptText(value: unknown): string | null {
  const concept = asObject(value);
  if (!concept) return null;
  const text = asText(concept['text']);
  if (text) return text;
  for (const coding of asArray(concept['coding'])) {
    const c = asObject(coding);
    const shown = asText(c?.['display']) ?? asText(c?.['code']);
    if (shown) return shown;
  }
  return null;
}

function conceptCode(value: unknown, system: string): string | null {
  for (const coding of asArray(asObject(value)?.['coding'])) {
    const c = asObject(coding);
    if (c?.['system'] === system && typeof c['code'] === 'string') return c['code'];
  }
  return null;
}

function quantityText(value: unknown): string | null {
  const q = asObject(value);
  if (!q || typeof q['value'] !== 'number') return null;
  const unit = asText(q['unit']) ?? asText(q['code']);
  return unit ? `${q['value']} ${unit}` : String(q['value']);
}

function enteredInError(resource: Json): boolean {
  if (resource['status'] === 'entered-in-error' || resource['docStatus'] === 'entered-in-error') return true;
  const verification = resource['verificationStatus'];
  return (
    conceptCode(verification, CONDITION_VERIFICATION_SYSTEM) === 'entered-in-error' ||
    conceptCode(verification, ALLERGY_VERIFICATION_SYSTEM) === 'entered-in-error'
  );
}

const UCUM = 'http://unitsofmeasure.org';
const SYSTOLIC_LOINC = '8480-6';
const DIASTOLIC_LOINC = '8462-4';

/** One quantity as a number and its UCUM code (null when not coded in UCUM), or null when not numeric. */
function amountOf(value: unknown): { value: number; ucum: string | null } | null {
  const q = asObject(value);
  if (!q || typeof q['value'] !== 'number' || !Number.isFinite(q['value'])) return null;
  return { value: q['value'], ucum: q['system'] === UCUM ? asText(q['code']) : null };
}

/** The numbers of a reading: its value, or a blood pressure's systolic then diastolic component. */
function observationAmounts(observation: Json): { value: number; ucum: string | null }[] {
  const direct = amountOf(observation['valueQuantity']);
  if (direct) return [direct];
  const components = asArray(observation['component']).map(asObject);
  const part = (loinc: string) => {
    const found = components.find((c) => conceptCode(c?.['code'], LOINC) === loinc);
    return found ? amountOf(found['valueQuantity']) : null;
  };
  const systolic = part(SYSTOLIC_LOINC);
  const diastolic = part(DIASTOLIC_LOINC);
  return systolic && diastolic ? [systolic, diastolic] : [];
}

/** Blood pressure is a panel: systolic/diastolic from its components, in the first one's unit. */
function observationValue(observation: Json): string {
  const direct =
    quantityText(observation['valueQuantity']) ??
    asText(observation['valueString']) ??
    conceptText(observation['valueCodeableConcept']);
  if (direct) return direct;
  const parts = asArray(observation['component']).map((component) => asObject(asObject(component)?.['valueQuantity']));
  const values = parts.map((q) => (typeof q?.['value'] === 'number' ? String(q['value']) : null));
  if (values.length > 0 && values.every((v) => v !== null)) {
    const unit = asText(parts[0]?.['unit']);
    return `${values.join('/')}${unit ? ` ${unit}` : ''}`;
  }
  return 'No value';
}

/** What a note's text is: the first text/plain attachment, inline or kept on central by the pull. */
type NoteText = { text: string; onCentral: { title: string | null; size: number | null } | null };

function noteText(document: Json): NoteText {
  for (const content of asArray(document['content'])) {
    const attachment = asObject(asObject(content)?.['attachment']);
    const data = asText(attachment?.['data']);
    const type = asText(attachment?.['contentType']) ?? 'text/plain';
    if (!type.startsWith('text/plain')) continue;
    if (data) return { text: Buffer.from(data, 'base64').toString('utf8'), onCentral: null };
    if (isOnCentral(attachment)) {
      const size = attachment?.['size'];
      return {
        text: '',
        onCentral: { title: asText(attachment?.['title']), size: typeof size === 'number' ? size : null },
      };
    }
  }
  return { text: 'This note has no text this workstation can show.', onCentral: null };
}

/**
 * The text of a note as central holds it (chart.readNote): the first text/plain attachment with
 * data, which is the one the cache kept on central. Null when there is none.
 */
export function centralNoteText(document: Json): string | null {
  for (const content of asArray(document['content'])) {
    const attachment = asObject(asObject(content)?.['attachment']);
    const data = asText(attachment?.['data']);
    const type = asText(attachment?.['contentType']) ?? 'text/plain';
    if (data && type.startsWith('text/plain')) return Buffer.from(data, 'base64').toString('utf8');
  }
  return null;
}

/** One comment on an allergy (an R4 Annotation): its text, who wrote it (a name if there is one) and when. */
function annotationRow(value: unknown): { text: string; author: string | null; time: string | null } {
  const note = asObject(value);
  const reference = asObject(note?.['authorReference']);
  return {
    text: asText(note?.['text']) ?? '',
    author: asText(note?.['authorString']) ?? asText(reference?.['display']) ?? asText(reference?.['reference']),
    time: asText(note?.['time']),
  };
}

const newestFirst = <T extends { sortKey: string }>(rows: T[]): Omit<T, 'sortKey'>[] =>
  rows
    .sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0))
    .map(({ sortKey: _sortKey, ...row }) => row);

/**
 * `marks` holds the sync state of the patient's resources with a local change waiting ("type/id"
 * → pending or conflict, from the sync capability); every other row is synced.
 */
export function buildChart(
  record: ReadonlyMap<string, readonly FhirResource[]>,
  marks: ReadonlyMap<string, SyncMark> = new Map(),
): ChartSections {
  // A record central marked entered-in-error was never true of this patient: it leaves the chart
  // (it stays in the cache, as central keeps it, for the audit of what was shown when).
  const of = (type: string) =>
    ((record.get(type) ?? []) as unknown as Json[]).filter((resource) => !enteredInError(resource));
  const rowOf = (resource: Json) => {
    const id = String(resource['id']);
    return { id, sync: marks.get(`${String(resource['resourceType'])}/${id}`) ?? ('synced' as const) };
  };
  return {
    allergies: newestFirst(
      of('AllergyIntolerance').map((a) => ({
        ...rowOf(a),
        substance: conceptText(a['code']) ?? 'Unnamed allergy',
        criticality: asText(a['criticality']),
        status: conceptText(a['clinicalStatus']),
        statusCode: conceptCode(a['clinicalStatus'], ALLERGY_CLINICAL_SYSTEM),
        reaction: conceptText(asArray(asObject(asArray(a['reaction'])[0])?.['manifestation'])[0]),
        notes: asArray(a['note']).map(annotationRow),
        sortKey: asText(a['recordedDate']) ?? '',
      })),
    ),
    problems: newestFirst(
      of('Condition').map((c) => ({
        ...rowOf(c),
        problem: conceptText(c['code']) ?? 'Unnamed problem',
        status: conceptText(c['clinicalStatus']),
        onset: asText(c['onsetDateTime']),
        sortKey: asText(c['onsetDateTime']) ?? asText(c['recordedDate']) ?? '',
      })),
    ),
    medications: newestFirst(
      of('MedicationRequest').map((m) => ({
        ...rowOf(m),
        medication: conceptText(m['medicationCodeableConcept']) ?? 'Unnamed medication',
        status: asText(m['status']),
        dosage: asText(asObject(asArray(m['dosageInstruction'])[0])?.['text']),
        authoredOn: asText(m['authoredOn']),
        sortKey: asText(m['authoredOn']) ?? '',
      })),
    ),
    vitals: newestFirst(
      of('Observation').map((o) => ({
        ...rowOf(o),
        code: conceptCode(o['code'], LOINC),
        name: conceptText(o['code']) ?? 'Observation',
        value: observationValue(o),
        effective: asText(o['effectiveDateTime']),
        amounts: observationAmounts(o),
        sortKey: asText(o['effectiveDateTime']) ?? '',
      })),
    ),
    notes: newestFirst(
      of('DocumentReference').map((d) => ({
        ...rowOf(d),
        title: conceptText(d['type']) ?? 'Note',
        date: asText(d['date']),
        author: asText(asObject(asArray(d['author'])[0])?.['display']),
        ...noteText(d),
        sortKey: asText(d['date']) ?? '',
      })),
    ),
  };
}

export function readChart(db: Database, patientId: string, marks?: ReadonlyMap<string, SyncMark>): ChartSections {
  return buildChart(readPatientRecord(db, patientId), marks);
}

/** One record as a list of labelled values, for showing two versions side by side (sync conflicts). */
export interface RecordDescription {
  what: string;
  fields: { label: string; value: string | null }[];
}

export function describeRecord(resource: FhirResource): RecordDescription {
  const chart = buildChart(new Map([[resource.resourceType, [resource]]]));
  const [allergy] = chart.allergies;
  if (allergy) {
    return {
      what: `Allergy: ${allergy.substance}`,
      fields: [
        { label: 'Substance', value: allergy.substance },
        { label: 'Criticality', value: allergy.criticality },
        { label: 'Clinical status', value: allergy.status },
        { label: 'Reaction', value: allergy.reaction },
        {
          label: 'Comments',
          value: allergy.notes.length > 0 ? allergy.notes.map((note) => note.text).join('\n') : null,
        },
      ],
    };
  }
  const [problem] = chart.problems;
  if (problem)
    return {
      what: `Problem: ${problem.problem}`,
      fields: [
        { label: 'Problem', value: problem.problem },
        { label: 'Status', value: problem.status },
        { label: 'Onset', value: problem.onset },
      ],
    };
  const [medication] = chart.medications;
  if (medication) {
    return {
      what: `Medication: ${medication.medication}`,
      fields: [
        { label: 'Medication', value: medication.medication },
        { label: 'Status', value: medication.status },
        { label: 'Dosage', value: medication.dosage },
        { label: 'Authored', value: medication.authoredOn },
      ],
    };
  }
  const [vital] = chart.vitals;
  if (vital)
    return {
      what: `Vital sign: ${vital.name}`,
      fields: [
        { label: 'Value', value: vital.value },
        { label: 'Taken', value: vital.effective },
      ],
    };
  const [note] = chart.notes;
  if (note)
    return {
      what: `Note: ${note.title}`,
      fields: [
        { label: 'Title', value: note.title },
        { label: 'Date', value: note.date },
        { label: 'Text', value: note.onCentral ? 'Stored on central' : note.text },
      ],
    };
  if (enteredInError(resource as unknown as Json))
    return {
      what: `${resource.resourceType} entered in error`,
      fields: [{ label: 'Status', value: 'Entered in error' }],
    };
  return { what: resource.resourceType, fields: [] };
}
