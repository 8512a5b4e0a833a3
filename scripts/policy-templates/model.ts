/**
 * The managed policy schema as a flat list of settings for people: one entry per leaf setting
 * (`lock.idleSeconds`), with its description, type, default and limits, read from the schema's
 * JSON Schema (zod's `z.toJSONSchema`, input side, so defaults are what IT may leave out). The
 * Group Policy template, the sample policy and the IT guide's reference are all rendered from it,
 * so none of them can drift from what the app accepts.
 */
import { z } from 'zod';

/** The parts of JSON Schema (draft 2020-12) that zod emits for the policy schema. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  propertyNames?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
}

/**
 * How a setting is held where the OS keeps policy as name/value pairs (locations.ts): numbers as
 * DWORD, booleans as DWORD 0/1, text as REG_SZ, lists and maps as JSON text in REG_SZ.
 */
export type SettingType = 'integer' | 'boolean' | 'string' | 'enum' | 'json';

export interface SectionDoc {
  /** The schema key: `lock`. */
  key: string;
  title: string;
  explain: string;
  /** The whole section may be left out (it has no default): `central`. */
  optional: boolean;
  settings: SettingDoc[];
}

export interface SettingDoc {
  /** Dotted path: `lock.idleSeconds`; the registry value name and the managed-preference key. */
  name: string;
  section: string;
  field: string;
  /** An ADMX-safe identifier (letters, digits, underscore): `lock_idleSeconds`. */
  id: string;
  /** Short words for a person: `Idle seconds`. */
  title: string;
  description: string;
  type: SettingType;
  /** Needed whenever its section is present (no default). */
  required: boolean;
  hasDefault: boolean;
  defaultValue: unknown;
  /** Seconds, minutes, hours or days, from the setting's name. */
  unit: string | null;
  /** For URLs: the schemes the schema accepts, safest first (`https`, `http`). */
  urlSchemes: string[] | null;
  /** The setting's own JSON Schema (input side). */
  schema: JsonSchema;
}

/**
 * Words for each section. A section the schema gains must be named here: the generator stops
 * (and the unit test fails) rather than publish a category without a title.
 */
export const SECTION_TEXT: Readonly<Record<string, { title: string; explain: string }>> = {
  central: {
    title: 'Central services',
    explain:
      "The clinic's identity provider and central FHIR R4 API. Absent until IT enrolls the workstation: then nobody can sign in, and the sign-in screen says so. Once any central setting is set, the required ones must all be set.",
  },
  vault: { title: 'Encrypted cache key', explain: 'Escrow of the encrypted local cache key for IT recovery.' },
  identity: { title: 'Sign-in and PIN', explain: 'Sign-in and PIN rules.' },
  lock: { title: 'Screen lock', explain: 'Automatic logoff: the idle lock and its warning.' },
  breakGlass: {
    title: 'Emergency access (break-glass)',
    explain: "Emergency access to a patient outside the user's care team.",
  },
  audit: { title: 'Audit trail', explain: 'The local audit trail.' },
  alerts: {
    title: 'Unusual access alerts',
    explain:
      "What the privacy officer is alerted to: many charts opened in a short time, repeated failed sign-ins or PINs, a patient sharing the user's family name. Each alert is in the privacy officer's queue and goes to central as a security alert AuditEvent.",
  },
  drafts: {
    title: 'Unsaved drafts',
    explain:
      "Unsaved notes, vitals and allergy edits, kept encrypted in the cache for their author across a lock and offered back after unlock or the same user's next sign-in.",
  },
  cache: { title: 'Local cache', explain: 'The local cache of records.' },
  updates: { title: 'Application updates', explain: "Application updates, only from IT's feed." },
};

const ACRONYMS: Readonly<Record<string, string>> = {
  pem: 'PEM',
  url: 'URL',
  fhir: 'FHIR',
  tls: 'TLS',
  http: 'HTTP',
  id: 'ID',
  pin: 'PIN',
};

/** `recoveryPublicKeyPem` -> `Recovery public key PEM`. */
export function humanize(field: string): string {
  const words = field
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(' ')
    .map((word) => word.toLowerCase());
  return words
    .map((word, index) => ACRONYMS[word] ?? (index === 0 ? word.charAt(0).toUpperCase() + word.slice(1) : word))
    .join(' ');
}

function unitOf(field: string): string | null {
  const match = /(Seconds|Minutes|Hours|Days)$/.exec(field);
  return match ? match[1]!.toLowerCase() : null;
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  format?: string;
  protocol?: RegExp;
};

/** The schema under its optional/default/prefault wrappers. */
function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = current.def as unknown as Def;
    if (
      (def.type === 'optional' || def.type === 'default' || def.type === 'prefault' || def.type === 'nullable') &&
      def.innerType
    )
      current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/**
 * The URL schemes a `z.url({ protocol })` field accepts. JSON Schema keeps only `format: uri`, so
 * this one fact is read from the zod schema itself.
 */
function urlSchemesOf(schema: z.ZodType): string[] | null {
  const def = unwrap(schema).def as unknown as Def;
  if (def.type !== 'string' || def.format !== 'url') return null;
  if (!def.protocol) return ['any'];
  return ['https', 'http', 'file', 'ftp'].filter((scheme) => def.protocol!.test(scheme));
}

function typeOf(schema: JsonSchema, name: string): SettingType {
  const type = Array.isArray(schema.type) ? undefined : schema.type;
  if (type === 'integer') return 'integer';
  if (type === 'number')
    throw new Error(`${name}: a non-integer number cannot be a REG_DWORD; make it an integer or teach the generator.`);
  if (type === 'boolean') return 'boolean';
  if (type === 'string') return schema.enum ? 'enum' : 'string';
  if (type === 'array' || type === 'object') return 'json';
  throw new Error(
    `${name}: a setting of JSON Schema type ${JSON.stringify(schema.type)} has no registry form; teach the generator.`,
  );
}

/** Every section and leaf setting of a Policy-shaped schema (an object of section objects). */
export function policyModel(policy: z.ZodType): SectionDoc[] {
  const json = z.toJSONSchema(policy, { io: 'input' }) as JsonSchema;
  const policyShape = (unwrap(policy).def as unknown as Def).shape;
  if (!json.properties || !policyShape) throw new Error('The policy schema must be an object of sections.');
  return Object.entries(json.properties).map(([key, sectionJson]) => {
    const text = SECTION_TEXT[key];
    if (!text)
      throw new Error(
        `Policy section "${key}" has no title: add it to SECTION_TEXT in scripts/policy-templates/model.ts.`,
      );
    const sectionShape = (unwrap(policyShape[key]!).def as unknown as Def).shape;
    if (!sectionJson.properties || !sectionShape)
      throw new Error(`Policy section "${key}" must be an object of settings.`);
    const required = new Set(sectionJson.required ?? []);
    const settings = Object.entries(sectionJson.properties).map(([field, schema]): SettingDoc => {
      const name = `${key}.${field}`;
      if (!schema.description)
        throw new Error(`${name} has no description: add .meta({ description }) to it in src-shared/policy/schema.ts.`);
      return {
        name,
        section: key,
        field,
        id: `${key}_${field}`.replace(/[^A-Za-z0-9_]/g, '_'),
        title: humanize(field),
        description: schema.description,
        type: typeOf(schema, name),
        required: required.has(field),
        hasDefault: 'default' in schema,
        defaultValue: schema.default,
        unit: unitOf(field),
        urlSchemes: urlSchemesOf(sectionShape[field]!),
        schema,
      };
    });
    return {
      key,
      title: text.title,
      explain: text.explain,
      optional: !(json.required ?? []).includes(key) && !('default' in sectionJson),
      settings,
    };
  });
}

export function allSettings(model: readonly SectionDoc[]): SettingDoc[] {
  return model.flatMap((section) => section.settings);
}

/** How a few words are set: plain for Group Policy text, code spans for Markdown. */
export interface Format {
  code(text: string): string;
}
export const PLAIN: Format = { code: (text) => text };

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function range(min: number | undefined, max: number | undefined, unit: string | null, fmt: Format): string {
  const u = unit ? ` ${unit}` : '';
  if (min !== undefined && max !== undefined) return `${fmt.code(String(min))} to ${fmt.code(String(max))}${u}`;
  if (min !== undefined) return `at least ${fmt.code(String(min))}${u}`;
  if (max !== undefined) return `at most ${fmt.code(String(max))}${u}`;
  return `any${u}`;
}

function lengthRange(min: number | undefined, max: number | undefined, what: string): string | null {
  if (min !== undefined && max !== undefined)
    return min === max ? `exactly ${plural(min, what)}` : `${min} to ${max} ${what}s`;
  if (min !== undefined && min > 0) return `at least ${plural(min, what)}`;
  if (max !== undefined) return `at most ${plural(max, what)}`;
  return null;
}

/** What values a schema allows, in words: `30 to 3600 seconds`, `at most 10 items, each ...`. */
export function allowedValues(
  schema: JsonSchema,
  fmt: Format,
  unit: string | null = null,
  urlSchemes: string[] | null = null,
): string {
  if (schema.enum) return `one of ${schema.enum.map((value) => fmt.code(String(value))).join(', ')}`;
  if (schema.const !== undefined) return `exactly ${fmt.code(JSON.stringify(schema.const))}`;
  const variants = schema.anyOf ?? schema.oneOf;
  if (variants) return variants.map((variant) => allowedValues(variant, fmt)).join(', or ');
  switch (schema.type) {
    case 'integer':
    case 'number':
      return range(schema.minimum, schema.maximum, unit, fmt);
    case 'boolean':
      return `${fmt.code('true')} or ${fmt.code('false')}`;
    case 'string': {
      const parts: string[] = [];
      if (urlSchemes) parts.push(`${urlSchemes.join(' or ')} URL`);
      if (schema.pattern) parts.push(`matching ${fmt.code(schema.pattern)}`);
      const length = lengthRange(schema.minLength, schema.maxLength, 'character');
      if (length) parts.push(length);
      return parts.length > 0 ? parts.join(', ') : 'any text';
    }
    case 'array': {
      const count = lengthRange(schema.minItems, schema.maxItems, 'item') ?? 'any number of items';
      return schema.items ? `a list of ${count}, each ${allowedValues(schema.items, fmt)}` : `a list of ${count}`;
    }
    case 'object': {
      if (schema.properties) {
        const required = new Set(schema.required ?? []);
        const fields = Object.entries(schema.properties).map(
          ([key, value]) => `${fmt.code(key)}${required.has(key) ? '' : ' (optional)'}: ${allowedValues(value, fmt)}`,
        );
        return `an object with ${fields.join('; ')}`;
      }
      const keys = schema.propertyNames ? allowedValues(schema.propertyNames, fmt) : 'any text';
      const values =
        typeof schema.additionalProperties === 'object' ? allowedValues(schema.additionalProperties, fmt) : 'any value';
      return `a map from text (${keys}) to ${values}`;
    }
    default:
      return 'see the schema';
  }
}

/** The kind of value, for a person: `integer (seconds)`, `URL`, `map (JSON)`. */
export function typeLabel(setting: SettingDoc): string {
  switch (setting.type) {
    case 'integer':
      return setting.unit ? `integer (${setting.unit})` : 'integer';
    case 'boolean':
      return 'boolean';
    case 'enum':
      return 'choice';
    case 'string':
      return setting.urlSchemes ? 'URL' : 'text';
    case 'json':
      return setting.schema.type === 'array' ? 'list (JSON)' : 'map (JSON)';
  }
}

/** The Windows registry type of the setting's value (locations.ts). */
export function registryType(setting: SettingDoc): string {
  switch (setting.type) {
    case 'integer':
      return 'REG_DWORD';
    case 'boolean':
      return 'REG_DWORD 0/1';
    case 'string':
    case 'enum':
      return 'REG_SZ';
    case 'json':
      return 'REG_SZ, JSON text';
  }
}

/** The value as it is written in a policy file or the registry: `300`, `["physician","nurse"]`. */
export function valueText(setting: SettingDoc, value: unknown): string {
  return setting.type === 'string' || setting.type === 'enum' ? String(value) : JSON.stringify(value);
}

/** The default in words: the value, `required`, or `not set`. */
export function defaultText(setting: SettingDoc, fmt: Format): string {
  if (setting.hasDefault) {
    const text = valueText(setting, setting.defaultValue);
    return text === '' ? '(empty)' : fmt.code(text);
  }
  return setting.required ? 'none (required)' : 'not set';
}
