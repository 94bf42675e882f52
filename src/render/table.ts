/**
 * The CLI's terminal view: counts by class and severity and the most severe findings.
 * Plain text, column-aligned, no colours (pipes and logs stay readable).
 */
import { SEVERITIES, severityRank, type Decision, type Finding } from '../model.js';
import type { Tally } from '../policy/apply.js';
import type { Verdict } from '../policy/gate.js';
import { truncate } from './escape.js';

export const TOP_FINDINGS = 20;

function pad(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) =>
    r
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd(),
  );
}

/** Control characters from report text never reach the terminal. */
function plain(text: string, max = 60): string {
  // eslint-disable-next-line no-control-regex
  return truncate(text.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' '), max);
}

function where(f: Finding): string {
  switch (f.kind) {
    case 'vulnerability':
      return `${f.pkgName} ${f.installedVersion}${f.fixedVersion ? ` → ${f.fixedVersion}` : ''}`;
    case 'misconfiguration':
      return `${f.target}${f.startLine ? `:${f.startLine}` : ''}`;
    case 'secret':
      return `${f.target}${f.startLine ? `:${f.startLine}` : ''}`;
    case 'license':
      return `${f.pkgName ?? f.filePath ?? f.target}`;
  }
}

export function renderTable(
  tally: Tally,
  decisions: readonly Decision[],
  verdict: Verdict,
): string {
  const out: string[] = [];
  const header = ['', ...SEVERITIES, 'TOTAL'];
  const rows = [header];
  for (const kind of ['vulnerability', 'misconfiguration', 'secret', 'license'] as const) {
    const row = tally.byClass[kind];
    rows.push([
      kind,
      ...SEVERITIES.map((s) => String(row[s])),
      String(SEVERITIES.reduce((n, s) => n + row[s], 0)),
    ]);
  }
  rows.push(['all', ...SEVERITIES.map((s) => String(tally.counts[s])), String(tally.total)]);
  out.push(...pad(rows));
  out.push('');
  out.push(
    `suppressed ${tally.suppressed}, filtered ${tally.filtered}, passed checks ${tally.passed}`,
  );
  const counted = decisions
    .filter((d) => d.counted)
    .sort((a, b) => severityRank(a.finding.severity) - severityRank(b.finding.severity));
  if (counted.length > 0) {
    out.push('');
    const top = [['SEVERITY', 'ID', 'WHERE', 'TITLE']];
    for (const d of counted.slice(0, TOP_FINDINGS)) {
      top.push([
        d.finding.severity,
        plain(d.finding.id, 30),
        plain(where(d.finding), 50),
        plain(d.finding.title),
      ]);
    }
    out.push(...pad(top));
    if (counted.length > TOP_FINDINGS) out.push(`… and ${counted.length - TOP_FINDINGS} more`);
  }
  out.push('');
  out.push(`verdict: ${verdict.pass ? 'PASS' : 'FAIL'}`);
  for (const r of verdict.reasons) out.push(`  - ${r}`);
  return out.join('\n');
}
