// Types for floors.js (plain JS so that eslint.config.js can import it without a TypeScript loader).
export interface Floor {
  floor: number;
  name: string;
  members: readonly string[];
  membersImportEachOther?: boolean;
}

export interface Verdict {
  kind: 'unmapped' | 'upward' | 'same-floor' | 'deep';
  from: string;
  to: string;
  message: string;
}

export const FLOORS: readonly Floor[];
export const SAME_FLOOR_ALLOWED: ReadonlyArray<readonly [string, string]>;
export const WORKER_FILES: readonly string[];
export const SRC_MAIN_DIR: string;
export const FLOORS_FILE: string;
export function capabilityOf(rel: string): string | null;
export function floorOf(capability: string): number | null;
export function publicFaceOf(capability: string): string;
export function judgeFile(fromRel: string): Verdict | null;
export function judgeImport(fromRel: string, toRel: string): Verdict | null;
