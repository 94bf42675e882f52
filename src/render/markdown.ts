/**
 * The PR comment and the job summary, as GitHub-flavoured Markdown. Both show the verdict,
 * a severity table (new / unchanged / fixed with a baseline), a Mermaid chart, the findings
 * to fix first and collapsed sections for the rest, what was suppressed (reason, expiry) and
 * what the baseline says is fixed. The summary adds a section per target.
 *
 * Every string from a report goes through escape.ts. When the text would pass GitHub's limit
 * (65,536 characters for a comment, 1 MiB for a step summary) rows are dropped least severe
 * first and a note says how many and where to find them.
 */
import {
  SEVERITIES,
  severityRank,
  type Decision,
  type Decisions,
  type Finding,
  type ScanReport,
  type Severity,
  type Suppression,
} from '../model.js';
import type { Verdict } from '../policy/gate.js';
import {
  escapeCode,
  escapeHtmlInline,
  escapeMarkdownInline,
  markdownLink,
  safeUrl,
} from './escape.js';
import { artifactLabel, repoFilePath, type PathOptions } from './location.js';
import type { SarifOmission } from './sarif.js';

/** GitHub rejects issue and PR comments longer than this (characters). */
export const COMMENT_LIMIT = 65_536;
/** GitHub rejects a step summary larger than this (bytes). */
export const SUMMARY_LIMIT = 1024 * 1024;
/** Room kept for the hidden marker comment.ts prepends and for a safety margin. */
const COMMENT_RESERVE = 512;
const SUMMARY_RESERVE = 4096;

export interface MarkdownContext extends PathOptions {
  readonly verdict: Verdict;
  /** The `fail-on` rule as the user wrote it (`formatRule`). */
  readonly failOn: string;
  /** `https://github.com/owner/repo`: file links for config and secret findings. */
  readonly repoUrl?: string;
  /** The commit the file links point at (the PR head, else the pushed commit). */
  readonly headSha?: string;
  /** Where the full report is: the workflow run (its summary). */
  readonly runUrl?: string;
  /** Extra heading text that tells matrix legs apart (the comment key or target). */
  readonly title?: string;
  /** What SARIF left out because of GitHub's limits. */
  readonly sarifOmissions?: readonly SarifOmission[];
  /** How many findings the "fix first" table shows. @default 10 */
  readonly topCount?: number;
  /** Overrides the limit (tests). */
  readonly maxLength?: number;
  /** Plain lines from the caller (counts of filtered / suppressed, the oldest critical). */
  readonly notes?: readonly string[];
}

const SEVERITY_ICON: Readonly<Record<Severity, string>> = {
  CRITICAL: '🔴',
  HIGH: '🟠',
  MEDIUM: '🟡',
  LOW: '🔵',
  UNKNOWN: '⚪',
};

function sev(s: Severity): string {
  return `${SEVERITY_ICON[s]} ${s}`;
}

/** A link to a file (and lines) in the repository at the head commit, when we know both. */
function fileLink(f: Finding, ctx: MarkdownContext): string {
  const file = repoFilePath(f, ctx);
  const start = f.kind === 'misconfiguration' || f.kind === 'secret' ? f.startLine : undefined;
  const end = f.kind === 'misconfiguration' || f.kind === 'secret' ? f.endLine : undefined;
  const lines =
    start === undefined ? '' : end !== undefined && end > start ? `:${start}-${end}` : `:${start}`;
  if (file === undefined) return escapeCode(`${f.target}${lines}`, 80);
  const label = escapeCode(`${file}${lines}`, 80);
  const base = safeUrl(ctx.repoUrl);
  if (base === undefined || ctx.headSha === undefined || !/^[0-9a-f]{7,64}$/i.test(ctx.headSha))
    return label;
  const anchor =
    start === undefined
      ? ''
      : end !== undefined && end > start
        ? `#L${start}-L${end}`
        : `#L${start}`;
  const encoded = file
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  return `[${label}](${base.replace(/\/$/, '')}/blob/${ctx.headSha}/${encoded}${anchor})`;
}

function where(f: Finding, ctx: MarkdownContext): string {
  if (f.kind === 'misconfiguration' || f.kind === 'secret') return fileLink(f, ctx);
  const target = artifactLabel({ name: f.artifact, type: f.artifactType }, ctx);
  const inner =
    f.kind === 'vulnerability' && f.pkgPath
      ? f.pkgPath
      : f.resultClass === 'os-pkgs'
        ? ''
        : f.target;
  return escapeCode(inner ? `${target} › ${inner}` : target, 80);
}

function what(f: Finding): string {
  switch (f.kind) {
    case 'vulnerability':
      return escapeCode(f.pkgName, 60);
    case 'misconfiguration':
      return escapeMarkdownInline(f.title || f.message, 80);
    case 'secret':
      return `${escapeMarkdownInline(f.title, 60)} (${escapeMarkdownInline(f.category, 30)})`;
    case 'license':
      return `${escapeCode(f.licenseName, 40)}${f.pkgName ? ` in ${escapeCode(f.pkgName, 40)}` : ''}`;
  }
}

function fix(f: Finding): string {
  switch (f.kind) {
    case 'vulnerability': {
      const fixed = f.fixedVersion
        ? escapeCode(f.fixedVersion, 40)
        : `_no fix${f.status ? ` (${escapeMarkdownInline(f.status, 20)})` : ''}_`;
      return `${escapeCode(f.installedVersion, 40)} → ${fixed}`;
    }
    case 'misconfiguration':
      return f.resolution ? escapeMarkdownInline(f.resolution, 100) : '';
    case 'secret':
      return 'remove it and rotate the credential';
    case 'license':
      return escapeMarkdownInline(f.category, 30);
  }
}

function idCell(f: Finding): string {
  return markdownLink(f.id, f.primaryUrl, 60);
}

function stateCell(d: Decision): string {
  return d.baseline === 'new' ? '🆕 new' : d.baseline === 'unchanged' ? 'unchanged' : '';
}

const FINDING_HEAD_BASE = ['Severity', 'ID', 'Package / check', 'Installed → fixed / fix', 'Where'];

function findingHeader(hasBaseline: boolean): string[] {
  const cols = hasBaseline ? [...FINDING_HEAD_BASE, 'Baseline'] : FINDING_HEAD_BASE;
  return [`| ${cols.join(' | ')} |`, `|${cols.map(() => ' --- ').join('|')}|`];
}

function findingRow(d: Decision, ctx: MarkdownContext, hasBaseline: boolean): string {
  const f = d.finding;
  const cells = [sev(f.severity), idCell(f), what(f), fix(f), where(f, ctx)];
  if (hasBaseline) cells.push(stateCell(d));
  return `| ${cells.join(' | ')} |`;
}

function suppressionReason(s: Suppression): { reason: string; expires: string } {
  switch (s.kind) {
    case 'ignore-file':
      return {
        reason: `${escapeCode(s.file, 60)}${s.statement ? `: ${escapeMarkdownInline(s.statement, 160)}` : ''}`,
        expires: s.expiresAt ? escapeCode(s.expiresAt, 30) : 'never',
      };
    case 'vex': {
      const detail = [s.justification, s.statement].filter((x): x is string => !!x).join(': ');
      return {
        reason: `VEX ${escapeMarkdownInline(s.status, 20)} (${escapeCode(s.document, 60)})${detail ? `: ${escapeMarkdownInline(detail, 160)}` : ''}`,
        expires: '—',
      };
    }
  }
}

function suppressedRow(d: Decision, ctx: MarkdownContext): string {
  const f = d.finding;
  const { reason, expires } = suppressionReason(d.suppression!);
  return `| ${sev(f.severity)} | ${idCell(f)} | ${what(f)} | ${where(f, ctx)} | ${reason} | ${expires} |`;
}

function fixedRow(f: Finding, ctx: MarkdownContext): string {
  return `| ${sev(f.severity)} | ${idCell(f)} | ${what(f)} | ${where(f, ctx)} |`;
}

interface Counts {
  total: Record<Severity, number>;
  fresh: Record<Severity, number>;
  unchanged: Record<Severity, number>;
  fixed: Record<Severity, number>;
  suppressed: Record<Severity, number>;
}

function zero(): Record<Severity, number> {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
}

function countAll(decisions: readonly Decision[], fixed: readonly Finding[]): Counts {
  const c: Counts = {
    total: zero(),
    fresh: zero(),
    unchanged: zero(),
    fixed: zero(),
    suppressed: zero(),
  };
  for (const d of decisions) {
    const s = d.finding.severity;
    if (d.counted) {
      c.total[s] += 1;
      if (d.baseline === 'new') c.fresh[s] += 1;
      if (d.baseline === 'unchanged') c.unchanged[s] += 1;
    } else if (d.suppression !== undefined && d.filtered === undefined) {
      c.suppressed[s] += 1;
    }
  }
  for (const f of fixed) c.fixed[f.severity] += 1;
  return c;
}

function severityTable(c: Counts, hasBaseline: boolean): string[] {
  const cols = hasBaseline
    ? ['Severity', 'Findings', 'New', 'Unchanged', 'Fixed', 'Suppressed']
    : ['Severity', 'Findings', 'Suppressed'];
  const sum = (r: Record<Severity, number>): number => SEVERITIES.reduce((n, s) => n + r[s], 0);
  const row = (label: string, get: (r: Record<Severity, number>) => number): string => {
    const cells = hasBaseline
      ? [get(c.total), get(c.fresh), get(c.unchanged), get(c.fixed), get(c.suppressed)]
      : [get(c.total), get(c.suppressed)];
    return `| ${label} | ${cells.join(' | ')} |`;
  };
  return [
    `| ${cols.join(' | ')} |`,
    `|${cols.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...SEVERITIES.map((s) => row(sev(s), (r) => r[s])),
    row('**Total**', sum),
  ];
}

function chart(c: Counts): string[] {
  const slices = SEVERITIES.filter((s) => c.total[s] > 0);
  if (slices.length === 0) return [];
  return [
    '```mermaid',
    'pie showData title Findings by severity',
    ...slices.map((s) => `    "${s}" : ${c.total[s]}`),
    '```',
  ];
}

/** Findings to fix first: most severe, new before unchanged, fixable before not. */
/** Most severe first; then new before unchanged; then fixable before unfixable. */
function fixFirstKey(d: Decision): number {
  const f = d.finding;
  const unchanged = d.baseline === 'unchanged' ? 1 : 0;
  const unfixable = f.kind === 'vulnerability' && !f.fixedVersion ? 1 : 0;
  return severityRank(f.severity) * 4 + unchanged * 2 + unfixable;
}

/** Sorted by fixFirstKey, keys computed once (the sort is stable: report order otherwise). */
function fixFirst(decisions: readonly Decision[]): Decision[] {
  return decisions
    .map((d) => ({ k: fixFirstKey(d), d }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.d);
}

function details(summary: string, body: readonly string[]): string[] {
  if (body.length === 0) return [];
  // The blank line after <summary> lets GitHub render the Markdown table inside.
  return [
    '<details>',
    `<summary>${escapeHtmlInline(summary)}</summary>`,
    '',
    ...body,
    '',
    '</details>',
    '',
  ];
}

/** One trimmable row: its severity decides when it is dropped. */
/** A table row; its text is rendered on first use, so rows that never fit cost nothing. */
interface Row {
  readonly rank: number;
  readonly group: number;
  readonly order: number;
  readonly text: string;
}

function header(
  ctx: MarkdownContext,
  reports: readonly ScanReport[],
  decisions: Decisions,
): string[] {
  const v = ctx.verdict;
  const title = ctx.title ? ` — ${escapeMarkdownInline(ctx.title, 100)}` : '';
  const lines = [
    `## ${v.pass ? '✅' : '❌'} Supply chain guard: ${v.pass ? 'passed' : 'failed'}${title}`,
    '',
    `**Gate** fail-on ${escapeCode(ctx.failOn, 60)}${v.newOnly ? ' (new findings only)' : ''}: ${v.reasons
      .map((r) => escapeMarkdownInline(r, 200))
      .join('; ')}`,
    '',
  ];
  if (ctx.notes && ctx.notes.length > 0) lines.push(ctx.notes.join(' · '), '');
  const targets = [...new Set(reports.map((r) => artifactLabel(r.artifact, ctx)))];
  if (targets.length > 0) {
    const shown = targets.slice(0, 10).map((t) => escapeCode(t, 80));
    lines.push(
      `**Scanned** ${shown.join(', ')}${targets.length > 10 ? ` and ${targets.length - 10} more` : ''}`,
      '',
    );
  }
  if (decisions.expiredRules.length > 0) {
    lines.push(
      `> [!WARNING]`,
      `> ${decisions.expiredRules.length} ignore rule(s) expired and no longer suppress: ${decisions.expiredRules
        .slice(0, 10)
        .map(
          (r) =>
            `${escapeCode(r.id, 40)} in ${escapeCode(r.file, 60)} (expired ${escapeCode(r.expiredAt, 30)})`,
        )
        .join(', ')}`,
      '',
    );
  }
  for (const o of ctx.sarifOmissions ?? []) {
    lines.push(
      `> [!NOTE]`,
      `> SARIF for ${escapeCode(o.category, 80)} left out ${o.omitted} result(s) (the most severe of them ${o.mostSevereOmitted}) to stay within GitHub's code-scanning limits.`,
      '',
    );
  }
  return lines;
}

interface Sections {
  readonly head: readonly string[];
  /** Titled groups of rows; each becomes a collapsed table. */
  readonly groups: readonly {
    readonly title: string;
    readonly tableHead: readonly string[];
    readonly rows: readonly Row[];
    readonly open?: boolean;
    /** Append the row count to the title (per-target titles carry their own counts). */
    readonly counted?: boolean;
  }[];
}

/** Join the sections keeping only rows in `keep`, with a note on what was dropped. */
function compose(
  s: Sections,
  keep: ReadonlySet<Row> | undefined,
  dropped: number,
  note: string,
): string {
  const out = [...s.head];
  for (const g of s.groups) {
    const rows = keep === undefined ? g.rows : g.rows.filter((r) => keep.has(r));
    const hidden = g.rows.length - rows.length;
    if (g.rows.length === 0) continue;
    const title =
      hidden > 0
        ? `${g.title} (${rows.length} of ${g.rows.length} shown)`
        : g.counted === false
          ? g.title
          : `${g.title} (${g.rows.length})`;
    const body =
      rows.length > 0
        ? [...g.tableHead, ...rows.map((r) => r.text)]
        : ['_All rows left out for length._'];
    if (g.open) out.push(`### ${escapeMarkdownInline(title)}`, '', ...body, '');
    else out.push(...details(title, body));
  }
  if (dropped > 0)
    out.push(
      `> [!NOTE]`,
      `> ${dropped} less severe row(s) were left out to fit GitHub's limit. ${note}`,
      '',
    );
  return out.join('\n');
}

/** The largest prefix of rows (most severe first) whose rendering fits `limit`. */
function fit(s: Sections, limit: number, measure: (t: string) => number, note: string): string {
  const all = s.groups
    .flatMap((g) => g.rows)
    .sort((a, b) => a.rank - b.rank || a.group - b.group || a.order - b.order);
  const render = (n: number): string => compose(s, new Set(all.slice(0, n)), all.length - n, note);
  // Rows add their own length plus a newline; the rest (head, titles, the note) is measured
  // with no rows at all. One pass, most severe first, finds how many fit, rendering only
  // those; titles that grow ("12 of 400 shown") are covered by the slack, and a final check
  // backs off if it was not enough.
  const slack = 256 + 32 * s.groups.length;
  let budget = limit - measure(render(0)) - slack;
  let n = 0;
  while (n < all.length) {
    const cost = measure(all[n]!.text) + 1;
    if (cost > budget) break;
    budget -= cost;
    n++;
  }
  if (n === all.length) {
    const full = compose(s, undefined, 0, note);
    if (measure(full) <= limit) return full;
  }
  let text = render(n);
  while (n > 0 && measure(text) > limit) {
    n = Math.floor(n * 0.9);
    text = render(n);
  }
  // Even with no rows the head alone could be too long (thousands of targets): cut it hard.
  return measure(text) <= limit
    ? text
    : `${text.slice(0, Math.max(0, limit - 200))}\n\n_… cut to fit GitHub's limit._\n`;
}

function rowsOf<T>(
  items: readonly T[],
  group: number,
  rank: (t: T) => number,
  text: (t: T) => string,
): Row[] {
  return items.map((t, order) => {
    let rendered: string | undefined;
    return {
      rank: rank(t),
      group,
      order,
      get text() {
        return (rendered ??= text(t));
      },
    };
  });
}

function buildSections(
  reports: readonly ScanReport[],
  decisions: Decisions,
  ctx: MarkdownContext,
  perTarget: boolean,
): Sections {
  const hasBaseline = decisions.hasBaseline;
  const counted = fixFirst(decisions.decisions.filter((d) => d.counted));
  const suppressed = fixFirst(
    decisions.decisions.filter(
      (d) => !d.counted && d.suppression !== undefined && d.filtered === undefined,
    ),
  );
  const fixed = [...decisions.fixed].sort(
    (a, b) => severityRank(a.severity) - severityRank(b.severity),
  );
  const c = countAll(decisions.decisions, decisions.fixed);
  const topCount = ctx.topCount ?? 10;
  const top = counted.slice(0, topCount);
  const head = [
    ...header(ctx, reports, decisions),
    ...severityTable(c, hasBaseline),
    '',
    ...chart(c),
    '',
  ];
  if (top.length > 0) {
    head.push(
      `### Fix first`,
      '',
      ...findingHeader(hasBaseline),
      ...top.map((d) => findingRow(d, ctx, hasBaseline)),
      '',
    );
  } else {
    head.push('No findings count toward the gate. 🎉', '');
  }
  const rank = (d: Decision): number => severityRank(d.finding.severity);
  const groups: Sections['groups'][number][] = [];
  if (perTarget) {
    const byTarget = new Map<string, Decision[]>();
    for (const r of reports) byTarget.set(artifactLabel(r.artifact, ctx), []);
    for (const d of counted) {
      const t = artifactLabel({ name: d.finding.artifact, type: d.finding.artifactType }, ctx);
      const list = byTarget.get(t);
      if (list === undefined) byTarget.set(t, [d]);
      else list.push(d);
    }
    let group = 0;
    for (const [target, list] of byTarget) {
      const report = reports.find((r) => artifactLabel(r.artifact, ctx) === target);
      const os = report?.artifact.os;
      const facts = [
        os ? `${os.family} ${os.name}${os.eosl ? ' (end of life)' : ''}` : undefined,
        report?.trivyVersion ? `Trivy ${report.trivyVersion}` : undefined,
      ].filter((x): x is string => x !== undefined);
      const t = zero();
      for (const d of list) t[d.finding.severity] += 1;
      const countsLine = SEVERITIES.filter((s) => t[s] > 0)
        .map((s) => `${t[s]} ${s}`)
        .join(', ');
      groups.push({
        title: `${target}: ${countsLine || 'no findings'}${facts.length ? ` — ${facts.join(', ')}` : ''}`,
        tableHead: findingHeader(hasBaseline),
        rows: rowsOf(list, group++, rank, (d) => findingRow(d, ctx, hasBaseline)),
        counted: false,
      });
    }
  } else if (counted.length > top.length) {
    groups.push({
      title: 'All findings',
      tableHead: findingHeader(hasBaseline),
      rows: rowsOf(counted, 0, rank, (d) => findingRow(d, ctx, hasBaseline)),
    });
  }
  groups.push({
    title: 'Suppressed',
    tableHead: [
      '| Severity | ID | Package / check | Where | Reason | Expires |',
      '| --- | --- | --- | --- | --- | --- |',
    ],
    rows: rowsOf(suppressed, 1000, rank, (d) => suppressedRow(d, ctx)),
  });
  if (hasBaseline) {
    groups.push({
      title: 'Fixed since the baseline',
      tableHead: ['| Severity | ID | Package / check | Where |', '| --- | --- | --- | --- |'],
      rows: rowsOf(
        fixed,
        1001,
        (f) => severityRank(f.severity),
        (f) => fixedRow(f, ctx),
      ),
    });
  }
  return { head, groups };
}

function runLink(ctx: MarkdownContext, text: string): string {
  const url = safeUrl(ctx.runUrl);
  return url === undefined ? text : `[${text}](${url})`;
}

/** The sticky PR comment (without its marker), at most 65,536 characters with the marker. */
export function renderComment(
  reports: readonly ScanReport[],
  decisions: Decisions,
  ctx: MarkdownContext,
): string {
  const sections = buildSections(reports, decisions, ctx, false);
  const footer = `\n<sub>${runLink(ctx, 'Full report in the job summary')} · generated by supply-chain-guard</sub>\n`;
  const limit = (ctx.maxLength ?? COMMENT_LIMIT) - COMMENT_RESERVE - footer.length;
  const note = `${runLink(ctx, 'The job summary')} has every finding.`;
  return fit(sections, limit, (t) => t.length, note) + footer;
}

/** The job summary: everything, per target, at most 1 MiB. */
export function renderSummary(
  reports: readonly ScanReport[],
  decisions: Decisions,
  ctx: MarkdownContext,
): string {
  const sections = buildSections(reports, decisions, ctx, true);
  const limit = (ctx.maxLength ?? SUMMARY_LIMIT) - SUMMARY_RESERVE;
  const note = 'The SARIF file and the uploaded reports have every finding.';
  return fit(sections, limit, (t) => Buffer.byteLength(t, 'utf8'), note);
}
