// The access-control capability: one decision (decision.ts, pure) and its lookup (authorize.ts).
export * from './decision.ts';
export * from './authorize.ts';
