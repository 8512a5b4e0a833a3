/**
 * Records: the clinic's FHIR resources in the cache. The repository (resources, patients, search;
 * resources validated by src-shared/fhir/prepare.ts before they are stored), the chart read from
 * it, care relationships, and the FHIR resources a clinician's entries become (edits.ts: new vitals and notes;
 * allergy-edit.ts: allergy edits that keep everything they do not change).
 */
export { recordsLargeTables, recordsMigrations, recordsSalvage } from './schema.ts';
export { readChart, describeRecord, centralNoteText } from './chart.ts';
export { clinicalNote, vitalSignObservations, type Author } from './edits.ts';
export { allergyEditOf, editedAllergy, mergedAllergy } from './allergy-edit.ts';
export { familyNamesOf } from './family-names.ts';
export { patientsCaredForBy, practitionerRelationships, type CareRelationship } from './relationships.ts';
export {
  deleteResource,
  patientNamesOf,
  readPatientSummary,
  readResource,
  searchPatients,
  storePrepared,
  storeResources,
  storedIdsOf,
  storedVersionOf,
} from './repository.ts';
export {
  CHART_VIEW_RESOLUTION_MS,
  forgetFormerMembers,
  keptInSync,
  lastChartViewOf,
  patientsPastRetention,
  recordChartView,
  recordScopeMembers,
  removePatientRecords,
} from './retention-store.ts';
export {
  onDemandStateOf,
  recordOnDemandFetch,
  storeFetchedRecords,
  type FetchedType,
  type OnDemandState,
} from './on-demand-store.ts';
