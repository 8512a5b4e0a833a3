import type { ChartSections } from '../../src-shared/chart/chart.ts';
import type { FhirResource } from '../../src-shared/fhir/index.ts';
import type { Database } from '../vault/sqlcipher.ts';
import { readPatientRecord } from './repository.ts';

/**
 * The chart's display rows, built from one patient's validated resources in the cache: the
 * renderer gets text to show, never FHIR to interpret. Sorted newest first where a date exists.
 */

type Json = Record<string, unknown>;

const asObject = (value: unknown): Json | undefined => (typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined);
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

/** Blood pressure is a panel: systolic/diastolic from its components, in the first one's unit. */
function observationValue(observation: Json): string {
  const direct = quantityText(observation['valueQuantity']) ?? asText(observation['valueString']) ?? conceptText(observation['valueCodeableConcept']);
  if (direct) return direct;
  const parts = asArray(observation['component']).map((component) => asObject(asObject(component)?.['valueQuantity']));
  const values = parts.map((q) => (typeof q?.['value'] === 'number' ? String(q['value']) : null));
  if (values.length > 0 && values.every((v) => v !== null)) {
    const unit = asText(parts[0]?.['unit']);
    return `${values.join('/')}${unit ? ` ${unit}` : ''}`;
  }
  return 'No value';
}

function noteText(document: Json): string {
  for (const content of asArray(document['content'])) {
    const attachment = asObject(asObject(content)?.['attachment']);
    const data = asText(attachment?.['data']);
    const type = asText(attachment?.['contentType']) ?? 'text/plain';
    if (data && type.startsWith('text/plain')) return Buffer.from(data, 'base64').toString('utf8');
  }
  return 'This note has no text this workstation can show.';
}

const newestFirst = <T extends { sortKey: string }>(rows: T[]): Omit<T, 'sortKey'>[] =>
  rows.sort((a, b) => (a.sortKey < b.sortKey ? 1 : a.sortKey > b.sortKey ? -1 : 0)).map(({ sortKey: _sortKey, ...row }) => row);

const LOINC = 'http://loinc.org';

export function buildChart(record: ReadonlyMap<string, readonly FhirResource[]>): ChartSections {
  const of = (type: string) => (record.get(type) ?? []) as unknown as Json[];
  const id = (resource: Json) => String(resource['id']);
  return {
    allergies: newestFirst(
      of('AllergyIntolerance').map((a) => ({
        id: id(a),
        substance: conceptText(a['code']) ?? 'Unnamed allergy',
        criticality: asText(a['criticality']),
        status: conceptText(a['clinicalStatus']),
        reaction: conceptText(asArray(asObject(asArray(a['reaction'])[0])?.['manifestation'])[0]),
        sortKey: asText(a['recordedDate']) ?? '',
      })),
    ),
    problems: newestFirst(
      of('Condition').map((c) => ({
        id: id(c),
        problem: conceptText(c['code']) ?? 'Unnamed problem',
        status: conceptText(c['clinicalStatus']),
        onset: asText(c['onsetDateTime']),
        sortKey: asText(c['onsetDateTime']) ?? asText(c['recordedDate']) ?? '',
      })),
    ),
    medications: newestFirst(
      of('MedicationRequest').map((m) => ({
        id: id(m),
        medication: conceptText(m['medicationCodeableConcept']) ?? 'Unnamed medication',
        status: asText(m['status']),
        dosage: asText(asObject(asArray(m['dosageInstruction'])[0])?.['text']),
        authoredOn: asText(m['authoredOn']),
        sortKey: asText(m['authoredOn']) ?? '',
      })),
    ),
    vitals: newestFirst(
      of('Observation').map((o) => ({
        id: id(o),
        code: conceptCode(o['code'], LOINC),
        name: conceptText(o['code']) ?? 'Observation',
        value: observationValue(o),
        effective: asText(o['effectiveDateTime']),
        sortKey: asText(o['effectiveDateTime']) ?? '',
      })),
    ),
    notes: newestFirst(
      of('DocumentReference')
        .filter((d) => d['status'] !== 'entered-in-error')
        .map((d) => ({
          id: id(d),
          title: conceptText(d['type']) ?? 'Note',
          date: asText(d['date']),
          author: asText(asObject(asArray(d['author'])[0])?.['display']),
          text: noteText(d),
          sortKey: asText(d['date']) ?? '',
        })),
    ),
  };
}

export function readChart(db: Database, patientId: string): ChartSections {
  return buildChart(readPatientRecord(db, patientId));
}
