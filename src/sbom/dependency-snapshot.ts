/**
 * The scan's inventory as a GitHub dependency submission snapshot, so the dependency graph
 * and Dependabot alerts cover what is inside the image, not only the repository's lockfiles.
 * https://docs.github.com/en/rest/dependency-graph/dependency-submission
 *
 * Compared with Trivy's own `--format github` output (corpus alpine-310.gsbom.json):
 * - `resolved` is keyed by package ID (`name@version`), not by name, so two versions of one
 *   package in a manifest do not overwrite each other;
 * - `dependencies` are purls, as the API documents them, not Trivy package IDs;
 * - `relationship` is set only where the report knows it (Trivy calls every package direct);
 * - packages without a purl are left out: GitHub cannot match them to advisories.
 */
import path from 'node:path/posix';
import type { Package, ScanReport } from '../model.js';
import { reportPackages } from './inventory.js';

/** The metadata object GitHub accepts: at most 8 scalar values. */
export type SnapshotMetadata = Readonly<Record<string, string | number | boolean>>;
const MAX_METADATA_KEYS = 8;

export interface SnapshotDependency {
  readonly package_url: string;
  readonly relationship?: 'direct' | 'indirect';
  readonly scope?: 'runtime' | 'development';
  readonly dependencies?: readonly string[];
}

export interface SnapshotManifest {
  readonly name: string;
  readonly file?: { readonly source_location: string };
  readonly metadata?: SnapshotMetadata;
  readonly resolved: Readonly<Record<string, SnapshotDependency>>;
}

export interface DependencySnapshot {
  readonly version: 0;
  readonly job: { readonly id: string; readonly correlator: string; readonly html_url?: string };
  readonly sha: string;
  readonly ref: string;
  readonly detector: { readonly name: string; readonly version: string; readonly url: string };
  readonly metadata?: SnapshotMetadata;
  readonly manifests: Readonly<Record<string, SnapshotManifest>>;
  readonly scanned: string;
}

export interface SnapshotContext {
  /** The commit (GITHUB_SHA). */
  readonly sha: string;
  /** The full ref (GITHUB_REF), `refs/...`. */
  readonly ref: string;
  /** Groups submissions over time: workflow + job (+ matrix key); see the API's `correlator`. */
  readonly correlator: string;
  /** The run ID (GITHUB_RUN_ID). */
  readonly jobId: string;
  /** The run's URL, when known. */
  readonly jobUrl?: string;
  readonly detectorVersion: string;
  /** This action's home page (e.g. `https://github.com/<GITHUB_ACTION_REPOSITORY>`). */
  readonly detectorUrl: string;
  readonly scanned: Date;
  /**
   * Repository path of the Dockerfile that builds the scanned image (the `dockerfile` input):
   * image manifests point at it, since files inside an image are not in the repository.
   */
  readonly imageManifestPath?: string;
}

export const DETECTOR_NAME = 'supply-chain-guard';

function relationshipOf(p: Package): SnapshotDependency['relationship'] {
  if (p.relationship === 'direct' || p.relationship === 'workspace') return 'direct';
  if (p.relationship === 'indirect') return 'indirect';
  return undefined;
}

/** A target's location in the repository, for scans of the repository's own files. */
function sourceLocation(
  report: ScanReport,
  target: string,
  ctx: SnapshotContext,
): string | undefined {
  if (report.artifact.type === 'container_image') return ctx.imageManifestPath;
  if (report.artifact.type !== 'filesystem' && report.artifact.type !== 'repository') {
    return undefined;
  }
  const base = report.artifact.name;
  // A remote repository scan (`trivy repo https://...`) is not this repository.
  if (/^[a-z]+:\/\//i.test(base)) return undefined;
  const joined = path.normalize(path.join(base.replace(/\\/g, '/'), target));
  return joined.startsWith('../') ? undefined : joined.replace(/^\.\//, '');
}

function imageMetadata(reports: readonly ScanReport[]): SnapshotMetadata | undefined {
  const out: Record<string, string> = {};
  const images = reports.filter((r) => r.artifact.type === 'container_image');
  const add = (key: string, value: string | undefined): void => {
    if (value && Object.keys(out).length < MAX_METADATA_KEYS && !(key in out)) out[key] = value;
  };
  for (const r of images) {
    add(`image:${r.artifact.name}:digest`, r.artifact.repoDigests[0]);
  }
  for (const r of images) add(`image:${r.artifact.name}:tag`, r.artifact.repoTags[0]);
  return Object.keys(out).length > 0 ? out : undefined;
}

/** Build the snapshot (pure). Manifests are keyed by target, prefixed when targets clash. */
export function toDependencySnapshot(
  reports: readonly ScanReport[],
  ctx: SnapshotContext,
): DependencySnapshot {
  const manifests: Record<string, SnapshotManifest> = {};
  const targetCount = new Map<string, number>();
  for (const r of reports) {
    for (const t of new Set(reportPackages(r).packages.map((p) => p.target))) {
      targetCount.set(t, (targetCount.get(t) ?? 0) + 1);
    }
  }
  for (const report of reports) {
    const byTarget = new Map<string, Package[]>();
    for (const p of reportPackages(report).packages) {
      if (!p.purl) continue;
      const list = byTarget.get(p.target) ?? [];
      list.push(p);
      byTarget.set(p.target, list);
    }
    for (const [target, pkgs] of byTarget) {
      const purlById = new Map<string, string>();
      for (const p of pkgs) purlById.set(p.id ?? `${p.name}@${p.version}`, p.purl as string);
      const resolved: Record<string, SnapshotDependency> = {};
      for (const p of pkgs) {
        // The project itself is not one of its dependencies.
        if (p.relationship === 'root') continue;
        const base = p.id ?? `${p.name}@${p.version}`;
        let key = base;
        for (let n = 2; key in resolved; n++) key = `${base}#${n}`;
        const deps = [...new Set(p.dependsOn.flatMap((id) => purlById.get(id) ?? []))].sort();
        const relationship = relationshipOf(p);
        resolved[key] = {
          package_url: p.purl as string,
          ...(relationship ? { relationship } : {}),
          scope: p.dev === true ? 'development' : 'runtime',
          ...(deps.length > 0 ? { dependencies: deps } : {}),
        };
      }
      const first = pkgs[0] as Package;
      const location = sourceLocation(report, target, ctx);
      let key = (targetCount.get(target) ?? 0) > 1 ? `${report.artifact.name}: ${target}` : target;
      for (let n = 2; key in manifests; n++) key = `${target} #${n}`;
      manifests[key] = {
        name: first.resultType ?? target,
        ...(location ? { file: { source_location: location } } : {}),
        resolved,
      };
    }
  }
  const metadata = imageMetadata(reports);
  return {
    version: 0,
    job: {
      id: ctx.jobId,
      correlator: ctx.correlator,
      ...(ctx.jobUrl ? { html_url: ctx.jobUrl } : {}),
    },
    sha: ctx.sha,
    ref: ctx.ref,
    detector: {
      name: DETECTOR_NAME,
      version: ctx.detectorVersion,
      url: ctx.detectorUrl,
    },
    ...(metadata ? { metadata } : {}),
    manifests,
    scanned: ctx.scanned.toISOString(),
  };
}

/** Number of resolved packages, for the log line. */
export function snapshotPackageCount(s: DependencySnapshot): number {
  return Object.values(s.manifests).reduce((n, m) => n + Object.keys(m.resolved).length, 0);
}
