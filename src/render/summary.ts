/**
 * The job summary, first version: verdict and why, counts by severity and class, suppressed
 * findings with their reasons, expired ignore rules. Pure Markdown from the decisions.
 */
import {
  SEVERITIES,
  type Decision,
  type ExpiredRule,
  type Finding,
  type Severity,
} from '../model.js';
import type { Tally } from '../policy/apply.js';
import type { Verdict } from '../policy/gate.js';

export interface SummaryInput {
  readonly verdict: Verdict;
  readonly failOn: string;
  readonly tally: Tally;
  readonly decisions: readonly Decision[];
  readonly expiredRules: readonly ExpiredRule[];
  readonly oldestCriticalDays: number | undefined;
  readonly sources: readonly string[];
}

/** At most this many suppressed findings are listed one by one. */
export const MAX_SUPPRESSED_ROWS = 200;

const CLASS_LABEL: Record<Finding['kind'], string> = {
  vulnerability: 'Vulnerabilities',
  misconfiguration: 'Misconfigurations',
  secret: 'Secrets',
  license: 'Licenses',
};

/**
 * Text from reports is untrusted: neutralise Markdown/HTML and table syntax, break @mentions.
 */
export function mdText(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/[\\`*_{}[\]()<>#+!|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/@(?=\w)/g, '@\u200b');
}

function severityCell(s: Severity): string {
  return s.charAt(0) + s.slice(1).toLowerCase();
}

export function renderSummary(input: SummaryInput): string {
  const { verdict, tally } = input;
  const lines: string[] = [];
  lines.push(`## supply-chain-guard: ${verdict.pass ? '✅ pass' : '❌ fail'}`);
  lines.push('');
  lines.push(`Gate \`fail-on: ${input.failOn}\`${verdict.newOnly ? ' (new findings only)' : ''}:`);
  for (const r of verdict.reasons) lines.push(`- ${r}`);
  lines.push('');
  lines.push(`| | ${SEVERITIES.map(severityCell).join(' | ')} | Total |`);
  lines.push(`|---|${SEVERITIES.map(() => '---:').join('|')}|---:|`);
  for (const kind of Object.keys(CLASS_LABEL) as Finding['kind'][]) {
    const row = tally.byClass[kind];
    const sum = SEVERITIES.reduce((n, s) => n + row[s], 0);
    lines.push(`| ${CLASS_LABEL[kind]} | ${SEVERITIES.map((s) => row[s]).join(' | ')} | ${sum} |`);
  }
  lines.push(
    `| **All** | ${SEVERITIES.map((s) => `**${tally.counts[s]}**`).join(' | ')} | **${tally.total}** |`,
  );
  lines.push('');
  const extra = [
    `${tally.suppressed} suppressed`,
    `${tally.filtered} filtered by severity / ignore-unfixed`,
    `${tally.passed} passed checks`,
  ];
  if (input.oldestCriticalDays !== undefined) {
    extra.push(`oldest unpatched critical: ${input.oldestCriticalDays} days`);
  }
  lines.push(extra.join(' · '));
  lines.push('');
  const suppressed = input.decisions.filter((d) => d.suppression && !d.filtered);
  if (suppressed.length > 0) {
    lines.push(`<details><summary>Suppressed findings (${suppressed.length})</summary>`);
    lines.push('');
    lines.push('| ID | Severity | Where | Why | Expires |');
    lines.push('|---|---|---|---|---|');
    for (const d of suppressed.slice(0, MAX_SUPPRESSED_ROWS)) {
      const s = d.suppression!;
      const why =
        s.kind === 'ignore-file'
          ? `ignore file ${mdText(s.file)}${s.statement ? `: ${mdText(s.statement)}` : ''}`
          : `VEX ${s.status}${s.justification ? ` (${mdText(s.justification)})` : ''}${s.statement ? `: ${mdText(s.statement)}` : ''}`;
      const expires = s.kind === 'ignore-file' && s.expiresAt ? s.expiresAt : '';
      lines.push(
        `| ${mdText(d.finding.id)} | ${severityCell(d.finding.severity)} | ${mdText(d.finding.target)} | ${why} | ${expires} |`,
      );
    }
    if (suppressed.length > MAX_SUPPRESSED_ROWS) {
      lines.push('');
      lines.push(`…and ${suppressed.length - MAX_SUPPRESSED_ROWS} more.`);
    }
    lines.push('');
    lines.push('</details>');
    lines.push('');
  }
  if (input.expiredRules.length > 0) {
    lines.push('**Expired ignore rules** (no longer suppress):');
    for (const r of input.expiredRules) {
      lines.push(
        `- ${mdText(r.id)} in ${mdText(r.file)}, expired ${r.expiredAt}${r.statement ? `: ${mdText(r.statement)}` : ''}`,
      );
    }
    lines.push('');
  }
  lines.push(`Reports: ${input.sources.map((s) => `\`${s.replace(/`/g, "'")}\``).join(', ')}`);
  lines.push('');
  return lines.join('\n');
}
