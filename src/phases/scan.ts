/**
 * The scan phase: one Trivy run per planned target (services.scanner), each report read back
 * through the streaming parser and named after its target. Baseline scans are kept apart.
 */
import type { Config } from '../config.js';
import { GuardError } from '../errors.js';
import type { Logger } from '../main.js';
import type { Finding, ScanReport } from '../model.js';
import type { Scanner } from '../services.js';
import { readTrivyReport } from '../trivy/read-report.js';
import { describeTarget, type ScanTarget } from '../trivy/targets.js';

const PLURAL: Record<Finding['kind'], string> = {
  vulnerability: 'vulnerabilities',
  misconfiguration: 'misconfigurations',
  secret: 'secrets',
  license: 'licenses',
};

export interface ScanOutcome {
  readonly primary: readonly ScanReport[];
  readonly baseline: readonly ScanReport[];
  /** The image target's report, when an image was scanned (for the vuln attestation). */
  readonly imageReport?: ScanReport;
  /** The raw JSON Trivy wrote, for the artifact. */
  readonly files: readonly string[];
  readonly trivyVersion: string;
}

/**
 * A report our own Trivy run wrote: if it cannot be read, the scan failed (Trivy crashed mid-write,
 * the disk filled up), which the reader's advice about hand-made reports would not explain.
 */
async function readScanned(file: string, target: string): Promise<ScanReport> {
  try {
    return await readTrivyReport(file, target);
  } catch (err) {
    if (!(err instanceof GuardError)) throw err;
    throw new GuardError(
      'TRIVY_SCAN_FAILED',
      `${err.message} (in the report Trivy wrote to ${file})`,
      {
        cause: err,
        remedy:
          'Trivy exited 0 but its report is unreadable: check the Trivy output above and the free disk space, then re-run; if it persists, report it with the report file',
      },
    );
  }
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
    const report = await readScanned(r.reportFile, describeTarget(r.target));
    const counts = new Map<Finding['kind'], number>();
    for (const f of report.findings) counts.set(f.kind, (counts.get(f.kind) ?? 0) + 1);
    const list =
      [...counts].map(([k, n]) => `${n} ${n === 1 ? k : PLURAL[k]}`).join(', ') || 'no findings';
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
