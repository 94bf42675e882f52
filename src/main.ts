/**
 * run(config, deps): the phases in order — read → policy → decide → render → publish → gate.
 * Each phase is a log group with its duration. The gate's verdict is applied last, after every
 * output is written. This is the only module that turns an error into a failed step.
 */
import path from 'node:path';
import type { Config } from './config.js';
import { describeError, GuardError } from './errors.js';
import { exists, expandGlobs, readText, writeFileAtomic } from './files.js';
import type { Decisions, ScanReport } from './model.js';
import { applyPolicy, oldestCriticalDays, tally, type Tally } from './policy/apply.js';
import { decide, formatRule, type Verdict } from './policy/gate.js';
import { parseIgnoreFile, type IgnoreRule } from './policy/ignore.js';
import { parseVex, type VexStatement } from './policy/vex.js';
import { renderSummary } from './render/summary.js';
import { readTrivyReport } from './trivy/read-report.js';

export const OUTPUT_NAMES = [
  'verdict',
  'critical',
  'high',
  'medium',
  'low',
  'unknown',
  'total',
  'new',
  'fixed',
  'suppressed',
  'oldest-critical-days',
  'sarif-file',
  'sbom-file',
  'summary-file',
  'metrics-file',
  'image-digest',
  'signature-ref',
  'attestation-refs',
  'rekor-log-index',
] as const;
export type OutputName = (typeof OUTPUT_NAMES)[number];

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  debug(message: string): void;
  /** Run `fn` inside a collapsed log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

/** Where results go: the runner (outputs, job summary, failed status) or the terminal. */
export interface Sink {
  setOutput(name: OutputName, value: string): void;
  writeJobSummary(markdown: string): Promise<void>;
  fail(message: string): void;
}

export interface Deps {
  readonly log: Logger;
  readonly sink: Sink;
  readonly now: () => Date;
}

export interface RunResult {
  readonly verdict: Verdict;
  readonly tally: Tally;
  readonly decisions: Decisions;
  readonly reports: readonly ScanReport[];
  readonly outputs: Readonly<Partial<Record<OutputName, string>>>;
  readonly summary: string;
}

/** 0 pass, 1 the gate failed, 2 the run could not complete (bad input, I/O, a bug). */
export type ExitCode = 0 | 1 | 2;

async function phase<T>(log: Logger, name: string, fn: () => Promise<T>): Promise<T> {
  const started = performance.now();
  return log.group(name, async () => {
    try {
      return await fn();
    } finally {
      log.info(`${name}: ${Math.round(performance.now() - started)} ms`);
    }
  });
}

async function readReports(config: Config, log: Logger): Promise<ScanReport[]> {
  const files = await expandGlobs(config.targets.reports, config.env.workspace, 'trivy-reports');
  const reports: ScanReport[] = [];
  for (const file of files) {
    const name = path.relative(config.env.workspace, file) || file;
    const report = await readTrivyReport(file, name);
    log.info(
      `${name}: ${report.artifact.name || '(unnamed artifact)'} — ${report.findings.length} findings, ${report.packages.length} packages`,
    );
    reports.push(report);
  }
  return reports;
}

const AUTO_IGNORE_FILES = ['.trivyignore.yaml', '.trivyignore.yml', '.trivyignore'];

async function loadIgnoreRules(config: Config, log: Logger): Promise<IgnoreRule[]> {
  let file = config.policy.ignoreFile;
  if (file === undefined) {
    for (const name of AUTO_IGNORE_FILES) {
      const candidate = path.join(config.env.workspace, name);
      if (await exists(candidate)) {
        file = candidate;
        log.info(`ignore-file: using ${name} found at the workspace root`);
        break;
      }
    }
  }
  if (file === undefined) return [];
  const rules = parseIgnoreFile(
    await readText(file, 'ignore'),
    path.relative(config.env.workspace, file) || file,
  );
  log.info(`ignore-file: ${rules.length} rules from ${file}`);
  return rules;
}

async function loadVex(config: Config, log: Logger): Promise<VexStatement[]> {
  const out: VexStatement[] = [];
  for (const file of config.policy.vex) {
    const statements = parseVex(
      await readText(file, 'VEX'),
      path.relative(config.env.workspace, file) || file,
    );
    log.info(`vex: ${statements.length} statements from ${file}`);
    out.push(...statements);
  }
  return out;
}

/** The phases, without the final gate. Throws GuardError on anything that stops the run. */
export async function run(config: Config, deps: Deps): Promise<RunResult> {
  const { log } = deps;
  const now = deps.now();
  const reports = await phase(log, 'Read Trivy reports', () => readReports(config, log));

  const decisions = await phase(log, 'Apply policy', async () => {
    const ignoreRules = await loadIgnoreRules(config, log);
    const vex = await loadVex(config, log);
    const d = applyPolicy(reports, {
      severities: config.policy.severities,
      ignoreUnfixed: config.policy.ignoreUnfixed,
      ignoreRules,
      vex,
      now,
    });
    for (const r of d.expiredRules) {
      log.warning(
        `ignore rule ${r.id} in ${r.file} expired on ${r.expiredAt}: it no longer suppresses`,
      );
    }
    return d;
  });

  const t = tally(decisions.decisions);
  const verdict = decide(
    config.policy.failOn,
    t.gateCounts,
    config.policy.failOnNewOnly && decisions.hasBaseline,
  );
  const oldest = oldestCriticalDays(decisions.decisions, now);
  const failOn = formatRule(config.policy.failOn);

  const outputs: Partial<Record<OutputName, string>> = {
    verdict: verdict.pass ? 'pass' : 'fail',
    critical: String(t.counts.CRITICAL),
    high: String(t.counts.HIGH),
    medium: String(t.counts.MEDIUM),
    low: String(t.counts.LOW),
    unknown: String(t.counts.UNKNOWN),
    total: String(t.total),
    new: String(decisions.decisions.filter((d) => d.counted && d.baseline === 'new').length),
    fixed: String(decisions.fixed.length),
    suppressed: String(t.suppressed),
    // 0 when no counted CRITICAL vulnerability has a published date.
    'oldest-critical-days': String(oldest ?? 0),
  };

  const summary = renderSummary({
    verdict,
    failOn,
    tally: t,
    decisions: decisions.decisions,
    expiredRules: decisions.expiredRules,
    oldestCriticalDays: oldest,
    sources: reports.map((r) => r.source),
  });

  await phase(log, 'Publish', async () => {
    const summaryFile = path.join(config.reporting.outputDir, 'summary.md');
    await writeFileAtomic(summaryFile, summary);
    outputs['summary-file'] = summaryFile;
    if (config.reporting.summary) await deps.sink.writeJobSummary(summary);
    for (const [name, value] of Object.entries(outputs) as [OutputName, string][]) {
      deps.sink.setOutput(name, value);
    }
    log.info(
      `outputs: ${Object.entries(outputs)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
  });

  return { verdict, tally: t, decisions, reports, outputs, summary };
}

/**
 * Run and apply the verdict. Errors become one clear failure message (the stack goes to the
 * debug log only); the gate fails the step only after everything was published.
 */
export async function runAndGate(
  buildConfig: () => Config,
  deps: Deps,
): Promise<{ exitCode: ExitCode; result?: RunResult }> {
  let result: RunResult;
  try {
    const config = buildConfig();
    result = await run(config, deps);
  } catch (err) {
    if (err instanceof Error && err.stack) deps.log.debug(err.stack);
    const prefix = err instanceof GuardError ? '' : 'unexpected error (please report it): ';
    deps.sink.fail(`${prefix}${describeError(err)}`);
    return { exitCode: 2 };
  }
  if (!result.verdict.pass) {
    deps.sink.fail(`gate failed: ${result.verdict.reasons.join('; ')}`);
    return { exitCode: 1, result };
  }
  deps.log.info(`gate passed: ${result.verdict.reasons.join('; ')}`);
  return { exitCode: 0, result };
}
