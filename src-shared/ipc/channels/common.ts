/**
 * Small request schemas that channels of several capabilities share, defined once here so that
 * every capability file reads them from the same place.
 */
import { z } from 'zod';

/** An empty request: nothing may be sent, so nothing unexpected crosses the bridge. */
export const Empty = z.object({}).strict();

/** A FHIR resource id (R4: 1-64 of letters, digits, '-' and '.'). */
export const FhirId = z.string().regex(/^[A-Za-z0-9.-]{1,64}$/, 'Not a valid record id');
/** A PIN as typed: digits only. Length rules are policy's, checked in the main process. */
export const Pin = z.string().regex(/^[0-9]{4,12}$/, 'A PIN is 4 to 12 digits');
