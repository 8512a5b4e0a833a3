/**
 * Fleet status: the workstation's own record at central (a FHIR Device), updated after each sync
 * round, and what it last told central.
 */
export { fleetMigrations } from './schema.ts';
export { lastFleetReport, reportToCentral, startFleetReporting, type FleetReport } from './report.ts';
