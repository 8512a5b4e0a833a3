import { z } from 'zod';

/**
 * IT's order to wipe one workstation (issue 15): a FHIR R4 Task at central, coded `wipe` in the
 * workstation-command CodeSystem, whose focus is the workstation's own Device, status
 * `requested`, intent `order`. A Task rather than a Device status: it names who ordered it and
 * when, central keeps its history, and the workstation marks it `completed` once it has wiped
 * itself, so IT sees the order was carried out. docs/it-guide.md shows the exact resource.
 *
 * Central is not trusted to send only good orders: everything a search returns is read here
 * through a strict schema, and only a Task that names this workstation's id exactly counts.
 */

export const WORKSTATION_COMMAND_SYSTEM = 'https://clinic.example/fhir/CodeSystem/workstation-command';
export const WIPE_CODE = 'wipe';
/** Task.output: how many changes not yet on central the wipe destroyed (IT must know). */
export const WIPE_OUTPUT_DESTROYED = 'unsynced-changes-destroyed';

/** A FHIR id (R4: 1-64 of A-Z a-z 0-9 - .). */
const FhirId = z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/);

const Coding = z.object({ system: z.string().optional(), code: z.string().optional() }).loose();

/** What the workstation reads of a wipe Task; loose so its completion keeps everything else. */
export const WipeTask = z
  .object({
    resourceType: z.literal('Task'),
    id: FhirId,
    meta: z.object({ versionId: FhirId.optional() }).loose().optional(),
    status: z.literal('requested'),
    intent: z.literal('order'),
    code: z.object({ coding: z.array(Coding).min(1) }).loose(),
    focus: z.object({ reference: z.string().max(200) }).loose(),
  })
  .loose();
export type WipeTask = z.infer<typeof WipeTask>;

/** The search that finds orders for one workstation (central filters; the schema decides). */
export function wipeOrderSearch(workstationId: string): string {
  const query = new URLSearchParams({
    focus: `Device/${workstationId}`,
    status: 'requested',
    _count: '20',
  });
  return `Task?${query.toString()}`;
}

export interface WipeOrders {
  /** The first valid order for this workstation, or null. */
  order: WipeTask | null;
  /** Entries refused, by reason (coded, never the content): malformed, other-workstation. */
  refused: { malformed: number; otherWorkstation: number };
}

const isWipeCoded = (coding: unknown): boolean =>
  Array.isArray(coding) &&
  coding.some(
    (c) =>
      typeof c === 'object' &&
      c !== null &&
      (c as { system?: unknown }).system === WORKSTATION_COMMAND_SYSTEM &&
      (c as { code?: unknown }).code === WIPE_CODE,
  );

/**
 * The wipe order for `workstationId` in a search answer (a searchset Bundle). A Task of another
 * kind (not coded `wipe`) is none of this workstation's business and is skipped silently; one
 * coded `wipe` that does not parse, or that names another workstation, is refused and counted.
 */
export function wipeOrdersIn(bundle: unknown, workstationId: string): WipeOrders {
  const refused = { malformed: 0, otherWorkstation: 0 };
  const entries =
    typeof bundle === 'object' && bundle !== null && Array.isArray((bundle as { entry?: unknown }).entry)
      ? ((bundle as { entry: unknown[] }).entry as unknown[])
      : [];
  let order: WipeTask | null = null;
  for (const entry of entries) {
    const resource = typeof entry === 'object' && entry !== null ? (entry as { resource?: unknown }).resource : null;
    if (typeof resource !== 'object' || resource === null) {
      refused.malformed += 1;
      continue;
    }
    const code = (resource as { code?: { coding?: unknown } }).code;
    if ((resource as { resourceType?: unknown }).resourceType === 'Task' && !isWipeCoded(code?.coding)) continue;
    const parsed = WipeTask.safeParse(resource);
    if (!parsed.success || !isWipeCoded(parsed.data.code.coding)) {
      refused.malformed += 1;
      continue;
    }
    if (parsed.data.focus.reference !== `Device/${workstationId}`) {
      refused.otherWorkstation += 1;
      continue;
    }
    order ??= parsed.data;
  }
  return { order, refused };
}

/**
 * The order as carried out: completed, with what it destroyed that central never had. Its
 * lastModified is never before authoredOn (R4's inv-1, which a server enforces): a workstation
 * whose clock is behind central's would otherwise have its completion refused.
 */
export function completedWipeTask(order: WipeTask, at: number, unsyncedDestroyed: number): Record<string, unknown> {
  const authoredOn = typeof order['authoredOn'] === 'string' ? Date.parse(order['authoredOn']) : NaN;
  return {
    ...order,
    status: 'completed',
    lastModified: new Date(Number.isFinite(authoredOn) ? Math.max(at, authoredOn) : at).toISOString(),
    output: [
      {
        type: { coding: [{ system: WORKSTATION_COMMAND_SYSTEM, code: WIPE_OUTPUT_DESTROYED }] },
        valueInteger: unsyncedDestroyed,
      },
    ],
  };
}
