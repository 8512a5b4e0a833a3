import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DOMParser, onWarningStopParsing, type Document, type Element } from '@xmldom/xmldom';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { POLICY_SETTINGS, policyFromSettings } from '../../src-main/policy/settings.ts';
import { POLICY_LOCATIONS } from '../../src-shared/policy/locations.ts';
import { Policy } from '../../src-shared/policy/schema.ts';
import { renderAdml, renderAdmx } from '../../scripts/policy-templates/admx.ts';
import { generatePolicyFiles, POLICY_OUTPUTS } from '../../scripts/policy-templates/generate.ts';
import { policyModel } from '../../scripts/policy-templates/model.ts';
import {
  referenceSection,
  REFERENCE_END,
  REFERENCE_START,
  spliceReference,
} from '../../scripts/policy-templates/reference.ts';
import { samplePolicy } from '../../scripts/policy-templates/sample.ts';
import { validatePolicy } from '../../src-main/policy/load.ts';

/**
 * The Group Policy template, the sample policy and the IT guide's policy reference are generated
 * from the policy schema (scripts/policy-templates). These tests are the CI check that the
 * committed files are what the generator makes now, so the IT guide matches the schema, and that
 * each file is what Group Policy, the loader and Policy.parse accept.
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const read = (file: string): string => fs.readFileSync(path.join(root, file), 'utf8');
const REGENERATE = 'stale: run `npx tsx scripts/policy-templates/main.ts` and commit the result';

/** Every leaf setting, read straight from the zod schema (independent of the generator's model). */
function leafSettings(): string[] {
  const unwrap = (schema: z.ZodType): z.ZodType => {
    let current = schema;
    for (;;) {
      const def = current.def as unknown as { type: string; innerType?: z.ZodType };
      if (def.innerType && ['optional', 'default', 'prefault', 'nullable'].includes(def.type)) current = def.innerType;
      else return current;
    }
  };
  const shapeOf = (schema: z.ZodType): Record<string, z.ZodType> =>
    (unwrap(schema).def as unknown as { shape: Record<string, z.ZodType> }).shape;
  return Object.entries(shapeOf(Policy)).flatMap(([section, schema]) =>
    Object.keys(shapeOf(schema)).map((field) => `${section}.${field}`),
  );
}

function parseXml(text: string): Document {
  // Any warning, error or fatal error (not well-formed, undefined entity ...) throws.
  return new DOMParser({ onError: onWarningStopParsing }).parseFromString(text, 'text/xml');
}

const elements = (node: Document | Element, tag: string): Element[] => Array.from(node.getElementsByTagName(tag));
const children = (node: Element, tag: string): Element[] =>
  Array.from(node.childNodes).filter(
    (child): child is Element => child.nodeType === 1 && (child as Element).tagName === tag,
  );
const ref = (value: string | null, kind: 'string' | 'presentation'): string => {
  const match = new RegExp(`^\\$\\(${kind}\\.([\\p{L}\\p{N}_]+)\\)$`, 'u').exec(value ?? '');
  if (!match) throw new Error(`not a $(${kind}.id) reference: ${value}`);
  return match[1]!;
};
const ADMX_ID = /^[\p{L}\p{N}_]+$/u;

describe('policy templates, sample and IT guide reference', () => {
  const settings = leafSettings();
  const committed = Object.fromEntries(Object.values(POLICY_OUTPUTS).map((file) => [file, read(file)]));
  const generated = generatePolicyFiles(committed[POLICY_OUTPUTS.guide]!);

  it('the committed files are exactly what the generator makes from the schema now', () => {
    expect(Object.keys(generated).sort()).toEqual(Object.values(POLICY_OUTPUTS).sort());
    for (const [file, content] of Object.entries(generated))
      expect(committed[file], `${file} is ${REGENERATE}`).toBe(content);
  });

  it('knows the same settings as the policy loader, each in the registry form the loader reads', () => {
    const model = policyModel(Policy);
    expect(model.flatMap((section) => section.settings.map((setting) => setting.name))).toEqual(settings);
    expect(POLICY_SETTINGS.map((setting) => setting.name)).toEqual(settings);
    const loaderKind = new Map(POLICY_SETTINGS.map((setting) => [setting.name, setting.kind]));
    const expected = { integer: 'number', boolean: 'boolean', string: 'string', enum: 'string', json: 'json' } as const;
    for (const setting of model.flatMap((section) => section.settings)) {
      expect(loaderKind.get(setting.name), setting.name).toBe(expected[setting.type]);
      expect(setting.description.length, setting.name).toBeGreaterThan(10);
    }
  });

  it('ADMX: well-formed ADMX with one policy per setting under the registry key from locations.ts', () => {
    const admx = parseXml(committed[POLICY_OUTPUTS.admx]!);
    const top = admx.documentElement!;
    expect(top.tagName).toBe('policyDefinitions');
    expect(top.getAttribute('xmlns')).toBe('http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions');
    expect(top.getAttribute('revision')).toMatch(/^\d{1,4}\.\d{1,5}$/);
    expect(top.getAttribute('schemaVersion')).toBe('1.0');
    expect(
      children(top, 'policyNamespaces')[0]!.getElementsByTagName('target')[0]!.getAttribute('namespace'),
    ).toBeTruthy();
    expect(children(top, 'resources')[0]!.getAttribute('minRequiredRevision')).toMatch(/^\d{1,4}\.\d{1,5}$/);
    // The order ADMX's schema demands.
    expect(
      Array.from(top.childNodes)
        .filter((node) => node.nodeType === 1)
        .map((node) => (node as Element).tagName),
    ).toEqual(['policyNamespaces', 'resources', 'supportedOn', 'categories', 'policies']);

    const supported = new Set(elements(admx, 'definition').map((definition) => definition.getAttribute('name')));
    const categories = new Set(elements(admx, 'category').map((category) => category.getAttribute('name')));
    const policies = elements(admx, 'policy');
    const key = POLICY_LOCATIONS.windowsRegistryKey.replace(/^HKLM\\/, '');
    const byValueName = new Map<string, Element>();
    for (const policy of policies) {
      expect(policy.getAttribute('name')).toMatch(ADMX_ID);
      expect(policy.getAttribute('class')).toBe('Machine');
      expect(policy.getAttribute('key')).toBe(key);
      expect(supported.has(children(policy, 'supportedOn')[0]!.getAttribute('ref'))).toBe(true);
      expect(categories.has(children(policy, 'parentCategory')[0]!.getAttribute('ref'))).toBe(true);
      const valueNames = [
        policy.getAttribute('valueName'),
        ...elements(policy, '*').map((element) => element.getAttribute('valueName')),
      ].filter((name): name is string => !!name);
      expect(valueNames, policy.getAttribute('name')!).toHaveLength(1);
      byValueName.set(valueNames[0]!, policy);
    }
    expect([...byValueName.keys()].sort()).toEqual([...settings].sort());

    // Each setting in the registry type the loader reads (locations.ts).
    const json = z.toJSONSchema(Policy, { io: 'input' }) as {
      properties: Record<
        string,
        { properties: Record<string, { minimum?: number; maximum?: number; maxLength?: number }> }
      >;
    };
    for (const setting of POLICY_SETTINGS) {
      const policy = byValueName.get(setting.name)!;
      const [section, field] = setting.name.split('.') as [string, string];
      const fieldSchema = json.properties[section]!.properties[field]!;
      const inner = elements(policy, 'elements')[0];
      if (setting.kind === 'boolean') {
        expect(inner, setting.name).toBeUndefined();
        expect(elements(children(policy, 'enabledValue')[0]!, 'decimal')[0]!.getAttribute('value')).toBe('1');
        expect(elements(children(policy, 'disabledValue')[0]!, 'decimal')[0]!.getAttribute('value')).toBe('0');
      } else if (setting.kind === 'number') {
        const decimal = children(inner!, 'decimal')[0]!;
        expect(decimal.getAttribute('minValue'), setting.name).toBe(String(fieldSchema.minimum));
        expect(decimal.getAttribute('maxValue'), setting.name).toBe(String(fieldSchema.maximum));
      } else {
        // Text and JSON text are REG_SZ: a text element (multiText would write REG_MULTI_SZ).
        const text = [...children(inner!, 'text'), ...children(inner!, 'enum')];
        expect(text, setting.name).toHaveLength(1);
        if (fieldSchema.maxLength !== undefined)
          expect(text[0]!.getAttribute('maxLength')).toBe(String(fieldSchema.maxLength));
      }
    }
  });

  it('ADML: well-formed, and every string and presentation the ADMX names is there', () => {
    const admx = parseXml(committed[POLICY_OUTPUTS.admx]!);
    const adml = parseXml(committed[POLICY_OUTPUTS.adml]!);
    expect(adml.documentElement!.tagName).toBe('policyDefinitionResources');
    expect(adml.documentElement!.getAttribute('revision')).toBe(admx.documentElement!.getAttribute('revision'));
    const strings = new Map(
      elements(adml, 'string')
        .filter((node) => node.parentNode?.nodeName === 'stringTable')
        .map((node) => [node.getAttribute('id')!, node.textContent ?? '']),
    );
    const presentations = new Map(elements(adml, 'presentation').map((node) => [node.getAttribute('id')!, node]));
    for (const id of [...strings.keys(), ...presentations.keys()]) expect(id).toMatch(ADMX_ID);

    const stringRefs = elements(admx, '*').flatMap((node) =>
      ['displayName', 'explainText'].map((name) => node.getAttribute(name)).filter((value): value is string => !!value),
    );
    for (const value of stringRefs) expect(strings.has(ref(value, 'string')), value).toBe(true);

    for (const policy of elements(admx, 'policy')) {
      const ids = elements(policy, '*')
        .filter((node) => node.parentNode?.nodeName === 'elements')
        .map((node) => node.getAttribute('id'));
      const presentationRef = policy.getAttribute('presentation');
      if (ids.length === 0) {
        expect(presentationRef).toBeNull();
        continue;
      }
      const presentation = presentations.get(ref(presentationRef, 'presentation'));
      expect(presentation, presentationRef!).toBeDefined();
      expect(
        elements(presentation!, '*')
          .map((node) => node.getAttribute('refId'))
          .filter(Boolean)
          .sort(),
      ).toEqual(ids.sort());
      // Every explanation names the setting, so IT can match it to the guide and the registry.
      const valueName = elements(policy, '*')
        .find((node) => node.getAttribute('valueName'))!
        .getAttribute('valueName')!;
      expect(strings.get(ref(policy.getAttribute('explainText'), 'string'))).toContain(`Registry value: ${valueName} `);
    }
    for (const setting of settings) {
      expect(
        [...strings.values()].some((text) => text.includes(`(${setting})`)),
        setting,
      ).toBe(true);
    }
  });

  it('sample: parses with Policy.parse, holds every setting, and defaults are the schema defaults', () => {
    const sample = JSON.parse(committed[POLICY_OUTPUTS.sample]!) as Record<string, Record<string, unknown>>;
    const parsed = Policy.parse(sample);
    for (const name of settings) {
      const [section, field] = name.split('.') as [string, string];
      expect(sample[section], name).toHaveProperty([field]);
    }
    const defaults = Policy.parse({}) as Record<string, Record<string, unknown>>;
    for (const [section, values] of Object.entries(defaults)) {
      for (const [field, value] of Object.entries(values))
        expect(sample[section]![field], `${section}.${field}`).toEqual(value);
    }
    expect(sample['central']!['fhirBaseUrl']).toMatch(/^https:\/\/[a-z0-9.-]+\.clinic\.example\//);
    // Deployed unedited, the loader refuses it at the one placeholder IT must replace.
    expect(() => validatePolicy(sample, 'policy.sample.json')).toThrow(
      /^The managed policy in policy\.sample\.json is not valid: vault\.recoveryPublicKeyPem: /,
    );
    const { vault: _vault, ...withoutKey } = sample;
    expect(validatePolicy({ ...withoutKey, vault: {} }, 'policy.sample.json').lock).toEqual(defaults['lock']);
    expect(sample['central']!['issuer']).toMatch(/^https:\/\/[a-z0-9.-]+\.clinic\.example/);

    // The same policy written as Group Policy would write it (one registry value per setting)
    // reads back through the loader to the same policy.
    const registry: Record<string, string | number | boolean> = {};
    for (const setting of POLICY_SETTINGS) {
      const [section, field] = setting.name.split('.') as [string, string];
      const value = sample[section]![field];
      registry[setting.name] =
        setting.kind === 'json'
          ? JSON.stringify(value)
          : setting.kind === 'boolean'
            ? value
              ? 1
              : 0
            : (value as string | number);
    }
    expect(Policy.parse(policyFromSettings(registry))).toEqual(parsed);
  });

  it('IT guide: the reference has a row per setting, with its description, default and limits', () => {
    const reference = referenceSection(committed[POLICY_OUTPUTS.guide]!);
    const rows = reference.split('\n').filter((line) => line.startsWith('| `'));
    expect(rows.map((row) => /^\| `([^`]+)`/.exec(row)![1])).toEqual(settings);
    const json = z.toJSONSchema(Policy, { io: 'input' }) as {
      properties: Record<
        string,
        { properties: Record<string, { description?: string; minimum?: number; maximum?: number }> }
      >;
    };
    for (const [index, name] of settings.entries()) {
      const [section, field] = name.split('.') as [string, string];
      const schema = json.properties[section]!.properties[field]!;
      expect(rows[index]).toContain(schema.description!.replace(/\|/g, '\\|'));
      if (schema.minimum !== undefined) expect(rows[index]).toContain(`\`${schema.minimum}\` to \`${schema.maximum}\``);
    }
    expect(rows.find((row) => row.startsWith('| `lock.idleSeconds`'))).toContain('| `300` |');
    expect(rows.find((row) => row.startsWith('| `central.clientId`'))).toContain('| none (required) |');
  });

  it('renders choices as a dropdown, and stops on a setting it cannot document', () => {
    const Demo = z.object({
      display: z
        .object({
          theme: z.enum(['light', 'dark']).default('dark').meta({ description: 'Colour scheme.' }),
          zoom: z.number().int().min(50).max(200).meta({ description: 'Zoom in percent.' }),
        })
        .strict(),
    });
    // A section without a title is refused, so the template never shows a blank category.
    expect(() => policyModel(Demo)).toThrow(/display.*SECTION_TEXT/);

    const Known = z.object({
      lock: z
        .object({
          theme: z.enum(['light', 'dark']).default('dark').meta({ description: 'Colour scheme.' }),
          newThing: z.number().int().min(1).max(2).meta({ description: 'A new thing.' }),
        })
        .strict(),
    });
    const model = policyModel(Known);
    const admx = parseXml(renderAdmx(model));
    const adml = parseXml(renderAdml(model, {}));
    const choice = elements(admx, 'enum')[0]!;
    expect(choice.getAttribute('valueName')).toBe('lock.theme');
    expect(elements(choice, 'string').map((node) => node.textContent)).toEqual(['light', 'dark']);
    expect(elements(adml, 'dropdownList')[0]!.getAttribute('defaultItem')).toBe('1');
    // Without a default or an example the sample cannot be complete.
    expect(() => samplePolicy(model)).toThrow(/lock\.newThing.*SAMPLE_EXAMPLES/);
    // Without a description there is nothing to tell IT.
    expect(() => policyModel(z.object({ lock: z.object({ bare: z.boolean().default(false) }).strict() }))).toThrow(
      /lock\.bare has no description/,
    );
  });

  it('replaces only the text between the guide markers, and refuses a guide without them', () => {
    const guide = `# Guide\n\nBefore.\n\n${REFERENCE_START}\nold\n${REFERENCE_END}\n\nAfter.\n`;
    expect(spliceReference(guide, 'new\n')).toBe(
      `# Guide\n\nBefore.\n\n${REFERENCE_START}\nnew\n${REFERENCE_END}\n\nAfter.\n`,
    );
    expect(() => spliceReference('# Guide\n', 'new\n')).toThrow(/policy-reference/);
    expect(() => spliceReference(`${REFERENCE_END}\n${REFERENCE_START}\n`, 'new\n')).toThrow(/policy-reference/);
  });
});
