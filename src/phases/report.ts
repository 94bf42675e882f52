/**
 * The render phase's files: SARIF and metrics, written atomically; and the Markdown context
 * shared by the job summary and the PR comment.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { writeFileAtomic } from '../files.js';
import type { Logger } from '../main.js';
import type { Decisions, ScanReport } from '../model.js';
import type { Tally } from '../policy/apply.js';
import type { Verdict } from '../policy/gate.js';
import type { MarkdownContext } from '../render/markdown.js';
import { renderMetrics } from '../render/metrics.js';
import { renderSarif, type SarifRender } from '../render/sarif.js';
import { VERSION } from '../version.js';

export async function writeSarif(
  reports: readonly ScanReport[],
  decisions: Decisions,
  config: Config,
  log: Logger,
): Promise<SarifRender> {
  const sarif = renderSarif(reports, decisions, {
    toolVersion: VERSION,
    workspace: config.env.workspace,
    ...(config.reporting.sarifCategory && { category: config.reporting.sarifCategory }),
    ...(config.reporting.dockerfile && { dockerfile: config.reporting.dockerfile }),
  });
  await writeFileAtomic(config.reporting.sarifFile, `${JSON.stringify(sarif.log, null, 2)}\n`);
  for (const o of sarif.omissions) {
    log.warning(
      `SARIF ${o.category}: left out ${o.omitted} result(s), the most severe ${o.mostSevereOmitted}, to stay within code scanning's limits; the job summary has them`,
    );
  }
  log.info(
    `SARIF: ${sarif.resultCount} results in ${sarif.log.runs.length} run(s) → ${config.reporting.sarifFile}`,
  );
  return sarif;
}

export async function writeMetrics(
  reports: readonly ScanReport[],
  decisions: Decisions,
  verdict: Verdict,
  config: Config,
  now: Date,
): Promise<string> {
  const file = path.join(config.reporting.outputDir, 'metrics.prom');
  await writeFileAtomic(
    file,
    renderMetrics(reports, decisions, {
      now,
      passed: verdict.pass,
      workspace: config.env.workspace,
    }),
  );
  return file;
}

/** Links and notes for the summary and the comment. */
export function markdownContext(
  config: Config,
  verdict: Verdict,
  failOn: string,
  tally: Tally,
  oldestCriticalDays: number | undefined,
  headSha: string | undefined,
  sarif: SarifRender | undefined,
): MarkdownContext {
  const { env } = config;
  const repoUrl = env.repository ? `${env.serverUrl}/${env.repository}` : undefined;
  const notes = [
    `${tally.total} counted`,
    `${tally.suppressed} suppressed`,
    `${tally.filtered} filtered by severity / ignore-unfixed`,
    `${tally.passed} passed checks`,
    ...(oldestCriticalDays !== undefined
      ? [`oldest unpatched critical: ${oldestCriticalDays} days`]
      : []),
  ];
  return {
    verdict,
    failOn,
    workspace: env.workspace,
    notes,
    ...(repoUrl && { repoUrl }),
    ...(headSha && { headSha }),
    ...(repoUrl && env.runId && { runUrl: `${repoUrl}/actions/runs/${env.runId}` }),
    ...(config.reporting.commentKey && { title: config.reporting.commentKey }),
    ...(sarif && { sarifOmissions: sarif.omissions }),
  };
}
