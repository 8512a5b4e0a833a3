import type { z } from 'zod';
import { Policy, type PolicyInput } from '../../src-shared/policy/schema.ts';

/**
 * The policy schema as a flat list of settings, named by their dotted path (`lock.idleSeconds`),
 * which is how the Windows registry and macOS managed preferences hold them (one value each,
 * src-shared/policy/locations.ts). Lists and maps travel as JSON text there.
 */
export type SettingKind = 'string' | 'number' | 'boolean' | 'json';
export interface Setting {
  name: string;
  kind: SettingKind;
  /** The schema's own description (`.meta({ description })`), shown on the settings screen. */
  description: string;
  /** What the schema gives when IT leaves it out; absent when it must be set (central's addresses). */
  default?: { value: unknown };
}

/** The field's own default, when it has one (a field that must be set has none). */
function defaultOf(schema: z.ZodType): { value: unknown } | undefined {
  const parsed = schema.safeParse(undefined);
  return parsed.success ? { value: parsed.data } : undefined;
}

/** The schema under its optional/default/refine wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema as z.ZodType & { def: { type: string; innerType?: z.ZodType; in?: z.ZodType } };
  for (;;) {
    const def = current.def;
    if (
      (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') &&
      def.innerType
    )
      current = def.innerType as typeof current;
    else if (def.type === 'pipe' && def.in) current = def.in as typeof current;
    else return current;
  }
}

function kindOf(schema: z.ZodType): SettingKind {
  const type = (unwrap(schema) as { def: { type: string } }).def.type;
  if (type === 'number' || type === 'int') return 'number';
  if (type === 'boolean') return 'boolean';
  if (type === 'string' || type === 'enum' || type === 'literal') return 'string';
  return 'json';
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | null {
  const inner = unwrap(schema) as { def: { type: string; shape?: Record<string, z.ZodType> } };
  return inner.def.type === 'object' && inner.def.shape ? inner.def.shape : null;
}

export const POLICY_SETTINGS: readonly Setting[] = Object.freeze(
  Object.entries(objectShape(Policy) ?? {}).flatMap(([section, sectionSchema]) =>
    Object.entries(objectShape(sectionSchema) ?? {}).map(([field, fieldSchema]) => ({
      name: `${section}.${field}`,
      kind: kindOf(fieldSchema),
      description: fieldSchema.description ?? '',
      ...(defaultOf(fieldSchema) ? { default: defaultOf(fieldSchema) } : {}),
    })),
  ),
);

const BY_NAME = new Map(POLICY_SETTINGS.map((setting) => [setting.name, setting]));

/** Thrown for a value that cannot even be read as its setting's kind; names the setting. */
export class SettingValueError extends Error {
  override readonly name = 'SettingValueError';
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Registry or managed-preference values (setting name -> value) as a policy object for the
 * schema. A name that is not a setting is kept as it is, so the schema refuses it by name.
 */
export function policyFromSettings(values: Readonly<Record<string, string | number | boolean>>): PolicyInput {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, raw] of Object.entries(values)) {
    const [section, field, ...rest] = name.split('.');
    if (!section || !field || rest.length > 0) {
      out[name] = {}; // not section.field: the schema refuses it by this name
      continue;
    }
    let value: unknown = raw;
    const setting = BY_NAME.get(name);
    if (setting?.kind === 'json') {
      if (typeof raw !== 'string') throw new SettingValueError(name, `${name}: must be JSON text.`);
      try {
        value = JSON.parse(raw);
      } catch {
        throw new SettingValueError(name, `${name}: is not valid JSON.`);
      }
    } else if (setting?.kind === 'boolean' && typeof raw === 'number') {
      value = raw !== 0; // a REG_DWORD 0/1
    }
    (out[section] ??= {})[field] = value;
  }
  return out as PolicyInput;
}
