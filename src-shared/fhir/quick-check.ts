import type { z } from 'zod';

/**
 * A quick yes-or-no over a zod schema, for the pull's hot path: whether `safeParse` would accept a
 * value, decided without building the parsed copy that `safeParse` returns. The pull validates
 * every resource central sends, and zod's copy (a new object for every element of every
 * resource, then garbage) was most of that work: about 20 µs of the 50 a resource costs the
 * pull's single thread, validation, storing and all.
 *
 * It is compiled from the same schemas, never written beside them: objects, arrays, optionals,
 * nullables and discriminated unions are walked here; every leaf (string, number, boolean, enum,
 * literal, with their checks) and every refinement runs zod's own code on the value itself. So
 * the rules live in the schemas alone, and the answer is zod's own: a loose object's parsed copy
 * holds the same keys and values as the value (no schema here transforms), so a refinement given
 * the value sees what zod would have given it.
 *
 * Only "yes" is quick. "No", or a schema feature not walked here (refused when compiled, so a new
 * one fails at once, in the tests), leaves the decision and the issues to zod's `safeParse`. A
 * `__proto__` key, which zod leaves out of its copy, is a "no" too: zod's copy is then stored.
 *
 * Pure (no Node, no DOM): the sync page worker loads it as Node strips types.
 */

type Check = (value: unknown) => boolean;

/** The parse payload zod's leaves and checks read and write: one, reused (they only push issues). */
interface Payload {
  value: unknown;
  issues: unknown[];
}
const payload: Payload = { value: undefined, issues: [] };
const context = { async: false };

interface ZodInternals {
  def: {
    type: string;
    checks?: { _zod: { check(payload: Payload): void } }[];
    shape?: Record<string, z.ZodType>;
    catchall?: z.ZodType;
    element?: z.ZodType;
    innerType?: z.ZodType;
    options?: z.ZodType[];
    discriminator?: string;
  };
  run(payload: Payload, ctx: typeof context): unknown;
  propValues?: Record<string, Set<unknown>>;
}

const internals = (schema: z.ZodType) => (schema as unknown as { _zod: ZodInternals })._zod;

/** A leaf: zod's own parse and checks of the value (synchronous: no schema here is async). */
function leaf(schema: z.ZodType): Check {
  const zod = internals(schema);
  return (value) => {
    payload.value = value;
    payload.issues.length = 0;
    zod.run(payload, context);
    return payload.issues.length === 0;
  };
}

/** The schema's own checks (refine, superRefine, an array's min) over a value whose parts already passed. */
function ownChecks(schema: z.ZodType): Check | null {
  const checks = internals(schema).def.checks ?? [];
  if (checks.length === 0) return null;
  // Each is run whatever its `when` says: one zod would skip can only turn a yes into zod's say.
  return (value) => {
    for (const check of checks) {
      payload.value = value;
      payload.issues.length = 0;
      check._zod.check(payload);
      if (payload.issues.length > 0) return false;
    }
    return true;
  };
}

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function container(schema: z.ZodType, compile: (schema: z.ZodType) => Check): Check {
  const def = internals(schema).def;
  switch (def.type) {
    case 'optional': {
      const inner = compile(def.innerType!);
      return (value) => value === undefined || inner(value);
    }
    case 'nullable': {
      const inner = compile(def.innerType!);
      return (value) => value === null || inner(value);
    }
    case 'array': {
      const element = compile(def.element!);
      return (value) => {
        if (!Array.isArray(value)) return false;
        for (let i = 0; i < value.length; i++) if (!element(value[i])) return false;
        return true;
      };
    }
    case 'object': {
      const catchall = def.catchall ? internals(def.catchall).def.type : 'never';
      if (catchall !== 'unknown')
        throw new Error(`quickCheck: an object with a ${catchall} catchall is not walked here`);
      return objectCheck(def.shape!, compile);
    }
    case 'union': {
      if (def.discriminator === undefined)
        throw new Error('quickCheck: a union without a discriminator is not walked here');
      const key = def.discriminator;
      const byValue = new Map<unknown, Check>();
      for (const option of def.options!) {
        const values = internals(option).propValues?.[key];
        if (!values) throw new Error(`quickCheck: a union option without a "${key}" value`);
        const check = compile(option);
        for (const v of values) byValue.set(v, check);
      }
      return (value) => {
        if (!isPlainObject(value)) return false;
        const option = byValue.get(value[key]);
        return option !== undefined && option(value);
      };
    }
    default:
      throw new Error(`quickCheck: a ${def.type} is not walked here`);
  }
}

/**
 * An object's check, generated for its shape: each element read by its own name (a property read
 * the engine learns for this shape alone; one generic loop over the keys of every shape was
 * slowed by reading them all through one site), an optional element tested for absence in place.
 */
function objectCheck(shape: Record<string, z.ZodType>, compile: (schema: z.ZodType) => Check): Check {
  const checks: Check[] = [];
  const lines: string[] = [];
  for (const key of Object.keys(shape)) {
    const node = shape[key]!;
    const def = internals(node).def;
    const optional = def.type === 'optional';
    checks.push(compile(optional ? def.innerType! : node));
    const read = `value[${JSON.stringify(key)}]`;
    const index = checks.length - 1;
    lines.push(
      optional
        ? `v = ${read}; if (v !== undefined && !checks[${index}](v)) return false;`
        : `if (!checks[${index}](${read})) return false;`,
    );
  }
  const body = [
    "if (typeof value !== 'object' || value === null || Array.isArray(value) || hasOwn(value, '__proto__')) return false;",
    'let v;',
    ...lines,
    'return true;',
  ].join('\n');
  // Generated from the schema's own keys (JSON-quoted), never from data.
  return new Function('checks', 'hasOwn', `return function (value) {\n${body}\n};`)(checks, Object.hasOwn) as Check;
}

const LEAVES = new Set(['string', 'number', 'boolean', 'enum', 'literal', 'unknown']);

/**
 * The quick check of `schema`: true only when `schema.safeParse(value)` would succeed (and its
 * data would hold what `value` holds); false when zod is to decide.
 */
export function compileQuickCheck(schema: z.ZodType): Check {
  const compiled = new Map<z.ZodType, Check>();
  const compile = (node: z.ZodType): Check => {
    const known = compiled.get(node);
    if (known) return known;
    const type = internals(node).def.type;
    let check: Check;
    if (LEAVES.has(type)) check = leaf(node);
    else {
      const parts = container(node, compile);
      const own = ownChecks(node);
      check = own ? (value) => parts(value) && own(value) : parts;
    }
    compiled.set(node, check);
    return check;
  };
  return compile(schema);
}
