import { z } from 'zod';

/**
 * Repeating primitives as R4's JSON writes them (https://hl7.org/fhir/R4/json.html#primitive).
 * A primitive's id and extensions travel in a sibling `_name`; for a repeating primitive both are
 * arrays, aligned position by position, and `null` fills a position that has nothing on one side:
 *
 *   "given": ["Peter", null], "_given": [null, { "extension": [...] }]
 *
 * The second given name has no value, only an extension (data-absent-reason, a qualifier). Real
 * servers send this, and dropping it, or the resource, would lose what central holds.
 */

/** A repeating primitive's values: a value, or `null` where the position has only an id or extensions. */
export function repeated<T extends z.ZodType>(primitive: T) {
  return z.array(primitive.nullable());
}

type Json = Record<string, unknown>;

const isElement = (value: unknown): boolean => typeof value === 'object' && value !== null && !Array.isArray(value);

/** ele-1: an element without a value carries an id or extensions, or it is not there at all. */
function carriesSomething(element: unknown): boolean {
  if (!isElement(element)) return false;
  const { id, extension } = element as Json;
  return typeof id === 'string' || (Array.isArray(extension) && extension.length > 0);
}

/**
 * R4's rule for these nulls, over a whole resource (modelled elements, unmodelled ones and
 * contained resources alike, since the rule is the JSON format's): a null value needs an element
 * with an id or extensions at the same position of `_name`, a null in `_name` needs a value
 * there, and both arrays, when present, are the same length (aligned). A null anywhere else in
 * an array is not R4.
 */
export function checkPlaceholders<T>(value: T, ctx: z.RefinementCtx<T>): void {
  walk(value, [], ctx as z.RefinementCtx);
}

/**
 * Every object and array of the resource, once. `path` is one stack, pushed and popped, copied
 * only for an issue: this runs on every resource a pull reads.
 */
function walk(value: unknown, path: PropertyKey[], ctx: z.RefinementCtx): void {
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      walk(value[index], path, ctx);
      path.pop();
    }
    return;
  }
  if (!isElement(value)) return;
  const object = value as Json;
  for (const key of Object.keys(object)) {
    const child = object[key];
    if (Array.isArray(child)) {
      if (key.startsWith('_')) checkElements(object, key, child, path, ctx);
      else checkValues(object, key, child, path, ctx);
    } else if (key.startsWith('_') && Array.isArray(object[key.slice(1)])) {
      ctx.addIssue({
        code: 'custom',
        message: `${key} must be an array aligned with ${key.slice(1)}`,
        path: [...path, key],
      });
    }
    if (typeof child === 'object' && child !== null) {
      path.push(key);
      walk(child, path, ctx);
      path.pop();
    }
  }
}

/** `name`: each null must have its element in `_name`; the two arrays are aligned. */
function checkValues(object: Json, key: string, values: unknown[], path: PropertyKey[], ctx: z.RefinementCtx): void {
  const elements = object[`_${key}`];
  values.forEach((item, index) => {
    if (item === null && !(Array.isArray(elements) && carriesSomething(elements[index]))) {
      ctx.addIssue({
        code: 'custom',
        message: `A null in ${key} is only a placeholder for an id or extensions at the same position of _${key}`,
        path: [...path, key, index],
      });
    }
  });
  if (Array.isArray(elements) && elements.length !== values.length) {
    ctx.addIssue({
      code: 'custom',
      message: `${key} and _${key} must be aligned (the same length)`,
      path: [...path, key],
    });
  }
}

/** `_name`: each entry is an element or null, and a null needs a value at its position. */
function checkElements(object: Json, key: string, elements: unknown[], path: PropertyKey[], ctx: z.RefinementCtx) {
  const values = object[key.slice(1)];
  if (values !== undefined && !Array.isArray(values)) {
    ctx.addIssue({
      code: 'custom',
      message: `${key} must match ${key.slice(1)}, which is not repeating`,
      path: [...path, key],
    });
    return;
  }
  elements.forEach((item, index) => {
    const hasValue = Array.isArray(values) && values[index] !== null && values[index] !== undefined;
    if (item === null ? !hasValue : !isElement(item)) {
      ctx.addIssue({
        code: 'custom',
        message:
          item === null
            ? `A null in ${key} needs a value at the same position of ${key.slice(1)}`
            : `${key} holds elements (id, extension) or null`,
        path: [...path, key, index],
      });
    }
  });
}
