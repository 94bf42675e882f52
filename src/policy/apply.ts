/**
 * Findings → decisions: the `severity` and `ignore-unfixed` filters, ignore rules (with
 * expiry against an injected clock) and VEX statements. Nothing is dropped: every finding
 * gets a Decision that says whether it counts and, if not, why.
 */
import {
  SEVERITIES,
  isFailing,
  type Decision,
  type Decisions,
  type ExpiredRule,
  type Finding,
  type ScanReport,
  type Severity,
  type Suppression,
} from '../model.js';
import { emptyCounts } from './gate.js';
import { isExpired, ruleMatches, type IgnoreRule } from './ignore.js';
import { vexFor, type VexStatement } from './vex.js';

export interface PolicyInput {
  readonly severities: readonly Severity[];
  readonly ignoreUnfixed: boolean;
  readonly ignoreRules: readonly IgnoreRule[];
  readonly vex: readonly VexStatement[];
  readonly now: Date;
}

export function applyPolicy(reports: readonly ScanReport[], input: PolicyInput): Decisions {
  const severities = new Set(input.severities);
  const live: IgnoreRule[] = [];
  const expired = new Map<string, ExpiredRule>();
  for (const rule of input.ignoreRules) {
    if (!isExpired(rule, input.now)) live.push(rule);
  }
  const decisions: Decision[] = [];
  for (const report of reports) {
    for (const finding of report.findings) {
      decisions.push(decideOne(finding, severities, input, live, expired));
    }
  }
  return { decisions, fixed: [], expiredRules: [...expired.values()], hasBaseline: false };
}

function decideOne(
  finding: Finding,
  severities: ReadonlySet<Severity>,
  input: PolicyInput,
  live: readonly IgnoreRule[],
  expired: Map<string, ExpiredRule>,
): Decision {
  if (!severities.has(finding.severity)) {
    return { finding, filtered: 'severity', counted: false, gated: false };
  }
  if (input.ignoreUnfixed && finding.kind === 'vulnerability' && !finding.fixedVersion) {
    return { finding, filtered: 'unfixed', counted: false, gated: false };
  }
  const suppression = suppressionFor(finding, input, live, expired);
  if (suppression) return { finding, suppression, counted: false, gated: false };
  const counted = isFailing(finding);
  return { finding, counted, gated: counted };
}

function suppressionFor(
  finding: Finding,
  input: PolicyInput,
  live: readonly IgnoreRule[],
  expired: Map<string, ExpiredRule>,
): Suppression | undefined {
  const rule = live.find((r) => ruleMatches(r, finding));
  if (rule) {
    return {
      kind: 'ignore-file',
      file: rule.file,
      ...(rule.statement && { statement: rule.statement }),
      ...(rule.expiresAt && { expiresAt: rule.expiresAt }),
    };
  }
  // Report expired rules that would have matched: they are why a finding is back.
  for (const r of input.ignoreRules) {
    if (r.expiresAt && isExpired(r, input.now) && ruleMatches(r, finding)) {
      const key = `${r.file}|${r.id}|${r.expiresAt}`;
      if (!expired.has(key)) {
        expired.set(key, {
          file: r.file,
          id: r.id,
          expiredAt: r.expiresAt,
          ...(r.statement && { statement: r.statement }),
        });
      }
    }
  }
  if (finding.kind === 'vulnerability' && input.vex.length > 0) {
    const s = vexFor(input.vex, finding);
    if (s && (s.status === 'not_affected' || s.status === 'fixed')) {
      return {
        kind: 'vex',
        document: s.document,
        status: s.status,
        ...(s.justification && { justification: s.justification }),
        ...(s.statement && { statement: s.statement }),
      };
    }
  }
  return undefined;
}

export interface Tally {
  /** Counted findings by severity (the outputs `critical` … `unknown`). */
  readonly counts: Record<Severity, number>;
  /** Gated findings by severity (what the gate decides on). */
  readonly gateCounts: Record<Severity, number>;
  readonly total: number;
  readonly suppressed: number;
  /** Reported but not counted: filtered by `severity` / `ignore-unfixed`. */
  readonly filtered: number;
  /** Misconfiguration checks that passed. */
  readonly passed: number;
  /** Counted findings by class and severity, for tables. */
  readonly byClass: Record<Finding['kind'], Record<Severity, number>>;
}

export function tally(decisions: readonly Decision[]): Tally {
  const counts = emptyCounts();
  const gateCounts = emptyCounts();
  const byClass = {
    vulnerability: emptyCounts(),
    misconfiguration: emptyCounts(),
    secret: emptyCounts(),
    license: emptyCounts(),
  };
  let suppressed = 0;
  let filtered = 0;
  let passed = 0;
  for (const d of decisions) {
    const sev = d.finding.severity;
    if (d.counted) {
      counts[sev]++;
      byClass[d.finding.kind][sev]++;
    }
    if (d.gated) gateCounts[sev]++;
    if (d.filtered) filtered++;
    else if (d.suppression) suppressed++;
    else if (!d.counted) passed++;
  }
  const total = SEVERITIES.reduce((n, s) => n + counts[s], 0);
  return { counts, gateCounts, total, suppressed, filtered, passed, byClass };
}

const DAY_MS = 86_400_000;

/**
 * Age in whole days of the oldest counted CRITICAL vulnerability by `PublishedDate` (the SLI
 * "oldest unpatched critical CVE"); undefined when there is none with a date.
 */
export function oldestCriticalDays(decisions: readonly Decision[], now: Date): number | undefined {
  let oldest: number | undefined;
  for (const d of decisions) {
    const f = d.finding;
    if (!d.counted || f.kind !== 'vulnerability' || f.severity !== 'CRITICAL' || !f.publishedDate) {
      continue;
    }
    const t = Date.parse(f.publishedDate);
    if (!Number.isNaN(t) && (oldest === undefined || t < oldest)) oldest = t;
  }
  return oldest === undefined
    ? undefined
    : Math.max(0, Math.floor((now.getTime() - oldest) / DAY_MS));
}
