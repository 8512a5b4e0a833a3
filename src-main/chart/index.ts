/**
 * The clinician's chart channels: patient search, opening a chart under the access decision, and
 * the entries a clinician makes (vitals, notes, allergy edits), stored and queued for central.
 */
export { createChartHandlers } from './handlers.ts';
export { createChartsOnDemand, type ChartsOnDemand } from './on-demand.ts';
