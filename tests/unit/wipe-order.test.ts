/**
 * Reading IT's wipe order from an untrusted central (src-shared/fleet/wipe-order.ts): only a Task
 * coded `wipe`, requested, an order, naming this workstation's Device exactly, counts; the rest
 * is refused (counted) or, when it is not a wipe at all, skipped.
 */
import { describe, expect, it } from 'vitest';
import {
  completedWipeTask,
  WIPE_CODE,
  wipeOrdersIn,
  WORKSTATION_COMMAND_SYSTEM,
  type WipeTask,
} from '../../src-shared/fleet/wipe-order.ts';

const ID = 'ws-0123456789abcdef';
const task = (overrides: Record<string, unknown> = {}) => ({
  resourceType: 'Task',
  id: 'wipe-1',
  meta: { versionId: 'v1' },
  status: 'requested',
  intent: 'order',
  code: { coding: [{ system: WORKSTATION_COMMAND_SYSTEM, code: WIPE_CODE }] },
  focus: { reference: `Device/${ID}` },
  ...overrides,
});
const bundle = (...resources: unknown[]) => ({
  resourceType: 'Bundle',
  entry: resources.map((resource) => ({ resource })),
});

describe('wipe orders from central', () => {
  it('takes the order naming this workstation exactly', () => {
    expect(wipeOrdersIn(bundle(task()), ID)).toEqual({
      order: expect.objectContaining({ id: 'wipe-1' }),
      refused: { malformed: 0, otherWorkstation: 0 },
    });
  });

  it('refuses another workstation, a near miss of this one, and malformed wipes; skips other Tasks', () => {
    const found = wipeOrdersIn(
      bundle(
        task({ focus: { reference: 'Device/ws-other' } }),
        task({ focus: { reference: `Device/${ID}x` } }),
        task({ focus: { reference: `https://central.example/fhir/Device/${ID}` } }),
        task({ id: 'not a valid id!' }),
        task({ status: 'completed' }),
        task({ intent: 'proposal' }),
        task({ focus: undefined }),
        task({ code: { coding: [{ system: 'https://elsewhere.example', code: WIPE_CODE }] } }),
        { resourceType: 'Patient', id: 'p1' },
        'garbage',
      ),
      ID,
    );
    expect(found.order).toBeNull();
    expect(found.refused).toEqual({ otherWorkstation: 3, malformed: 6 });
    expect(wipeOrdersIn({ resourceType: 'OperationOutcome' }, ID)).toEqual({
      order: null,
      refused: { malformed: 0, otherWorkstation: 0 },
    });
  });

  it('completes the order keeping what IT wrote, never dated before it was authored', () => {
    const order = task({ authoredOn: '2026-12-03T18:00:00.000Z', note: [{ text: 'lost' }] }) as WipeTask;
    const behind = Date.parse('2025-01-01T00:00:00Z');
    expect(completedWipeTask(order, behind, 3)).toMatchObject({
      status: 'completed',
      note: [{ text: 'lost' }],
      lastModified: '2026-12-03T18:00:00.000Z',
      output: [{ valueInteger: 3 }],
    });
    const later = Date.parse('2026-12-04T00:00:00Z');
    expect(completedWipeTask(order, later, 0)).toMatchObject({ lastModified: '2026-12-04T00:00:00.000Z' });
  });
});
