/**
 * Chart channels: finding a patient, opening their chart and reading its clinical sections
 * (patients.*, chart.read), and the clinician's changes to it: vital signs, notes and allergy
 * edits, stored locally and queued for central (chart.record*, chart.write*, chart.edit*).
 */
import { z } from 'zod';
import { defineChannel } from '../define.ts';
import { ChartAccess, ChartSections, NOTE_TEXT_MAX } from '../../chart/chart.ts';
import { PrintSummary } from '../../chart/print.ts';
import { AllergyEdit, NoteEntry, TakenAt, VitalsEntry } from '../../chart/vitals.ts';
import { FhirId } from './common.ts';

export const PatientSummary = z.object({
  id: z.string(),
  name: z.string(),
  mrn: z.string().nullable(),
  birthDate: z.string().nullable(),
  gender: z.string().nullable(),
});
export type PatientSummary = z.infer<typeof PatientSummary>;

/**
 * A patient in a list (search results, "My patients", "Recent"): the summary, and whether their
 * chart would open restricted for this user (not on the care team, no emergency access). Said
 * before opening, so nobody opens a record by mistake to find out.
 */
export const PatientListItem = PatientSummary.extend({ restricted: z.boolean() });
export type PatientListItem = z.infer<typeof PatientListItem>;

/** How many patients "My patients" and "Recent" list at most. */
export const PANE_LIST_MAX = 50;

export const PatientSearchRequest = z
  .object({
    /** A name prefix, an MRN or a birth date (YYYY-MM-DD). */
    query: z.string().trim().min(1, 'Type at least one character').max(100, 'Search text is too long'),
    limit: z.number().int().min(1).max(200).default(50),
  })
  .strict();

const PatientRequest = z.object({ patientId: FhirId }).strict();

/**
 * A chart brought from central on demand (the patient is outside this workstation's cache scope,
 * so the sync rounds do not keep it current): when it was read from central (epoch ms; null for
 * a patient who left the scope, whose records the rounds brought), and whether it was read now
 * (false: central could not be reached, and this is the copy kept here).
 */
export const OnDemandChart = z.object({ fetchedAt: z.number().nullable(), current: z.boolean() }).strict();
export type OnDemandChart = z.infer<typeof OnDemandChart>;

/** How many patients a search of central brings at most (beyond those on this workstation). */
export const CENTRAL_SEARCH_MAX = 25;

/** Finding, opening and reading a chart. */
export const chartReadChannels = {
  'patients.search': defineChannel({
    request: PatientSearchRequest,
    response: z.object({ results: z.array(PatientListItem) }),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
  /**
   * Patients central finds for the same search who are not on this workstation (outside its cache
   * scope): "Not on this workstation". Online only (OFFLINE otherwise, or in a PIN-only session);
   * nothing is stored: a chart comes here only when it is opened (patients.open). Empty without
   * asking when cache.scope is "all" (every patient central holds is kept here).
   */
  'patients.searchCentral': defineChannel({
    request: PatientSearchRequest.pick({ query: true }).strict(),
    response: z.object({ results: z.array(PatientSummary).max(CENTRAL_SEARCH_MAX), more: z.boolean() }),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
  /**
   * The patient pane's lists: "My patients" (the user's care team: CareTeam, Encounter or general
   * practitioner) and "Recent" (the charts this user opened lately, newest first, kept by the main
   * process, never by the window).
   */
  'patients.pane': defineChannel({
    request: z.object({}).strict(),
    response: z.object({
      mine: z.array(PatientListItem).max(PANE_LIST_MAX),
      recent: z.array(PatientListItem).max(PANE_LIST_MAX),
    }),
    access: { kind: 'session', permission: 'patient.demographics.read' },
    phi: true,
  }),
  /**
   * Opening a patient: demographics, how much of the chart this user may see, and the clinical
   * sections when that is all of it (one request, one audit entry per chart open). A patient the
   * workstation does not keep is brought from central first, online (chart/on-demand.ts).
   */
  'patients.open': defineChannel({
    request: PatientRequest,
    response: z.object({
      patient: PatientSummary,
      access: ChartAccess,
      sections: ChartSections.nullable(),
      /** When the full chart comes from a break-glass grant: when that grant ends (epoch ms). */
      emergencyAccessUntil: z.number().nullable(),
      /** Brought from central on demand (read now or before); null when the sync rounds keep it. */
      onDemand: OnDemandChart.nullable(),
    }),
    access: {
      kind: 'session',
      permission: 'patient.demographics.read',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: true,
  }),
  /** The clinical sections alone (a refresh): care team (or break-glass) only. */
  'chart.read': defineChannel({
    request: PatientRequest,
    response: ChartSections,
    access: {
      kind: 'session',
      permission: 'patient.clinical.read',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: true,
  }),
  /**
   * The text of a note the cache keeps on central (larger than policy central.maxAttachmentKiB),
   * fetched from central now under the user's token; OFFLINE when central cannot be reached.
   * Authorized and audited like chart.read, as a read of that DocumentReference.
   */
  'chart.readNote': defineChannel({
    request: z.object({ patientId: FhirId, documentId: FhirId }).strict(),
    response: z.object({ text: z.string().max(NOTE_TEXT_MAX) }),
    access: {
      kind: 'session',
      permission: 'patient.clinical.read',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: true,
  }),
  /**
   * A chart summary to print: care team (or break-glass) only, like chart.read. Audited as a
   * print (chart.print, with the patient and the purpose of use) before the answer leaves the
   * main process, so nothing is shown for printing that is not in the trail.
   */
  'chart.printSummary': defineChannel({
    request: PatientRequest,
    response: PrintSummary,
    access: {
      kind: 'session',
      permission: 'patient.clinical.read',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: true,
  }),
} as const;

/** Writing to a chart. */
export const chartWriteChannels = {
  /**
   * Vital signs: one Observation per vital sign, stored locally and queued for central, at the time
   * they were taken (`takenAt`, within a day back and five minutes ahead of now; now when absent).
   */
  'chart.recordVitals': defineChannel({
    request: z.object({ patientId: FhirId, vitals: VitalsEntry, takenAt: TakenAt.optional() }).strict(),
    response: z.object({ recorded: z.number().int() }),
    access: {
      kind: 'session',
      permission: 'patient.clinical.write',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: false,
  }),
  /** A clinical note: a DocumentReference stored locally and queued for central. */
  'chart.writeNote': defineChannel({
    request: z.object({ patientId: FhirId, note: NoteEntry }).strict(),
    response: z.object({ id: z.string() }),
    access: {
      kind: 'session',
      permission: 'patient.clinical.write',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: false,
  }),
  /** A change to an allergy's criticality, clinical status or comment, based on the version shown. */
  'chart.editAllergy': defineChannel({
    request: z.object({ patientId: FhirId, allergyId: FhirId, edit: AllergyEdit }).strict(),
    response: z.object({}).strict(),
    access: {
      kind: 'session',
      permission: 'patient.clinical.write',
      patientOf: (request: { patientId: string }) => request.patientId,
    },
    phi: false,
  }),
} as const;

/** All of the chart's channels. */
export const chartChannels = { ...chartReadChannels, ...chartWriteChannels } as const;
