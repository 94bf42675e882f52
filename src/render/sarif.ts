/**
 * SARIF 2.1.0 for GitHub code scanning, rendered from the findings model.
 * Spec: https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html
 * GitHub's subset and limits: https://docs.github.com/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
 *
 * One run per target (category), so matrix legs and fan-in jobs never overwrite each
 * other's alerts; an empty run is still emitted for a clean target so its old alerts close.
 * Results carry `partialFingerprints` built from stable identities only (never an image
 * tag or digest). All reported severities are included: the gate is applied elsewhere.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import {
  isFailing,
  severityRank,
  type Decision,
  type Decisions,
  type Finding,
  type ScanReport,
  type Severity,
  type Suppression,
} from '../model.js';
import { canonicalCheckId } from '../policy/identity.js';
import { escapeMarkdownInline, safeUrl, truncate } from './escape.js';
import {
  imageLogicalPath,
  isImageArtifact,
  repoFilePath,
  repoRelative,
  stableTarget,
  targetCategory,
  toUriPath,
  type PathOptions,
} from './location.js';

/** GitHub's limits for one upload (see the REST description of `code-scanning/upload-sarif`). */
export const SARIF_LIMITS = {
  runsPerFile: 20,
  resultsPerRun: 25_000,
  gzipBytes: 10 * 1024 * 1024,
  tagsPerRule: 20,
} as const;

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
export const FINGERPRINT_KEY = 'supplyChainGuardFinding/v1';
const TOOL_NAME = 'supply-chain-guard';
const TOOL_URI = 'https://github.com/supply-chain-guard/supply-chain-guard';

/** Fallback `security-severity` when there is no CVSS score (Trivy uses the same values). */
const SEVERITY_SCORE: Readonly<Record<Severity, string | undefined>> = {
  CRITICAL: '9.5',
  HIGH: '8.0',
  MEDIUM: '5.5',
  LOW: '2.0',
  UNKNOWN: undefined,
};

export type SarifLevel = 'error' | 'warning' | 'note';

export interface SarifMessage {
  readonly text: string;
}

export interface SarifRegion {
  readonly startLine: number;
  readonly endLine?: number;
}

export interface SarifLocation {
  readonly physicalLocation: {
    readonly artifactLocation: { readonly uri: string };
    readonly region: SarifRegion;
  };
  readonly message?: SarifMessage;
}

export interface SarifRule {
  readonly id: string;
  readonly name: string;
  readonly shortDescription: SarifMessage;
  readonly fullDescription: SarifMessage;
  readonly helpUri?: string;
  readonly help: { readonly text: string; readonly markdown: string };
  readonly defaultConfiguration: { readonly level: SarifLevel };
  readonly properties: {
    readonly 'security-severity'?: string;
    readonly precision: 'very-high' | 'high';
    readonly tags: readonly string[];
  };
}

export interface SarifResult {
  readonly ruleId: string;
  readonly ruleIndex: number;
  readonly level: SarifLevel;
  readonly message: SarifMessage;
  readonly locations: readonly SarifLocation[];
  readonly partialFingerprints: Readonly<Record<string, string>>;
  readonly baselineState?: 'new' | 'unchanged';
  readonly suppressions?: readonly {
    readonly kind: 'external';
    readonly status: 'accepted';
    readonly justification: string;
  }[];
  readonly properties: { readonly severity: Severity; readonly findingClass: Finding['kind'] };
}

export interface SarifRun {
  readonly tool: {
    readonly driver: {
      readonly name: string;
      readonly fullName: string;
      readonly informationUri: string;
      readonly version: string;
      readonly rules: readonly SarifRule[];
    };
  };
  readonly automationDetails: { readonly id: string };
  readonly columnKind: 'utf16CodeUnits';
  readonly results: readonly SarifResult[];
  readonly properties: { readonly target: string; readonly trivyVersion?: string };
}

export interface SarifLog {
  readonly $schema: string;
  readonly version: '2.1.0';
  readonly runs: readonly SarifRun[];
}

export interface SarifOptions extends PathOptions {
  /** This action's version, for `tool.driver.version`. */
  readonly toolVersion: string;
  /** The `sarif-category` input: the category of a single target, else a prefix. */
  readonly category?: string;
  /** Repository-relative Dockerfile of the scanned image: image findings are anchored to it. */
  readonly dockerfile?: string;
  /** The line to anchor image findings at in the Dockerfile (its last `FROM`). @default 1 */
  readonly dockerfileLine?: number;
  /** @default SARIF_LIMITS.resultsPerRun */
  readonly maxResultsPerRun?: number;
  /** @default SARIF_LIMITS.gzipBytes */
  readonly maxGzipBytes?: number;
  /**
   * Include suppressed findings, marked with an accepted external `suppressions` entry. Off by
   * default: code scanning does not dismiss alerts from `suppressions` by itself, so a
   * suppressed finding would reappear as an open alert (Trivy leaves ignored findings out too).
   * @default false
   */
  readonly includeSuppressed?: boolean;
}

/** What did not fit GitHub's limits, per category: for the log and the summary. */
export interface SarifOmission {
  readonly category: string;
  readonly omitted: number;
  /** The most severe severity that was dropped. */
  readonly mostSevereOmitted: Severity;
}

export interface SarifRender {
  readonly log: SarifLog;
  readonly omissions: readonly SarifOmission[];
  readonly resultCount: number;
}

export function sarifLevel(s: Severity): SarifLevel {
  if (s === 'CRITICAL' || s === 'HIGH') return 'error';
  if (s === 'MEDIUM') return 'warning';
  return 'note';
}

/** `security-severity`: the CVSS score of the severity source, else the severity's default. */
export function securitySeverity(f: Finding): string | undefined {
  if (f.kind === 'vulnerability' && f.cvssScore !== undefined && f.cvssScore > 0) {
    return Math.min(10, f.cvssScore).toFixed(1);
  }
  return SEVERITY_SCORE[f.severity];
}

/** The rule ID Trivy's own SARIF uses for this finding. */
export function ruleIdOf(f: Finding): string {
  return f.kind === 'license' ? `license:${f.licenseName}` : f.id;
}

function ruleName(f: Finding): string {
  switch (f.kind) {
    case 'vulnerability':
      return f.resultClass === 'os-pkgs'
        ? 'OsPackageVulnerability'
        : 'LanguageSpecificPackageVulnerability';
    case 'misconfiguration':
      return 'Misconfiguration';
    case 'secret':
      return 'Secret';
    case 'license':
      return 'License';
  }
}

/** The stable identity a fingerprint is built from: what the finding is and where, nothing volatile. */
function fingerprintParts(f: Finding, category: string, uri: string): readonly (string | number)[] {
  switch (f.kind) {
    case 'vulnerability':
      return [
        category,
        'vuln',
        f.id,
        f.pkgName,
        f.pkgPath ?? '',
        stableTarget(f),
        f.fixedVersion ?? '',
      ];
    case 'misconfiguration':
      return [
        category,
        'misconf',
        canonicalCheckId(f),
        uri,
        f.resource ?? '',
        f.startLine ?? 0,
        f.endLine ?? 0,
      ];
    case 'secret':
      return [category, 'secret', f.id, uri, f.startLine ?? 0, f.endLine ?? 0];
    case 'license':
      return [
        category,
        'license',
        f.licenseName,
        f.pkgName ?? '',
        f.filePath ?? '',
        stableTarget(f),
      ];
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function lineRegion(start: number | undefined, end: number | undefined): SarifRegion {
  if (start === undefined || start < 1) return { startLine: 1 };
  return end !== undefined && end > start
    ? { startLine: start, endLine: end }
    : { startLine: start };
}

function resultLocation(f: Finding, opts: SarifOptions): { uri: string; region: SarifRegion } {
  if (isImageArtifact(f.artifactType)) {
    const dockerfile =
      opts.dockerfile === undefined ? undefined : repoRelative(opts.dockerfile, opts);
    if (dockerfile !== undefined) {
      return {
        uri: toUriPath(dockerfile),
        region: { startLine: Math.max(1, opts.dockerfileLine ?? 1) },
      };
    }
    const logical = imageLogicalPath(f);
    const lines = f.kind === 'secret' ? lineRegion(f.startLine, f.endLine) : { startLine: 1 };
    return { uri: toUriPath(logical) || 'image', region: lines };
  }
  const file =
    repoFilePath(f, opts) ?? (f.target !== '' && f.target !== '.' ? f.target : f.artifact);
  const uri = toUriPath(file) || toUriPath(f.artifact) || 'unknown';
  switch (f.kind) {
    case 'misconfiguration':
    case 'secret':
      return { uri, region: lineRegion(f.startLine, f.endLine) };
    default:
      return { uri, region: { startLine: 1 } };
  }
}

function resultMessage(f: Finding): string {
  switch (f.kind) {
    case 'vulnerability': {
      const fix =
        f.fixedVersion !== undefined && f.fixedVersion !== ''
          ? `Fixed version: ${f.fixedVersion}`
          : `No fixed version${f.status !== undefined ? ` (status: ${f.status})` : ''}`;
      return [
        `${f.id} (${f.severity}) in package ${f.pkgName} ${f.installedVersion}`,
        fix,
        f.pkgPath !== undefined ? `Path: ${f.pkgPath}` : `Target: ${f.target}`,
        truncate(f.title, 300),
      ].join('\n');
    }
    case 'misconfiguration':
      return [
        `${f.id} (${f.severity}): ${truncate(f.message || f.title, 1000)}`,
        ...(f.resource !== undefined ? [`Resource: ${f.resource}`] : []),
        ...(f.resolution !== undefined ? [`Resolution: ${truncate(f.resolution, 500)}`] : []),
      ].join('\n');
    case 'secret':
      // Never the match or the code: only what kind of secret and where.
      return `${f.severity} secret: ${truncate(f.title, 200)} (${f.category}, rule ${f.id}) in ${f.target}`;
    case 'license':
      return `${f.pkgName ?? f.filePath ?? f.target} uses license ${f.licenseName} (${f.category}, ${f.severity})`;
  }
}

function suppressionText(s: Suppression): string {
  switch (s.kind) {
    case 'ignore-file':
      return [
        `ignored by ${s.file}`,
        ...(s.statement !== undefined ? [s.statement] : []),
        ...(s.expiresAt !== undefined ? [`until ${s.expiresAt}`] : []),
      ].join(': ');
    case 'vex':
      return [`VEX ${s.status} (${s.document})`, s.justification, s.statement]
        .filter((x): x is string => x !== undefined && x !== '')
        .join(': ');
  }
}

interface RuleDraft {
  readonly first: Finding;
  worst: Severity;
  score: string | undefined;
  readonly fixes: Map<string, string>;
  readonly cwes: Set<string>;
}

function scoreValue(s: string | undefined): number {
  return s === undefined ? 0 : Number(s);
}

function buildRule(id: string, d: RuleDraft): SarifRule {
  const f = d.first;
  const refs = referencesOf(f);
  const description = truncate((f.description ?? f.title).trim() || f.title || id, 4000);
  const fixLines = [...d.fixes.entries()].slice(0, 20).map(([pkg, fix]) => `${pkg}: ${fix}`);
  const textParts = [
    `${ruleName(f)} ${id}`,
    `Severity: ${d.worst}`,
    ...(fixLines.length > 0 ? ['Fixed versions:', ...fixLines.map((l) => `  ${l}`)] : []),
    ...(f.kind === 'misconfiguration' && f.resolution !== undefined
      ? [`Resolution: ${f.resolution}`]
      : []),
    '',
    description,
    ...(refs.length > 0 ? ['', 'References:', ...refs.map((r) => `  ${r}`)] : []),
  ];
  const mdParts = [
    `**${escapeMarkdownInline(`${ruleName(f)} ${id}`, 300)}** (${d.worst})`,
    '',
    ...(fixLines.length > 0
      ? [
          '| Package | Fixed version |',
          '| --- | --- |',
          ...[...d.fixes.entries()]
            .slice(0, 20)
            .map(
              ([p, v]) => `| ${escapeMarkdownInline(p, 120)} | ${escapeMarkdownInline(v, 120)} |`,
            ),
          '',
        ]
      : []),
    ...(f.kind === 'misconfiguration' && f.resolution !== undefined
      ? [`Resolution: ${escapeMarkdownInline(f.resolution, 1000)}`, '']
      : []),
    escapeMarkdownInline(description, 4000),
    ...(refs.length > 0 ? ['', '**References**', '', ...refs.map((r) => `- <${r}>`)] : []),
  ];
  const tags = [
    'security',
    f.kind,
    d.worst,
    ...[...d.cwes].map((c) => `external/cwe/${c.toLowerCase()}`),
  ];
  const helpUri = safeUrl(f.primaryUrl);
  return {
    id,
    name: ruleName(f),
    shortDescription: { text: truncate(f.title.trim() || id, 1000) },
    fullDescription: { text: description },
    ...(helpUri !== undefined && { helpUri }),
    help: { text: textParts.join('\n'), markdown: mdParts.join('\n') },
    defaultConfiguration: { level: sarifLevel(d.worst) },
    properties: {
      ...(d.score !== undefined && { 'security-severity': d.score }),
      precision: 'very-high',
      tags: [...new Set(tags)].slice(0, SARIF_LIMITS.tagsPerRule),
    },
  };
}

function referencesOf(f: Finding): string[] {
  const raw = f.kind === 'vulnerability' || f.kind === 'misconfiguration' ? f.references : [];
  const out: string[] = [];
  for (const r of [f.primaryUrl, ...raw]) {
    const u = safeUrl(r);
    if (u !== undefined && !out.includes(u)) out.push(u);
    if (out.length >= 10) break;
  }
  return out;
}

interface ResultDraft {
  readonly category: string;
  readonly decision: Decision;
  readonly order: number;
}

interface RunDraft {
  readonly category: string;
  readonly target: string;
  trivyVersion?: string;
  readonly results: ResultDraft[];
}

function reportedDecision(d: Decision, includeSuppressed: boolean): boolean {
  if (d.suppression !== undefined && !includeSuppressed) return false;
  return d.filtered === undefined && isFailing(d.finding);
}

function byArtifact(a: { readonly name: string; readonly type: string }): string {
  return `${a.type}\u0000${a.name}`;
}

/**
 * Render the SARIF log: one run per target, results most severe first, trimmed to GitHub's
 * limits (the most severe kept). Pure: the caller writes and uploads it.
 */
export function renderSarif(
  reports: readonly ScanReport[],
  decisions: Decisions,
  opts: SarifOptions,
): SarifRender {
  const runs = new Map<string, RunDraft>();
  const runOfArtifact = new Map<string, RunDraft>();
  const ensureRun = (
    artifact: { readonly name: string; readonly type: string },
    trivyVersion?: string,
  ): RunDraft => {
    const key = byArtifact(artifact);
    let run = runOfArtifact.get(key);
    if (run === undefined) {
      const category = targetCategory(artifact, opts);
      run = runs.get(category);
      if (run === undefined) {
        run = { category, target: category.slice(category.indexOf(':') + 1), results: [] };
        runs.set(category, run);
      }
      runOfArtifact.set(key, run);
    }
    if (trivyVersion !== undefined) run.trivyVersion = trivyVersion;
    return run;
  };
  for (const r of reports) ensureRun(r.artifact, r.trivyVersion);
  let order = 0;
  for (const d of decisions.decisions) {
    if (!reportedDecision(d, opts.includeSuppressed ?? false)) continue;
    const run = ensureRun({ name: d.finding.artifact, type: d.finding.artifactType });
    run.results.push({ category: run.category, decision: d, order: order++ });
  }

  const drafts = [...runs.values()];
  const single = drafts.length === 1;
  const categoryOf = (run: RunDraft): string =>
    opts.category === undefined || opts.category === ''
      ? run.category
      : single
        ? opts.category
        : `${opts.category}/${run.category}`;

  const maxPerRun = opts.maxResultsPerRun ?? SARIF_LIMITS.resultsPerRun;
  const omitted = new Map<string, { count: number; worst: Severity }>();
  const noteOmitted = (category: string, d: ResultDraft): void => {
    const o = omitted.get(category) ?? { count: 0, worst: 'UNKNOWN' as Severity };
    o.count += 1;
    if (severityRank(d.decision.finding.severity) < severityRank(o.worst))
      o.worst = d.decision.finding.severity;
    omitted.set(category, o);
  };
  const severityOrder = (a: ResultDraft, b: ResultDraft): number =>
    severityRank(a.decision.finding.severity) - severityRank(b.decision.finding.severity) ||
    a.order - b.order;
  const kept = new Map<RunDraft, ResultDraft[]>();
  for (const run of drafts) {
    const sorted = [...run.results].sort(severityOrder);
    for (const d of sorted.slice(maxPerRun)) noteOmitted(categoryOf(run), d);
    kept.set(run, sorted.slice(0, maxPerRun));
  }

  const build = (): SarifLog => ({
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: drafts.map((run) =>
      buildRun(run, categoryOf(run), kept.get(run) ?? [], decisions.hasBaseline, opts),
    ),
  });
  let log = build();
  const maxGzip = opts.maxGzipBytes ?? SARIF_LIMITS.gzipBytes;
  let size = gzipSync(JSON.stringify(log)).length;
  while (size > maxGzip) {
    // Drop the least severe results across all runs, in proportion to the excess.
    const all = drafts.flatMap((run) => (kept.get(run) ?? []).map((d) => ({ run, d })));
    if (all.length === 0) break;
    all.sort((a, b) => severityOrder(b.d, a.d));
    const drop = Math.max(1, Math.ceil(all.length * (1 - maxGzip / size) * 1.1));
    const dropped = new Set<ResultDraft>();
    for (const { run, d } of all.slice(0, drop)) {
      noteOmitted(categoryOf(run), d);
      dropped.add(d);
    }
    for (const run of drafts)
      kept.set(
        run,
        (kept.get(run) ?? []).filter((d) => !dropped.has(d)),
      );
    log = build();
    size = gzipSync(JSON.stringify(log)).length;
  }

  const omissions = [...omitted.entries()].map(([category, o]) => ({
    category,
    omitted: o.count,
    mostSevereOmitted: o.worst,
  }));
  const resultCount = log.runs.reduce((n, r) => n + r.results.length, 0);
  return { log, omissions, resultCount };
}

function buildRun(
  run: RunDraft,
  category: string,
  results: readonly ResultDraft[],
  hasBaseline: boolean,
  opts: SarifOptions,
): SarifRun {
  const rules = new Map<string, RuleDraft>();
  for (const { decision } of results) {
    const f = decision.finding;
    const id = ruleIdOf(f);
    let rule = rules.get(id);
    const score = securitySeverity(f);
    if (rule === undefined) {
      rule = { first: f, worst: f.severity, score, fixes: new Map(), cwes: new Set() };
      rules.set(id, rule);
    } else {
      if (severityRank(f.severity) < severityRank(rule.worst)) rule.worst = f.severity;
      if (scoreValue(score) > scoreValue(rule.score)) rule.score = score;
    }
    if (f.kind === 'vulnerability') {
      if (f.fixedVersion !== undefined && f.fixedVersion !== '')
        rule.fixes.set(f.pkgName, f.fixedVersion);
      for (const c of f.cweIds) rule.cwes.add(c);
    }
  }
  const ruleIds = [...rules.keys()];
  const ruleIndex = new Map(ruleIds.map((id, i) => [id, i]));
  const seen = new Map<string, number>();
  const sarifResults = results.map(({ decision }): SarifResult => {
    const f = decision.finding;
    const id = ruleIdOf(f);
    const { uri, region } = resultLocation(f, opts);
    let fp = sha256(JSON.stringify(fingerprintParts(f, category, uri)));
    // Two findings with the same identity (rare, e.g. a package listed twice) must not merge.
    const n = seen.get(fp) ?? 0;
    seen.set(fp, n + 1);
    if (n > 0) fp = `${fp}:${n}`;
    return {
      ruleId: id,
      ruleIndex: ruleIndex.get(id) ?? 0,
      level: sarifLevel(f.severity),
      message: { text: resultMessage(f) },
      locations: [{ physicalLocation: { artifactLocation: { uri }, region } }],
      partialFingerprints: { [FINGERPRINT_KEY]: fp },
      ...(hasBaseline && {
        baselineState: decision.baseline === 'new' ? ('new' as const) : ('unchanged' as const),
      }),
      ...(decision.suppression !== undefined && {
        suppressions: [
          {
            kind: 'external' as const,
            status: 'accepted' as const,
            justification: truncate(suppressionText(decision.suppression), 1000),
          },
        ],
      }),
      properties: { severity: f.severity, findingClass: f.kind },
    };
  });
  return {
    tool: {
      driver: {
        name: TOOL_NAME,
        fullName: 'supply-chain-guard (Trivy findings)',
        informationUri: TOOL_URI,
        version: opts.toolVersion,
        rules: ruleIds.map((id) => buildRule(id, rules.get(id)!)),
      },
    },
    automationDetails: { id: `${category}/` },
    columnKind: 'utf16CodeUnits',
    results: sarifResults,
    properties: {
      target: run.target,
      ...(run.trivyVersion !== undefined && { trivyVersion: run.trivyVersion }),
    },
  };
}

/** Split a log into files of at most `runsPerFile` runs (GitHub rejects more in one upload). */
export function splitRuns(
  log: SarifLog,
  runsPerFile: number = SARIF_LIMITS.runsPerFile,
): SarifLog[] {
  if (log.runs.length <= runsPerFile) return [log];
  const out: SarifLog[] = [];
  for (let i = 0; i < log.runs.length; i += runsPerFile) {
    out.push({ ...log, runs: log.runs.slice(i, i + runsPerFile) });
  }
  return out;
}
