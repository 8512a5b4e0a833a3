/**
 * Records: the clinic's FHIR resources in the cache. The repository (resources, patients, search;
 * resources validated by src-shared/fhir/prepare.ts before they are stored), the chart read from
 * it, care relationships, and the FHIR resources a clinician's entries become (edits.ts).
 */
export { recordsLargeTables, recordsMigrations, recordsSalvage } from './schema.ts';
export { readChart, describeRecord } from './chart.ts';
export { allergyEditOf, clinicalNote, editedAllergy, vitalSignObservations, type Author } from './edits.ts';
export { practitionerRelationships, type CareRelationship } from './relationships.ts';
export {
  deleteResource,
  patientNamesOf,
  readPatientSummary,
  readResource,
  searchPatients,
  storePrepared,
  storeResources,
  storedVersionOf,
} from './repository.ts';
