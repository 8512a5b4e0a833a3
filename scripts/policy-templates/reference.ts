/**
 * The IT guide's "Policy reference": a table per policy section, rendered between two marker
 * comments in docs/it-guide.md so the rest of the guide stays hand-written.
 */
import { allowedValues, defaultText, registryType, typeLabel, type Format, type SectionDoc } from './model.ts';

export const REFERENCE_START = '<!-- policy-reference:start -->';
export const REFERENCE_END = '<!-- policy-reference:end -->';

const MARKDOWN: Format = { code: (text) => `\`${text}\`` };

/** A table cell: no line breaks, and a pipe would end the cell. */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

export function renderReference(model: readonly SectionDoc[]): string {
  const out = [
    '<!-- Generated from src-shared/policy/schema.ts by `npx tsx scripts/policy-templates/main.ts`: change the schema, then run it; do not edit by hand. -->',
    '',
  ];
  for (const section of model) {
    out.push(
      `### \`${section.key}\`: ${section.title}`,
      '',
      `${section.explain}${section.optional ? ' The whole section is optional.' : ''}`,
      '',
    );
    out.push('| Setting | Type | Registry | Default | Allowed | Description |', '|---|---|---|---|---|---|');
    for (const setting of section.settings) {
      const row = [
        MARKDOWN.code(setting.name),
        typeLabel(setting),
        registryType(setting),
        defaultText(setting, MARKDOWN),
        allowedValues(setting.schema, MARKDOWN, setting.unit, setting.urlSchemes),
        setting.description,
      ];
      out.push(`| ${row.map(cell).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The guide with its reference section replaced; the markers must be there, in order. */
export function spliceReference(guide: string, reference: string): string {
  const start = guide.indexOf(REFERENCE_START);
  const end = guide.indexOf(REFERENCE_END);
  if (
    start < 0 ||
    end < 0 ||
    end < start ||
    guide.indexOf(REFERENCE_START, start + 1) >= 0 ||
    guide.indexOf(REFERENCE_END, end + 1) >= 0
  ) {
    throw new Error(`docs/it-guide.md must hold exactly one ${REFERENCE_START} ... ${REFERENCE_END} section.`);
  }
  return `${guide.slice(0, start + REFERENCE_START.length)}\n${reference}${guide.slice(end)}`;
}

/** The text between the markers (for tests). */
export function referenceSection(guide: string): string {
  const start = guide.indexOf(REFERENCE_START);
  const end = guide.indexOf(REFERENCE_END);
  if (start < 0 || end < start) return '';
  return guide.slice(start + REFERENCE_START.length, end);
}
