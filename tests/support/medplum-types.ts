/**
 * A @medplum/fhirtypes type as R4's JSON allows it: a repeating primitive may hold null
 * placeholders (an id or extensions without a value, https://hl7.org/fhir/R4/json.html#primitive),
 * which Medplum's types leave out (its validator accepts them). The workstation's own types, inferred
 * from its schemas, say so; they are meant to be Medplum's in every other respect.
 */
export type WithPlaceholders<T> = T extends readonly (infer Item)[]
  ? [Item] extends [string | number | boolean]
    ? (Item | null)[]
    : WithPlaceholders<Item>[]
  : T extends object
    ? { [K in keyof T]: WithPlaceholders<T[K]> }
    : T;
