import type { Resource } from '@medplum/fhirtypes';

/**
 * Dev central's index of resources by the patient they are about, so that the scoped pull's
 * searches (`<type>?patient=<100 ids>`, `Patient?_id=<100 ids>`, issue 15) find their candidates
 * without looking at every resource of the type: at a central of a million patients a scan per
 * page is seconds, an index lookup microseconds.
 *
 * What it answers is exactly what the scan it replaces gave, in the same order:
 * - the key is the resource's `subject.reference`, else its `patient.reference`, the exact
 *   string (the scan compared the same strings; Medplum's matching then decides as before);
 * - the order is the order of Medplum's resource map (what a scan visits): a resource new to the
 *   map gets the next position of its type and keeps it through updates (Map.set keeps a key's
 *   place); a delete frees it, and a later re-create comes last, as in the map. Every resource has
 *   a position, also one without a reference, which may gain one by an update.
 *
 * The repository tells it every write (CentralRepository: create, update, patch, conditional
 * create, delete, expunge, seed). It holds ids and numbers, never resources.
 */
export class PatientIndex {
  private readonly types = new Map<string, TypeIndex>();

  /** After a write: `before` is the stored version it replaced (undefined when new), `after` the one stored now. */
  written(before: Resource | undefined, after: Resource & { id: string }): void {
    const index = this.typeIndex(after.resourceType);
    if (!before) index.position.set(after.id, index.next++);
    const from = before ? patientReferenceOf(before) : undefined;
    const to = patientReferenceOf(after);
    if (from === to) return;
    if (from !== undefined) index.drop(from, after.id);
    if (to !== undefined) index.add(to, after.id);
  }

  /** After a resource left the store (deleted or expunged): `before` is the version it had. */
  removed(before: Resource & { id: string }): void {
    const index = this.types.get(before.resourceType);
    if (!index) return;
    index.position.delete(before.id);
    const from = patientReferenceOf(before);
    if (from !== undefined) index.drop(from, before.id);
  }

  clear(): void {
    this.types.clear();
  }

  /** The ids of the resources of this type whose patient reference is one of these, in the store's order. */
  idsFor(resourceType: string, references: Iterable<string>): string[] {
    const index = this.types.get(resourceType);
    if (!index) return [];
    const found: string[] = [];
    for (const reference of new Set(references)) {
      const ids = index.byReference.get(reference);
      if (ids) for (const id of ids) found.push(id);
    }
    return index.inStoreOrder(found);
  }

  /** These ids (duplicates once) of resources present in the store, in the store's order. */
  inStoreOrder(resourceType: string, ids: Iterable<string>): string[] {
    const index = this.types.get(resourceType);
    if (!index) return [];
    return index.inStoreOrder([...new Set(ids)].filter((id) => index.position.has(id)));
  }

  private typeIndex(resourceType: string): TypeIndex {
    let index = this.types.get(resourceType);
    if (!index) this.types.set(resourceType, (index = new TypeIndex()));
    return index;
  }
}

class TypeIndex {
  next = 0;
  /** id -> place in the store's order. */
  readonly position = new Map<string, number>();
  /** patient reference -> ids of the resources about them. */
  readonly byReference = new Map<string, Set<string>>();

  add(reference: string, id: string): void {
    let ids = this.byReference.get(reference);
    if (!ids) this.byReference.set(reference, (ids = new Set()));
    ids.add(id);
  }

  drop(reference: string, id: string): void {
    const ids = this.byReference.get(reference);
    if (!ids) return;
    ids.delete(id);
    if (ids.size === 0) this.byReference.delete(reference);
  }

  inStoreOrder(ids: string[]): string[] {
    const position = this.position;
    return ids.sort((a, b) => (position.get(a) as number) - (position.get(b) as number));
  }
}

/** The reference the index keys a resource by: its subject's, else its patient's (relative or not, as written). */
export function patientReferenceOf(resource: Resource): string | undefined {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  const reference = r.subject?.reference ?? r.patient?.reference;
  return typeof reference === 'string' ? reference : undefined;
}
