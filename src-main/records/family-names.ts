import type { Database } from '../vault/index.ts';
import { readResource } from './repository.ts';

/**
 * The family names of a stored Patient or Practitioner, folded for comparison (case, accents and
 * spacing do not count), for the unusual access alert that compares a user's family name with a
 * patient's. The names never leave the core: callers compare them and keep only the answer.
 */
export function familyNamesOf(db: Database, type: 'Patient' | 'Practitioner', id: string): Set<string> {
  const resource = readResource(db, type, id) as { name?: { family?: unknown; use?: unknown }[] } | null;
  const names = new Set<string>();
  for (const name of resource?.name ?? []) {
    if (typeof name.family !== 'string' || name.use === 'old') continue;
    const folded = foldName(name.family);
    if (folded.length > 0) names.add(folded);
  }
  return names;
}

/** "  Müller-Lüdenscheidt " and "muller-ludenscheidt" are one name. */
export function foldName(name: string): string {
  return name.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase('en').replace(/\s+/g, ' ').trim();
}
