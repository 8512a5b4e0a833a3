/**
 * The Group Policy administrative template (ADMX, with its en-US ADML) for the managed policy:
 * one category per schema section, one policy per setting, each writing one registry value named
 * by the setting's dotted name under the key from locations.ts, as the policy loader reads it
 * (src-main/policy/settings.ts): integers as REG_DWORD through a decimal element, booleans as
 * REG_DWORD 0/1 through the policy's enabled/disabled value, text as REG_SZ, choices as REG_SZ
 * through an enum, lists and maps as JSON text in REG_SZ.
 *
 * Follows the ADMX schema (PolicyDefinitionFiles.xsd, schemaVersion 1.0): names and string ids
 * are letters, digits and underscores only, so the dotted setting name appears as the registry
 * value name, never as an id.
 */
import { POLICY_LOCATIONS } from '../../src-shared/policy/locations.ts';
import {
  allowedValues,
  defaultText,
  PLAIN,
  registryType,
  valueText,
  type SectionDoc,
  type SettingDoc,
} from './model.ts';

const NS = 'http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions';
/** Revision of the template; raise it when a released template changes (resources follow it). */
export const ADMX_REVISION = '1.0';
const TARGET_PREFIX = 'clinicworkstation';
const TARGET_NAMESPACE = 'ClinicWorkstation.Policies.ClinicWorkstation';
const ROOT_CATEGORY = 'ClinicWorkstation';
/** Every setting so far exists since the first release; a later one gets its own definition. */
const SUPPORTED = { id: 'SUPPORTED_ClinicWorkstation_0_1', text: 'Clinic Workstation 0.1 or later' };
/** The editor's limit for text without a schema maximum (PEM keys, JSON lists and maps). */
const TEXT_MAX_LENGTH = 16384;

/** `HKLM\SOFTWARE\Policies\...` -> the key below the hive, as ADMX wants it. */
export function admxRegistryKey(): string {
  return POLICY_LOCATIONS.windowsRegistryKey.replace(/^HKLM\\/, '');
}

/** Escapes text for XML content. */
export function xmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Escapes text for a double-quoted XML attribute value. */
export function xmlAttr(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;');
}

const categoryId = (section: SectionDoc): string => `${ROOT_CATEGORY}_${section.key}`;
const enumItemId = (setting: SettingDoc, index: number): string => `${setting.id}_item${index}`;

/** Settings that need a word for Windows admins beyond their description. */
const WINDOWS_NOTES: Readonly<Record<string, string>> = {
  'vault.recoveryPublicKeyPem':
    'Paste the PEM block as it is: the app restores the line breaks this one-line box loses.',
};

/**
 * The explanation Group Policy shows beside a setting: its description, registry value, default,
 * allowed values and what Not configured / Disabled mean. `example` is shown for JSON settings.
 */
export function explainText(setting: SettingDoc, section: SectionDoc, example: unknown): string {
  const lines = [setting.description, '', `Registry value: ${setting.name} (${registryType(setting)})`];
  const unit = setting.unit ? ` ${setting.unit}` : '';
  lines.push(`Default: ${defaultText(setting, PLAIN)}${setting.hasDefault && setting.type === 'integer' ? unit : ''}`);
  lines.push(`Allowed: ${allowedValues(setting.schema, PLAIN, setting.unit, setting.urlSchemes)}`);
  if (setting.type === 'json') {
    const empty = Array.isArray(example)
      ? example.length === 0
      : typeof example === 'object' && example !== null && Object.keys(example).length === 0;
    lines.push(empty ? 'Value: JSON text.' : `Value: JSON text, for example ${valueText(setting, example)}`);
  }
  lines.push('');
  if (setting.type === 'boolean') {
    lines.push(
      `Enabled: on (1). Disabled: off (0). Not configured: the default applies (${setting.defaultValue === true ? 'on' : 'off'}).`,
    );
  } else if (setting.required) {
    lines.push(`Required once any ${section.title} setting is set. Not configured or Disabled: the value is not set.`);
  } else if (setting.hasDefault) {
    lines.push('Not configured or Disabled: the default applies.');
  } else {
    lines.push('Not configured or Disabled: the value is not set.');
  }
  const note = WINDOWS_NOTES[setting.name];
  if (note) lines.push('', note);
  lines.push('', 'A value the app does not accept stops it at start with a message naming this setting (fail closed).');
  return lines.join('\n');
}

function policyElement(setting: SettingDoc, section: SectionDoc): string {
  const key = admxRegistryKey();
  const head =
    `    <policy name="${setting.id}" class="Machine" displayName="$(string.${setting.id})" explainText="$(string.${setting.id}_Explain)"` +
    (setting.type === 'boolean' ? '' : ` presentation="$(presentation.${setting.id})"`) +
    ` key="${xmlAttr(key)}"` +
    (setting.type === 'boolean' ? ` valueName="${xmlAttr(setting.name)}"` : '') +
    '>';
  const lines = [
    head,
    `      <parentCategory ref="${categoryId(section)}" />`,
    `      <supportedOn ref="${SUPPORTED.id}" />`,
  ];
  const element = (body: string): void => {
    lines.push('      <elements>', body, '      </elements>');
  };
  const common = `id="${setting.id}" valueName="${xmlAttr(setting.name)}" required="true"`;
  switch (setting.type) {
    case 'boolean':
      lines.push(
        '      <enabledValue>',
        '        <decimal value="1" />',
        '      </enabledValue>',
        '      <disabledValue>',
        '        <decimal value="0" />',
        '      </disabledValue>',
      );
      break;
    case 'integer': {
      const min = setting.schema.minimum ?? 0;
      const max = setting.schema.maximum ?? 4294967295;
      if (min < 0) throw new Error(`${setting.name}: a decimal element cannot hold negative values.`);
      element(`        <decimal ${common} minValue="${min}" maxValue="${max}" />`);
      break;
    }
    case 'string':
    case 'json':
      element(`        <text ${common} maxLength="${setting.schema.maxLength ?? TEXT_MAX_LENGTH}" />`);
      break;
    case 'enum': {
      const items = (setting.schema.enum ?? []).map((value, index) => {
        const text = String(value);
        if (text.length > 255)
          throw new Error(
            `${setting.name}: an enum value longer than 255 characters cannot be written by Group Policy.`,
          );
        return [
          `          <item displayName="$(string.${enumItemId(setting, index)})">`,
          `            <value>`,
          `              <string>${xmlText(text)}</string>`,
          `            </value>`,
          `          </item>`,
        ].join('\n');
      });
      element([`        <enum ${common}>`, ...items, '        </enum>'].join('\n'));
      break;
    }
  }
  lines.push('    </policy>');
  return lines.join('\n');
}

export function renderAdmx(model: readonly SectionDoc[]): string {
  const categories = [
    `    <category name="${ROOT_CATEGORY}" displayName="$(string.${ROOT_CATEGORY})" explainText="$(string.${ROOT_CATEGORY}_Explain)" />`,
    ...model.map((section) =>
      [
        `    <category name="${categoryId(section)}" displayName="$(string.${categoryId(section)})" explainText="$(string.${categoryId(section)}_Explain)">`,
        `      <parentCategory ref="${ROOT_CATEGORY}" />`,
        '    </category>',
      ].join('\n'),
    ),
  ];
  const policies = model.flatMap((section) => section.settings.map((setting) => policyElement(setting, section)));
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<!-- Generated from src-shared/policy/schema.ts by scripts/policy-templates/main.ts; do not edit by hand. -->',
    `<policyDefinitions xmlns="${NS}" revision="${ADMX_REVISION}" schemaVersion="1.0">`,
    '  <policyNamespaces>',
    `    <target prefix="${TARGET_PREFIX}" namespace="${TARGET_NAMESPACE}" />`,
    '  </policyNamespaces>',
    `  <resources minRequiredRevision="${ADMX_REVISION}" />`,
    '  <supportedOn>',
    '    <definitions>',
    `      <definition name="${SUPPORTED.id}" displayName="$(string.${SUPPORTED.id})" />`,
    '    </definitions>',
    '  </supportedOn>',
    '  <categories>',
    ...categories,
    '  </categories>',
    '  <policies>',
    ...policies,
    '  </policies>',
    '</policyDefinitions>',
    '',
  ].join('\n');
}

function presentation(setting: SettingDoc): string | null {
  const label = xmlText(`${setting.title}:`);
  const open = `      <presentation id="${setting.id}">`;
  switch (setting.type) {
    case 'boolean':
      return null;
    case 'integer': {
      const defaultValue = typeof setting.defaultValue === 'number' ? ` defaultValue="${setting.defaultValue}"` : '';
      return [
        open,
        `        <decimalTextBox refId="${setting.id}"${defaultValue}>${label}</decimalTextBox>`,
        '      </presentation>',
      ].join('\n');
    }
    case 'string':
    case 'json': {
      const defaultValue = setting.hasDefault
        ? [`          <defaultValue>${xmlText(valueText(setting, setting.defaultValue))}</defaultValue>`]
        : [];
      return [
        open,
        `        <textBox refId="${setting.id}">`,
        `          <label>${label}</label>`,
        ...defaultValue,
        '        </textBox>',
        '      </presentation>',
      ].join('\n');
    }
    case 'enum': {
      const index = setting.hasDefault ? (setting.schema.enum ?? []).indexOf(setting.defaultValue) : -1;
      return [
        open,
        `        <dropdownList refId="${setting.id}" noSort="true"${index >= 0 ? ` defaultItem="${index}"` : ''}>${label}</dropdownList>`,
        '      </presentation>',
      ].join('\n');
    }
  }
}

export function renderAdml(model: readonly SectionDoc[], examples: Readonly<Record<string, unknown>>): string {
  const strings: [string, string][] = [
    [ROOT_CATEGORY, 'Clinic Workstation'],
    [
      `${ROOT_CATEGORY}_Explain`,
      `Managed policy for Clinic Workstation. Each setting is one value under HKLM\\${admxRegistryKey()}, named by its setting name (for example lock.idleSeconds). Users cannot change these settings; the app shows them as managed by your organization.`,
    ],
    [SUPPORTED.id, SUPPORTED.text],
  ];
  for (const section of model) {
    strings.push([categoryId(section), section.title], [`${categoryId(section)}_Explain`, section.explain]);
  }
  for (const section of model) {
    for (const setting of section.settings) {
      strings.push(
        [setting.id, `${setting.title} (${setting.name})`],
        [`${setting.id}_Explain`, explainText(setting, section, examples[setting.name] ?? setting.defaultValue)],
      );
      (setting.schema.enum ?? []).forEach((value, index) => strings.push([enumItemId(setting, index), String(value)]));
    }
  }
  const presentations = model
    .flatMap((section) => section.settings.map(presentation))
    .filter((text): text is string => text !== null);
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<!-- Generated from src-shared/policy/schema.ts by scripts/policy-templates/main.ts; do not edit by hand. -->',
    `<policyDefinitionResources xmlns="${NS}" revision="${ADMX_REVISION}" schemaVersion="1.0">`,
    '  <displayName>Clinic Workstation</displayName>',
    '  <description>Group Policy settings for Clinic Workstation, generated from its managed policy schema.</description>',
    '  <resources>',
    '    <stringTable>',
    ...strings.map(([id, text]) => `      <string id="${id}">${xmlText(text)}</string>`),
    '    </stringTable>',
    // The table, when present, must hold at least one presentation (booleans have none).
    ...(presentations.length > 0 ? ['    <presentationTable>', ...presentations, '    </presentationTable>'] : []),
    '  </resources>',
    '</policyDefinitionResources>',
    '',
  ].join('\n');
}
