// The floors of src-main, written once and read by both eslint.config.js (eslint-rules/architecture.js)
// and scripts/architecture/import-graph.ts, so the lint and the report always judge alike.
//
// A module may import from its own capability, or from a capability on a lower floor through that
// capability's public face (its index.ts; a single-file capability such as ports.ts is its own face).
// It never imports from a higher floor, and never from another capability on its own floor unless
// the pair is listed in SAME_FLOOR_ALLOWED (or the floor says its members may import each other).
// Worker-thread entry files (WORKER_FILES) are started by path and belong to their folder; they may
// import the single module they need from a lower floor.
import path from 'node:path';

/**
 * Lowest first. A member ending in `.ts` is a single file directly in src-main; any other member is
 * a folder of src-main.
 * @type {ReadonlyArray<{ floor: number, name: string, members: readonly string[], membersImportEachOther?: boolean }>}
 */
export const FLOORS = [
  { floor: 0, name: 'ground', members: ['base', 'ports.ts', 'log', 'net', 'static'], membersImportEachOther: true },
  { floor: 1, name: 'vault', members: ['vault'] },
  // policy, like the others here, may import nothing above floor 1.
  { floor: 2, name: 'stores and rules', members: ['audit', 'identity', 'lock', 'records', 'policy'] },
  { floor: 3, name: 'access and central contact', members: ['access', 'contact'] },
  { floor: 4, name: 'ipc router', members: ['ipc'] },
  { floor: 5, name: 'session', members: ['session'] },
  { floor: 6, name: 'break-glass, sync and alerts', members: ['break-glass', 'sync', 'alerts'] },
  { floor: 7, name: 'chart, drafts and fleet', members: ['chart', 'drafts', 'fleet'] },
  // The workstation as a whole: every capability's schema, its cache and trail, its two keys.
  {
    floor: 8,
    name: 'workstation',
    members: ['migrations.ts', 'workstation.ts', 'workstation-keys.ts', 'remote-wipe.ts', 'workstation-health.ts'],
  },
  { floor: 9, name: 'composition root', members: ['core.ts'] },
  { floor: 10, name: 'shells', members: ['cli', 'electron'] },
];

/**
 * The only imports allowed between two different capabilities of one floor, as [importer, imported].
 * @type {ReadonlyArray<readonly [string, string]>}
 */
export const SAME_FLOOR_ALLOWED = [
  ['electron', 'cli'],
  // The workstation opens its cache with the ordered schema list.
  ['workstation.ts', 'migrations.ts'],
  // A wiped workstation (the marker workstation-keys.ts keeps) opens only to say so.
  ['workstation.ts', 'workstation-keys.ts'],
  // A remote wipe closes the workstation, then erases its two keys.
  ['remote-wipe.ts', 'workstation.ts'],
  ['remote-wipe.ts', 'workstation-keys.ts'],
  // IT's status screen reads the open workstation's cache, trail and keys.
  ['workstation-health.ts', 'workstation.ts'],
];

/**
 * Worker-thread entry files, relative to src-main. A worker loads only what it runs (Node strips
 * its types; a public face would bring in the rest of a capability, native modules included), so
 * it may import the one module of a lower floor it needs. Floors still hold for it.
 * @type {ReadonlyArray<string>}
 */
export const WORKER_FILES = ['audit/verify-worker.ts', 'sync/page-worker.ts'];

/** The folder the floors describe (absolute), found from this file's place in the repository. */
export const SRC_MAIN_DIR = path.resolve(import.meta.dirname, '../../src-main');

/** Where the floors are written, for messages. */
export const FLOORS_FILE = 'scripts/architecture/floors.js';

/** @type {Map<string, { floor: number, name: string, membersImportEachOther: boolean }>} */
const floorOfMember = new Map(
  FLOORS.flatMap((f) =>
    f.members.map((m) => [m, { floor: f.floor, name: f.name, membersImportEachOther: !!f.membersImportEachOther }]),
  ),
);

/**
 * The capability a path belongs to: 'vault' for 'vault/sqlcipher.ts', 'ports.ts' for 'ports.ts'.
 * Null for a path outside src-main. A capability not on any floor is still returned (see floorOf).
 * @param {string} rel path relative to src-main, with '/' separators
 * @returns {string | null}
 */
export function capabilityOf(rel) {
  if (rel === '' || rel.startsWith('../') || rel === '..' || path.isAbsolute(rel)) return null;
  const [first] = rel.split('/');
  return first ?? null;
}

/**
 * @param {string} capability
 * @returns {number | null} the capability's floor, or null when it is on no floor
 */
export function floorOf(capability) {
  return floorOfMember.get(capability)?.floor ?? null;
}

/** @param {string} capability */
function isFileCapability(capability) {
  return capability.endsWith('.ts');
}

/**
 * The public face of a capability, relative to src-main: 'vault/index.ts', or 'ports.ts' itself.
 * @param {string} capability
 */
export function publicFaceOf(capability) {
  return isFileCapability(capability) ? capability : `${capability}/index.ts`;
}

/** @param {string} capability */
function label(capability) {
  const floor = floorOf(capability);
  return floor === null ? capability : `${capability} (floor ${floor})`;
}

/**
 * @typedef {{ kind: 'unmapped' | 'upward' | 'same-floor' | 'deep', from: string, to: string, message: string }} Verdict
 */

/**
 * Judges a file's own place: a file in src-main whose capability is on no floor.
 * @param {string} fromRel importer path relative to src-main
 * @returns {Verdict | null}
 */
export function judgeFile(fromRel) {
  const from = capabilityOf(fromRel);
  if (from === null || floorOf(from) !== null) return null;
  return {
    kind: 'unmapped',
    from,
    to: from,
    message: `src-main/${from} is on no floor: give it one in ${FLOORS_FILE} so its imports can be judged`,
  };
}

/**
 * Judges one import inside src-main. Null when it is allowed (or not judged: either end outside src-main,
 * or the importer itself on no floor, which judgeFile reports).
 * @param {string} fromRel importer path relative to src-main, '/' separators
 * @param {string} toRel imported path relative to src-main, '/' separators
 * @returns {Verdict | null}
 */
export function judgeImport(fromRel, toRel) {
  const from = capabilityOf(fromRel);
  const to = capabilityOf(toRel);
  if (from === null || to === null || from === to) return null;
  const fromFloor = floorOf(from);
  const toFloor = floorOf(to);
  if (fromFloor === null) return null;
  if (toFloor === null) {
    return {
      kind: 'unmapped',
      from,
      to,
      message: `${label(from)} imports src-main/${to}, which is on no floor: give it one in ${FLOORS_FILE}`,
    };
  }
  if (toFloor > fromFloor) {
    return {
      kind: 'upward',
      from,
      to,
      message: `${label(from)} may not import ${label(to)}: lower floors know nothing of higher ones`,
    };
  }
  if (toFloor === fromFloor) {
    const allowed =
      floorOfMember.get(from)?.membersImportEachOther || SAME_FLOOR_ALLOWED.some(([a, b]) => a === from && b === to);
    if (!allowed) {
      return {
        kind: 'same-floor',
        from,
        to,
        message: `${label(from)} may not import ${to}, which shares its floor: capabilities on one floor stay independent (move what both need down a floor)`,
      };
    }
  }
  const face = publicFaceOf(to);
  if (toRel !== face && !WORKER_FILES.includes(fromRel)) {
    return {
      kind: 'deep',
      from,
      to,
      message: `${from} may import ${to} only through its public face ${face}, not ${toRel}: the rest of a capability is its own business`,
    };
  }
  return null;
}
