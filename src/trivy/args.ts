/**
 * Target + options → Trivy argv. Pure. Every run writes one JSON report with everything the
 * renders need: all severities (the policy filters, so one run serves every output), all
 * packages (SBOMs), `--exit-code 0` (the gate decides, not Trivy). Positional targets follow
 * `--` so a path can never be read as a flag. Credentials are never arguments: Trivy reads
 * them from TRIVY_USERNAME / TRIVY_PASSWORD (see run.ts).
 */
import type { ScanTarget } from './targets.js';

export const ALL_SEVERITIES = 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL';
/** Trivy's own per-run timeout when none is configured. */
export const DEFAULT_TRIVY_TIMEOUT = '15m';

export interface ScanArgsOptions {
  /** Scanners for image and fs targets (`config` runs the misconfiguration scanner only). */
  readonly scanners: readonly string[];
  /** This run's cache directory (holds a copy of the DB; see run.ts). */
  readonly cacheDir: string;
  /** Where Trivy writes the JSON report. */
  readonly outputFile: string;
  /** Trivy duration, e.g. `15m`. */
  readonly timeout: string;
  /** A `trivy.yaml` passed through (`trivy-config`). */
  readonly configFile?: string;
  /** The DB was prepared before the runs (cache.ts): runs must not download it again. */
  readonly skipDbUpdate: boolean;
  /** Terraform variable files for a `config` target (Terraform's auto-loaded ones, see run.ts). */
  readonly tfVars?: readonly string[];
}

function common(opts: ScanArgsOptions): string[] {
  return [
    '--format',
    'json',
    '--output',
    opts.outputFile,
    '--severity',
    ALL_SEVERITIES,
    '--exit-code',
    '0',
    '--quiet',
    '--timeout',
    opts.timeout,
    '--cache-dir',
    opts.cacheDir,
    ...(opts.configFile === undefined ? [] : ['--config', opts.configFile]),
  ];
}

function vulnFlags(opts: ScanArgsOptions): string[] {
  return [
    '--list-all-pkgs',
    ...(opts.scanners.length > 0 ? ['--scanners', opts.scanners.join(',')] : []),
    ...(opts.skipDbUpdate ? ['--skip-db-update', '--skip-java-db-update'] : []),
  ];
}

/** The argv (without the executable) for one target. */
export function buildScanArgs(target: ScanTarget, opts: ScanArgsOptions): string[] {
  switch (target.kind) {
    case 'image':
      return ['image', ...common(opts), ...vulnFlags(opts), '--', target.ref];
    case 'image-archive':
      return ['image', ...common(opts), ...vulnFlags(opts), '--input', target.path];
    case 'fs':
      return ['fs', ...common(opts), ...vulnFlags(opts), '--', target.path];
    case 'config':
      return [
        'config',
        ...common(opts),
        ...(opts.tfVars ?? []).flatMap((f) => ['--tf-vars', f]),
        '--',
        target.path,
      ];
  }
}

export type DbKind = 'db' | 'java-db';

export interface DbArgsOptions {
  readonly cacheDir: string;
  readonly timeout: string;
  /** `db-repository` mirrors, tried in order by Trivy. */
  readonly dbRepositories: readonly string[];
}

/** The one download of a DB before the scans (so N concurrent runs do not each pull it). */
export function buildDbDownloadArgs(kind: DbKind, opts: DbArgsOptions): string[] {
  const mirrors =
    kind === 'db' && opts.dbRepositories.length > 0
      ? ['--db-repository', opts.dbRepositories.join(',')]
      : [];
  return [
    'image',
    kind === 'db' ? '--download-db-only' : '--download-java-db-only',
    '--no-progress',
    '--timeout',
    opts.timeout,
    '--cache-dir',
    opts.cacheDir,
    ...mirrors,
  ];
}

/** `15m` → 900000; used to kill a run that outlives its own timeout. */
export function durationToMs(duration: string): number | undefined {
  const m = /^(\d+)(ms|s|m|h)$/.exec(duration.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
  return n * unit;
}
