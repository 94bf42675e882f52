/**
 * The gate: `fail-on` parsed into a rule, and the verdict from the counted findings.
 * Pure; the verdict is applied last by main.ts, after every output is written.
 */
import { SEVERITIES, isSeverity, severityRank, type Severity } from '../model.js';

export type Comparison = '>' | '>=';

export interface Threshold {
  readonly severity: Severity;
  readonly op: Comparison;
  readonly value: number;
}

export type GateRule =
  | { readonly kind: 'none' }
  /** Any counted finding at this severity or above fails. */
  | { readonly kind: 'severity'; readonly severity: Severity }
  /** Fails when any threshold is exceeded (`critical>0,high>5`). */
  | { readonly kind: 'counts'; readonly thresholds: readonly Threshold[] };

export const FAIL_ON_FORMS =
  'valid forms: "none"; a severity (critical, high, medium, low, unknown: that severity or above fails); ' +
  'or counts such as "critical>0,high>5" (operators > and >=, whole numbers)';

export type ParseResult<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseFailOn(text: string): ParseResult<GateRule> {
  const value = text.trim();
  if (value === '' || value.toLowerCase() === 'none') return { ok: true, value: { kind: 'none' } };
  const upper = value.toUpperCase();
  if (isSeverity(upper)) return { ok: true, value: { kind: 'severity', severity: upper } };
  const thresholds: Threshold[] = [];
  for (const part of value.split(',').map((p) => p.trim())) {
    const m = /^([a-zA-Z]+)\s*(>=|>)\s*(\d+)$/.exec(part);
    if (!m) return { ok: false, error: `"${part}" is not a severity or a count threshold` };
    const sev = m[1]!.toUpperCase();
    if (!isSeverity(sev)) return { ok: false, error: `"${m[1]}" is not a severity` };
    if (thresholds.some((t) => t.severity === sev)) {
      return { ok: false, error: `${m[1]} is given twice` };
    }
    thresholds.push({ severity: sev, op: m[2] as Comparison, value: Number(m[3]) });
  }
  return { ok: true, value: { kind: 'counts', thresholds } };
}

export type SeverityCounts = Readonly<Record<Severity, number>>;

export function emptyCounts(): Record<Severity, number> {
  return { CRITICAL: 0, HIGH: 0, MEDIUM: 0, LOW: 0, UNKNOWN: 0 };
}

export interface Verdict {
  readonly pass: boolean;
  /** One sentence per reason, for the log, summary and comment. */
  readonly reasons: readonly string[];
  /** Set when the gate counted only findings new against a baseline. */
  readonly newOnly: boolean;
}

/** Decide from the counts of counted findings (already filtered and suppressed). */
export function decide(rule: GateRule, counts: SeverityCounts, newOnly = false): Verdict {
  const what = newOnly ? 'new finding' : 'finding';
  switch (rule.kind) {
    case 'none':
      return { pass: true, reasons: ['fail-on is "none": the gate never fails'], newOnly };
    case 'severity': {
      const failing = SEVERITIES.filter(
        (s) => severityRank(s) <= severityRank(rule.severity) && counts[s] > 0,
      );
      if (failing.length === 0) {
        return {
          pass: true,
          reasons: [`no ${what} at ${rule.severity} or above`],
          newOnly,
        };
      }
      return {
        pass: false,
        reasons: failing.map(
          (s) =>
            `${counts[s]} ${s} ${plural(what, counts[s])} (fail-on: ${rule.severity.toLowerCase()} or above)`,
        ),
        newOnly,
      };
    }
    case 'counts': {
      const broken = rule.thresholds.filter((t) =>
        t.op === '>' ? counts[t.severity] > t.value : counts[t.severity] >= t.value,
      );
      if (broken.length === 0) {
        const within = rule.thresholds
          .map((t) => `${t.severity} ${counts[t.severity]} (limit ${t.op}${t.value})`)
          .join(', ');
        return { pass: true, reasons: [`all counts within the thresholds: ${within}`], newOnly };
      }
      return {
        pass: false,
        reasons: broken.map(
          (t) =>
            `${counts[t.severity]} ${t.severity} ${plural(what, counts[t.severity])}: threshold ${t.severity.toLowerCase()}${t.op}${t.value}`,
        ),
        newOnly,
      };
    }
  }
}

function plural(word: string, n: number): string {
  return n === 1 ? word : `${word}s`;
}

/** The rule as a user would write it, for messages. */
export function formatRule(rule: GateRule): string {
  switch (rule.kind) {
    case 'none':
      return 'none';
    case 'severity':
      return rule.severity.toLowerCase();
    case 'counts':
      return rule.thresholds.map((t) => `${t.severity.toLowerCase()}${t.op}${t.value}`).join(',');
  }
}
