/**
 * The report in three forms: JSON (for tools), Markdown, and a printable HTML page that stands
 * alone (inline style, no script, no external resource) with every value escaped.
 */
import type { ControlRow } from './controls.ts';
import type { LiveEvidence } from './evidence.ts';
import type { TestRuns } from './test-runs.ts';

export interface ComplianceReport {
  title: string;
  generatedAt: string;
  workstation: {
    id: string | null;
    appVersion: string;
    packaged: boolean;
    fuses: Record<string, string> | null;
    policySource: string | null;
  };
  summary: { controls: number; met: number; attention: string[] };
  controls: ControlRow[];
  testRuns: { folder: string; reports: TestRuns['reports']; unreadable: TestRuns['unreadable'] };
}

export function buildReport(evidence: LiveEvidence, runs: TestRuns, rows: ControlRow[]): ComplianceReport {
  return {
    title: 'HIPAA technical safeguards (45 CFR 164.312): evidence from this workstation',
    generatedAt: evidence.generatedAt,
    workstation: {
      id: evidence.vault.ok ? evidence.vault.workstationId : null,
      appVersion: evidence.app.version,
      packaged: evidence.app.packaged,
      fuses: evidence.app.fuses,
      policySource: evidence.policy.ok ? evidence.policy.source : null,
    },
    summary: {
      controls: rows.length,
      met: rows.filter((r) => r.status === 'met').length,
      attention: rows.filter((r) => r.status === 'attention').map((r) => r.id),
    },
    controls: rows,
    testRuns: { folder: runs.folder, reports: runs.reports, unreadable: runs.unreadable },
  };
}

const mark = (ok: boolean | null) => (ok === null ? 'info' : ok ? 'ok' : 'FAILED');
const statusWord = (row: ControlRow) => (row.status === 'met' ? 'Met' : 'Needs attention');
const fuses = (r: ComplianceReport) =>
  r.workstation.packaged
    ? r.workstation.fuses
      ? Object.entries(r.workstation.fuses)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')
      : 'not readable'
    : 'not packaged (development checkout): fuses apply to packaged builds';
const testLine = (row: ControlRow) =>
  `${row.tests.passed} passed, ${row.tests.failed} failed, ${row.tests.skipped} skipped`;

export function renderJson(report: ComplianceReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Markdown table cells: no line breaks, pipes escaped. */
const cell = (text: string) => text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');

export function renderMarkdown(report: ComplianceReport): string {
  const lines = [
    `# ${report.title}`,
    '',
    `Generated ${report.generatedAt} · workstation ${report.workstation.id ?? 'unknown'} · app ${report.workstation.appVersion} · policy from ${report.workstation.policySource ?? 'no valid policy'}`,
    '',
    `Fuses: ${fuses(report)}`,
    '',
    `**${report.summary.met} of ${report.summary.controls} controls met${report.summary.attention.length ? `; needs attention: ${report.summary.attention.join(', ')}` : ''}.**`,
    '',
    '| control | | status | tests (last run) |',
    '|---|---|---|---|',
    ...report.controls.map((r) => `| ${r.id} | ${cell(r.title)} (${r.kind}) | ${statusWord(r)} | ${testLine(r)} |`),
  ];
  for (const row of report.controls) {
    lines.push('', `## ${row.id} ${row.title} (${row.kind}): ${statusWord(row)}`, '', cell(row.does), '');
    lines.push('| live check | value | result |', '|---|---|---|');
    for (const check of row.checks) lines.push(`| ${cell(check.label)} | ${cell(check.value)} | ${mark(check.ok)} |`);
    lines.push('', `Automated evidence: ${testLine(row)}.`);
    for (const name of row.tests.failedNames) lines.push(`- FAILED: ${cell(name)}`);
  }
  lines.push('', '## Test runs read', '');
  if (report.testRuns.reports.length === 0) lines.push(`No test report found in ${report.testRuns.folder}.`);
  for (const r of report.testRuns.reports)
    lines.push(`- ${r.file} (${r.runner}, ${r.tests} tests, started ${r.startedAt ?? 'unknown'})`);
  for (const u of report.testRuns.unreadable) lines.push(`- ${u.file}: unreadable (${cell(u.problem)})`);
  return `${lines.join('\n')}\n`;
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

const STYLE = `
body{font:14px/1.45 system-ui,sans-serif;color:#111;margin:2rem;max-width:70rem}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem;break-after:avoid}
table{border-collapse:collapse;width:100%;margin:.5rem 0}th,td{border:1px solid #999;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}.ok{color:#14532d}.info{color:#333}.FAILED,.attention{color:#991b1b;font-weight:700}.met{color:#14532d;font-weight:700}
section{break-inside:avoid}@media print{body{margin:0;font-size:11px}a{color:inherit}}
`;

export function renderHtml(report: ComplianceReport): string {
  const e = escapeHtml;
  const summary = report.controls
    .map(
      (r) =>
        `<tr><td><a href="#c-${e(r.id)}">${e(r.id)}</a></td><td>${e(r.title)} (${e(r.kind)})</td><td class="${r.status}">${e(statusWord(r))}</td><td>${e(testLine(r))}</td></tr>`,
    )
    .join('\n');
  const sections = report.controls
    .map((r) => {
      const checks = r.checks
        .map((c) => `<tr><td>${e(c.label)}</td><td>${e(c.value)}</td><td class="${mark(c.ok)}">${mark(c.ok)}</td></tr>`)
        .join('');
      const failed = r.tests.failedNames.map((n) => `<li class="FAILED">${e(n)}</li>`).join('');
      const names = r.tests.names.map((n) => `<li>${e(n)}</li>`).join('');
      return `<section id="c-${e(r.id)}"><h2>${e(r.id)} ${e(r.title)} <small>(${e(r.kind)})</small>: <span class="${r.status}">${e(statusWord(r))}</span></h2>
<p>${e(r.does)}</p>
<table><thead><tr><th>Live check</th><th>Value</th><th>Result</th></tr></thead><tbody>${checks}</tbody></table>
<p>Automated evidence (last test run): ${e(testLine(r))}.</p>${failed ? `<ul>${failed}</ul>` : ''}${names ? `<details><summary>Tests</summary><ul>${names}</ul></details>` : ''}</section>`;
    })
    .join('\n');
  const runs =
    report.testRuns.reports.length === 0
      ? `<p>No test report found in ${e(report.testRuns.folder)}.</p>`
      : `<ul>${report.testRuns.reports.map((r) => `<li>${e(r.file)} (${e(r.runner)}, ${r.tests} tests, started ${e(r.startedAt ?? 'unknown')})</li>`).join('')}</ul>`;
  const unreadable = report.testRuns.unreadable
    .map((u) => `<li class="FAILED">${e(u.file)}: ${e(u.problem)}</li>`)
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(report.title)}</title><style>${STYLE}</style></head>
<body><h1>${e(report.title)}</h1>
<p>Generated ${e(report.generatedAt)} · workstation ${e(report.workstation.id ?? 'unknown')} · app ${e(report.workstation.appVersion)} · policy from ${e(report.workstation.policySource ?? 'no valid policy')}</p>
<p>Fuses: ${e(fuses(report))}</p>
<p><strong>${report.summary.met} of ${report.summary.controls} controls met${report.summary.attention.length ? `; needs attention: ${e(report.summary.attention.join(', '))}` : ''}.</strong></p>
<table><thead><tr><th>Control</th><th>Safeguard</th><th>Status</th><th>Tests (last run)</th></tr></thead><tbody>
${summary}
</tbody></table>
${sections}
<h2>Test runs read</h2>${runs}${unreadable ? `<ul>${unreadable}</ul>` : ''}
</body></html>
`;
}
