/**
 * Security metrics in the Prometheus text exposition format (version 0.0.4), for a node
 * exporter textfile collector or a push gateway: the "security SLIs" a platform team alerts
 * on. Every series is labelled with a stable target (an image repository, never a tag), and
 * every severity/class gets a series even at zero so alerts never see a gap.
 * Format: https://prometheus.io/docs/instrumenting/exposition_formats/
 */
import {
  FINDING_CLASSES,
  SEVERITIES,
  type Decision,
  type Decisions,
  type Finding,
  type ScanReport,
} from '../model.js';
import { oldestCriticalDays } from '../policy/apply.js';
import { escapeLabelValue } from './escape.js';
import { artifactLabel, type PathOptions } from './location.js';

const PREFIX = 'supply_chain_guard';

export interface MetricsOptions extends PathOptions {
  /** When the run happened (pass the clock in: the renderer stays pure). */
  readonly now: Date;
  /** The gate's result, when it was decided. */
  readonly passed?: boolean;
}

function label(f: Pick<Finding, 'artifact' | 'artifactType'>, opts: PathOptions): string {
  return artifactLabel({ name: f.artifact, type: f.artifactType }, opts);
}

type Labels = Readonly<Record<string, string>>;

class Family {
  readonly samples = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}

  set(labels: Labels, value: number): void {
    this.samples.set(JSON.stringify(labels), { labels, value });
  }

  add(labels: Labels, value: number): void {
    const key = JSON.stringify(labels);
    const prev = this.samples.get(key);
    this.samples.set(key, { labels, value: (prev?.value ?? 0) + value });
  }

  render(): string[] {
    if (this.samples.size === 0) return [];
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} gauge`];
    for (const { labels, value } of this.samples.values()) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${escapeLabelValue(v)}"`)
        .join(',');
      lines.push(`${this.name}${l === '' ? '' : `{${l}}`} ${value}`);
    }
    return lines;
  }
}

/** The metrics file's text (ends with a newline, as the format requires). */
export function renderMetrics(
  reports: readonly ScanReport[],
  decisions: Decisions,
  opts: MetricsOptions,
): string {
  const findings = new Family(
    `${PREFIX}_findings`,
    'Findings counted after policy (reported, failing, not suppressed), by target, class and severity.',
  );
  const suppressed = new Family(
    `${PREFIX}_findings_suppressed`,
    'Findings suppressed by ignore rules or VEX.',
  );
  const fresh = new Family(
    `${PREFIX}_findings_new`,
    'Counted findings that are not in the baseline.',
  );
  const fixed = new Family(`${PREFIX}_findings_fixed`, 'Baseline findings that are gone.');
  const oldest = new Family(
    `${PREFIX}_oldest_critical_days`,
    'Days since the oldest counted CRITICAL vulnerability was published.',
  );
  const gate = new Family(`${PREFIX}_gate_passed`, '1 when the gate passed, 0 when it failed.');
  const stamp = new Family(
    `${PREFIX}_last_run_timestamp_seconds`,
    'When these metrics were produced.',
  );

  const targets = new Set<string>(reports.map((r) => artifactLabel(r.artifact, opts)));
  for (const d of decisions.decisions) targets.add(label(d.finding, opts));
  for (const target of targets) {
    for (const cls of FINDING_CLASSES) {
      for (const s of SEVERITIES)
        findings.set({ target, class: cls, severity: s.toLowerCase() }, 0);
    }
    for (const s of SEVERITIES) {
      suppressed.set({ target, severity: s.toLowerCase() }, 0);
      if (decisions.hasBaseline) fresh.set({ target, severity: s.toLowerCase() }, 0);
    }
    if (decisions.hasBaseline) fixed.set({ target }, 0);
  }
  const byTarget = new Map<string, Decision[]>();
  for (const d of decisions.decisions) {
    const target = label(d.finding, opts);
    const severity = d.finding.severity.toLowerCase();
    if (d.counted) findings.add({ target, class: d.finding.kind, severity }, 1);
    if (d.suppression !== undefined && d.filtered === undefined)
      suppressed.add({ target, severity }, 1);
    if (d.counted && d.baseline === 'new') fresh.add({ target, severity }, 1);
    const list = byTarget.get(target);
    if (list === undefined) byTarget.set(target, [d]);
    else list.push(d);
  }
  for (const f of decisions.fixed) {
    fixed.add({ target: label(f, opts) }, 1);
  }
  for (const [target, list] of byTarget) {
    const days = oldestCriticalDays(list, opts.now);
    if (days !== undefined) oldest.set({ target }, days);
  }
  if (opts.passed !== undefined) gate.set({}, opts.passed ? 1 : 0);
  stamp.set({}, Math.floor(opts.now.getTime() / 1000));
  const families = [findings, suppressed, fresh, fixed, oldest, gate, stamp];
  return `${families.flatMap((f) => f.render()).join('\n')}\n`;
}
