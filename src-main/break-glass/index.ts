/** Break-glass: emergency access to one patient with a written reason, its end and its review. */
export { breakGlassMigrations } from './schema.ts';
export {
  createBreakGlass,
  type BreakGlass,
  type BreakGlassEvents,
  type EmergencyAccessView,
  type GrantEndReason,
} from './grants.ts';
export { createBreakGlassHandlers } from './handlers.ts';
export { unreviewedGrantCount } from './grant-store.ts';
