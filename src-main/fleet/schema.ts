import type { Migration } from '../vault/index.ts';

/**
 * What the workstation last told central about itself (schema version 11): the Device resource as
 * sent and when central took it, so `ws status` can say what the fleet view shows. One row.
 */
export const fleetSchemaV11 = `
CREATE TABLE fleet_report (
  one          INTEGER PRIMARY KEY CHECK (one = 1),
  reported_at  INTEGER NOT NULL,
  device_json  TEXT NOT NULL
) STRICT;
`;

export const fleetMigrations: readonly Migration[] = [
  { version: 11, name: 'fleet: what the workstation last told central about itself', sql: fleetSchemaV11 },
];
