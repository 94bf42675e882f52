/**
 * run(config, deps): the phases in order — read → policy → decide → render → publish → gate.
 * Each phase is a log group with its duration. The gate's verdict is applied last, after every
 * output is written. This is the only module that turns an error into a failed step.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Config } from './config.js';
import { describeError, GuardError } from './errors.js';
import { checkInputFiles, exists, expandGlobs, readText, writeFileAtomic } from './files.js';
import type { Decisions, ScanReport } from './model.js';
import { publishArtifact, publishSnapshot } from './phases/publish.js';
import { sbomPhase, type WrittenSbom } from './phases/sbom.js';
import { scanPhase, type ScanOutcome } from './phases/scan.js';
import { signingPhase, type SigningOutcome } from './phases/signing.js';
import type { Services } from './services.js';
import { preflightSigning } from './sigstore/setup.js';
import { planTargets } from './trivy/targets.js';
import { applyPolicy, oldestCriticalDays, tally, type Tally } from './policy/apply.js';
import { decide, formatRule, type Verdict } from './policy/gate.js';
import { parseIgnoreFile, type IgnoreRule } from './policy/ignore.js';
import { parseVex, type VexStatement } from './policy/vex.js';
import { applyBaseline } from './policy/baseline.js';
import { markdownContext, writeMetrics, writeSarif } from './phases/report.js';
import { toAnnotations, type Annotation } from './render/annotations.js';
import { renderComment, renderSummary } from './render/markdown.js';
import type { SarifLog } from './render/sarif.js';
import { createGitHubClient } from './github/client.js';
import {
  defaultCommentKey,
  fallbackComment,
  publishToGitHub,
  targetsCategory,
} from './github/publish.js';
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
  'artifact-id',
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
  /** A collapsed group of lines written at once (a tool's stderr). */
  groupLines(name: string, lines: readonly string[]): void;
}

/** Where results go: the runner (outputs, job summary, failed status) or the terminal. */
export interface Sink {
  setOutput(name: OutputName, value: string): void;
  writeJobSummary(markdown: string): Promise<void>;
  /** A file/line annotation (error / warning / notice) on the run. */
  annotate(annotation: Annotation): void;
  fail(message: string): void;
}

export interface Deps {
  readonly log: Logger;
  readonly sink: Sink;
  readonly now: () => Date;
  /** Trivy, registries, Sigstore, GitHub. Runs that only read reports never touch them. */
  readonly services?: Services;
}

function services(deps: Deps): Services {
  if (!deps.services)
    throw new GuardError('INTERNAL', 'this run needs services the caller did not provide');
  return deps.services;
}

export interface RunResult {
  readonly verdict: Verdict;
  readonly tally: Tally;
  readonly decisions: Decisions;
  readonly reports: readonly ScanReport[];
  readonly outputs: Readonly<Partial<Record<OutputName, string>>>;
  readonly summary: string;
  readonly sboms: readonly WrittenSbom[];
  readonly signing?: SigningOutcome;
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
  // Checks that need no network come first: a missing permission fails before any download.
  const signingMode = preflightSigning(config.signing, config.targets.image, config.env);
  await checkInputFiles([
    ['ignore-file', config.policy.ignoreFile],
    ...config.policy.vex.map((f) => ['vex', f] as const),
    ['baseline-report', config.policy.baselineReport],
    ['trusted-root', config.signing.trustedRoot],
    ['trivy-config', config.trivy.configFile],
    ['image-archive', config.targets.imageArchive],
  ]);
  const plan = planTargets(config);

  const scanned: ScanOutcome | undefined =
    plan.length > 0
      ? await phase(
          log,
          `Scan with Trivy (${plan.length} target${plan.length === 1 ? '' : 's'})`,
          () => scanPhase(plan, config, services(deps).scanner, log),
        )
      : undefined;
  const read =
    config.targets.reports.length > 0
      ? await phase(log, 'Read Trivy reports', () => readReports(config, log))
      : [];
  const reports = [...(scanned?.primary ?? []), ...read];

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
    const baseline = [...(scanned?.baseline ?? []), ...(await readBaselineReport(config))];
    if (baseline.length === 0) return d;
    const diff = applyBaseline(d.decisions, baseline, {
      failOnNewOnly: config.policy.failOnNewOnly,
      isReportable: (f) => config.policy.severities.includes(f.severity),
    });
    log.info(`baseline: ${diff.newCount} new, ${diff.fixed.length} fixed`);
    return { ...d, decisions: diff.decisions, fixed: diff.fixed, hasBaseline: true };
  });

  const sboms =
    config.sbom.formats.length > 0
      ? await phase(log, 'Build SBOMs', () => sbomPhase(reports, decisions.decisions, config, log))
      : [];

  // The vuln attestation's subject: the image this run scanned, else an image report given.
  const imageReport =
    scanned?.imageReport ?? reports.find((r) => r.artifact.type === 'container_image');
  const signing =
    signingMode === 'off'
      ? undefined
      : await phase(log, signingMode === 'sign' ? 'Sign and attest' : 'Verify signatures', () =>
          signingPhase(
            signingMode,
            { sboms, ...(imageReport && { imageReport }), now },
            config,
            services(deps),
            log,
          ),
        );

  const t = tally(decisions.decisions);
  const findingsVerdict = decide(
    config.policy.failOn,
    t.gateCounts,
    config.policy.failOnNewOnly && decisions.hasBaseline,
  );
  const verdict = withVerification(findingsVerdict, signing);
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
  if (sboms.length > 0) outputs['sbom-file'] = sboms.map((s) => s.file).join('\n');
  if (signing?.mode === 'sign') {
    outputs['image-digest'] = signing.result.imageDigest;
    outputs['signature-ref'] = signing.result.signatureRef;
    outputs['attestation-refs'] = signing.result.attestationRefs.join('\n');
    if (signing.result.rekorLogIndex !== undefined) {
      outputs['rekor-log-index'] = String(signing.result.rekorLogIndex);
    }
  } else if (signing?.mode === 'verify') {
    outputs['image-digest'] = signing.result.imageDigest;
  }

  const { env } = config;
  const event = await readEvent(env.eventPath, log);
  const headSha = pullRequestHeadSha(event) ?? env.sha;
  const sarif = await phase(log, 'Write SARIF and metrics', async () => {
    const written = await writeSarif(reports, decisions, config, log);
    outputs['sarif-file'] = config.reporting.sarifFile;
    outputs['metrics-file'] = await writeMetrics(reports, decisions, verdict, config, now);
    return written;
  });
  const ctx = markdownContext(config, verdict, failOn, t, oldest, headSha, sarif);
  const summary = [
    renderSummary(reports, decisions, ctx),
    ...(sboms.length > 0
      ? [
          `**SBOMs** ${sboms.map((s) => `\`${s.file}\` (${s.format}, ${s.packageCount} packages)`).join(', ')}\n`,
        ]
      : []),
    ...(signing ? [signing.summary] : []),
  ].join('\n');

  // What tells this matrix leg from the job's others: names its comment, artifact, snapshot.
  const category = config.reporting.sarifCategory ?? targetsCategory(sarif.log);
  const legKey = config.reporting.commentKey ?? category;
  await phase(log, 'Publish', async () => {
    const summaryFile = path.join(config.reporting.outputDir, 'summary.md');
    await writeFileAtomic(summaryFile, summary);
    outputs['summary-file'] = summaryFile;
    if (config.reporting.summary) {
      // The summary file above has it all; a runner without a step summary is no reason to stop.
      await deps.sink.writeJobSummary(summary).catch((err: unknown) => {
        log.warning(
          `summary: the job summary could not be written (${describeError(err)}); see ${summaryFile}`,
        );
      });
    }
    if (config.reporting.annotations) {
      const set = toAnnotations(decisions.decisions, { workspace: env.workspace });
      set.annotations.forEach((a) => deps.sink.annotate(a));
      if (set.omitted > 0)
        log.info(`annotations: ${set.omitted} more findings are in the job summary`);
    }
    // Outputs before anything that talks to GitHub: a refused upload never loses them.
    for (const [name, value] of Object.entries(outputs) as [OutputName, string][]) {
      deps.sink.setOutput(name, value);
    }
    await publishGitHub(config, deps, log, {
      event,
      sarif: sarif.log,
      commentKey: config.reporting.commentKey ?? defaultCommentKey(env.job, category),
      comment: () => renderComment(reports, decisions, ctx),
      verdictLine: `${verdict.pass ? '✅' : '❌'} supply-chain-guard: ${verdict.reasons.join('; ')}`,
      ...(ctx.runUrl && { runUrl: ctx.runUrl }),
    });
    if (config.sbom.uploadArtifact && env.inActions) {
      const files = [
        ...sboms.map((s) => s.file),
        config.reporting.sarifFile,
        ...(scanned?.files ?? []),
      ];
      const uploaded = await publishArtifact(files, config, services(deps), log, legKey);
      if (uploaded?.id !== undefined) {
        outputs['artifact-id'] = String(uploaded.id);
        deps.sink.setOutput('artifact-id', outputs['artifact-id']);
      }
    }
    if (config.sbom.dependencySnapshot)
      await publishSnapshot(reports, config, services(deps), log, now, event, legKey);
    log.info(
      `outputs: ${Object.entries(outputs)
        .map(([k, v]) => `${k}=${v.replace(/\n/g, ',')}`)
        .join(' ')}`,
    );
  });

  return {
    verdict,
    tally: t,
    decisions,
    reports,
    outputs,
    summary,
    sboms,
    ...(signing && { signing }),
  };
}

async function readBaselineReport(config: Config): Promise<ScanReport[]> {
  const file = config.policy.baselineReport;
  if (file === undefined) return [];
  return [await readTrivyReport(file, path.relative(config.env.workspace, file) || file)];
}

/** The event payload (GITHUB_EVENT_PATH); undefined outside Actions or when unreadable. */
async function readEvent(file: string | undefined, log: Logger): Promise<unknown> {
  if (!file) return undefined;
  try {
    return JSON.parse(await readText(file, 'event')) as unknown;
  } catch (err) {
    log.warning(`GITHUB_EVENT_PATH: ${describeError(err)}; PR comments and PR links are skipped`);
    return undefined;
  }
}

function pullRequestHeadSha(event: unknown): string | undefined {
  const pr = (event as { pull_request?: { head?: { sha?: unknown } } } | undefined)?.pull_request;
  return typeof pr?.head?.sha === 'string' ? pr.head.sha : undefined;
}

/** SARIF upload and the sticky comment: only inside Actions, with a token and a repository. */
async function publishGitHub(
  config: Config,
  deps: Deps,
  log: Logger,
  input: {
    event: unknown;
    sarif: SarifLog;
    commentKey: string;
    comment: () => string;
    verdictLine: string;
    runUrl?: string;
  },
): Promise<void> {
  const { env, reporting } = config;
  const isPullRequest = env.eventName === 'pull_request' || env.eventName === 'pull_request_target';
  const wantComment = reporting.prComment && isPullRequest;
  if (!reporting.uploadSarif && !wantComment) return;
  if (!env.inActions || !env.repository) {
    log.info('upload-sarif / pr-comment: not inside GitHub Actions, nothing published');
    return;
  }
  if (!config.githubToken) {
    log.warning(
      'upload-sarif / pr-comment: no github-token; nothing published (the job summary has the report)',
    );
    return;
  }
  const client = createGitHubClient({
    baseUrl: env.apiUrl,
    token: config.githubToken,
    fetch: services(deps).fetch,
  });
  await publishToGitHub(
    { client, log },
    {
      repository: env.repository,
      event: {
        ...(env.eventName && { eventName: env.eventName }),
        ...(env.sha && { sha: env.sha }),
        ...(env.ref && { ref: env.ref }),
        payload: input.event,
      },
      ...(reporting.uploadSarif && { sarif: input.sarif }),
      checkoutUri: pathToFileURL(env.workspace).href,
      ...(wantComment && {
        comment: {
          key: input.commentKey,
          body: input.comment(),
          fallbackBody: fallbackComment(input.runUrl, input.verdictLine),
        },
      }),
    },
  );
}

/** Verify mode joins the gate: no signature that matches the identity fails it. */
function withVerification(verdict: Verdict, signing: SigningOutcome | undefined): Verdict {
  if (signing?.mode !== 'verify') return verdict;
  const v = signing.result;
  if (v.passed) {
    return {
      ...verdict,
      reasons: [...verdict.reasons, `a signature of ${v.imageRef} matches the identity`],
    };
  }
  // The failure line is often all a reader sees (annotation, PR check): say why they were rejected.
  const rejected = [
    ...new Set(v.signatures.filter((s) => !s.ok).map((s) => s.reason ?? 'rejected')),
  ];
  const found =
    rejected.length === 0
      ? `${v.signatures.length} found`
      : `${v.signatures.length} found, rejected: ${rejected.slice(0, 2).join(' / ')}${rejected.length > 2 ? ' / …' : ''}`;
  const why =
    v.missingAttestations.length > 0 && v.signatures.some((s) => s.ok)
      ? `no verified attestation of type ${v.missingAttestations.join(', ')} for ${v.imageRef}`
      : `no signature of ${v.imageRef} matches the identity (${found})`;
  return { ...verdict, pass: false, reasons: [...(verdict.pass ? [] : verdict.reasons), why] };
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
