// FHIR R4 schemas, types and helpers of the resources the workstation stores.
// Primitive schemas have short names (`date`, `code`, `id`), so they come namespaced.
export * as fhirPrimitives from './primitives.ts';
export * from './datatypes.ts';
export * from './codes.ts';
export * from './resources.ts';
export * from './helpers.ts';
export * from './attachments.ts';
