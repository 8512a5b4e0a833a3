/**
 * Fleet status: the workstation's own record at central (a FHIR Device), updated after each sync
 * round, and what it last told central; IT's wipe order for it there, found and marked done.
 */
export { fleetMigrations } from './schema.ts';
export { completeWipeOrder, findWipeOrder } from './wipe-order.ts';
export { lastFleetReport, reportToCentral, startFleetReporting, type FleetReport } from './report.ts';
