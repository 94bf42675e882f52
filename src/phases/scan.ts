/**
 * The scan phase: one Trivy run per planned target (services.scanner), each report read back
 * through the streaming parser and named after its target. Baseline scans are kept apart.
 */
import type { Config } from '../config.js';
import type { Logger } from '../main.js';
import type { ScanReport } from '../model.js';
import type { Scanner } from '../services.js';
import { readTrivyReport } from '../trivy/read-report.js';
import { describeTarget, type ScanTarget } from '../trivy/targets.js';

export interface ScanOutcome {
  readonly primary: readonly ScanReport[];
  readonly baseline: readonly ScanReport[];
  /** The image target's report, when an image was scanned (for the vuln attestation). */
  readonly imageReport?: ScanReport;
  /** The raw JSON Trivy wrote, for the artifact. */
  readonly files: readonly string[];
  readonly trivyVersion: string;
}

export async function scanPhase(
  plan: readonly ScanTarget[],
  config: Config,
  scanner: Scanner,
  log: Logger,
): Promise<ScanOutcome> {
  const phase = await scanner.scan(plan, config, log);
  log.info(`Trivy ${phase.trivy.version} (${phase.trivy.source}, ${phase.trivy.verification})`);
  const primary: ScanReport[] = [];
  const baseline: ScanReport[] = [];
  let imageReport: ScanReport | undefined;
  for (const r of phase.results) {
    const report = await readTrivyReport(r.reportFile, describeTarget(r.target));
    const counts = new Map<string, number>();
    for (const f of report.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    const list = [...counts].map(([k, n]) => `${n} ${k}`).join(', ') || 'no findings';
    log.info(
      `${describeTarget(r.target)}: ${list}, ${report.packages.length} packages (${Math.round(r.durationMs)} ms)`,
    );
    if (r.target.role === 'baseline') {
      baseline.push(report);
    } else {
      primary.push(report);
      if (r.target.kind === 'image' || r.target.kind === 'image-archive') imageReport ??= report;
    }
  }
  return {
    primary,
    baseline,
    ...(imageReport && { imageReport }),
    files: phase.results.map((r) => r.reportFile),
    trivyVersion: phase.trivy.version,
  };
}
