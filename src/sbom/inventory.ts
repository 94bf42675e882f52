/**
 * The package inventory both SBOM formats are written from: every package of every report,
 * each with a unique reference, grouped under its target (OS, lockfile) and linked by the
 * report's `DependsOn` graph. Pure and deterministic: the same reports give the same inventory.
 */
import type { Artifact, Package, ScanReport, Vulnerability } from '../model.js';

/**
 * Language types whose packages Trivy finds one by one (installed gemspecs, jars, Python and
 * Node packages) rather than from one lockfile: they hang off the scanned artifact directly,
 * as in Trivy's own CycloneDX output, because their `Target` is not a manifest.
 */
const AGGREGATING_TYPES: ReadonlySet<string> = new Set([
  'gemspec',
  'jar',
  'node-pkg',
  'python-pkg',
  'conda-pkg',
]);

export interface InventoryPackage {
  /** Unique within the document: the purl when no other package has it. */
  readonly ref: string;
  readonly pkg: Package;
  /** Ref of the target that holds it, or of the subject for packages found one by one. */
  readonly owner: string;
  /** The report's artifact name: keys findings to packages across several scans. */
  readonly artifact: string;
  /** Refs of the packages it depends on (resolved within its target). */
  readonly dependsOn: readonly string[];
  /** True when it was derived from a vulnerability because the report lists no packages. */
  readonly fromFinding: boolean;
}

export type TargetKind = 'os' | 'application';

/** One `Results[]` entry that holds packages: an OS or a lockfile/manifest. */
export interface InventoryTarget {
  readonly ref: string;
  readonly kind: TargetKind;
  readonly name: string;
  /** The OS version for `os`. */
  readonly version?: string;
  readonly resultClass: string;
  readonly resultType?: string;
  /** Refs of the packages the target itself depends on (roots of its graph). */
  readonly dependsOn: readonly string[];
}

/** The scanned artifact (image, directory, repository) of one report. */
export interface InventorySubject {
  readonly ref: string;
  readonly report: ScanReport;
  readonly artifact: Artifact;
  /** Target refs and directly attached package refs. */
  readonly dependsOn: readonly string[];
}

export interface Inventory {
  readonly subjects: readonly InventorySubject[];
  readonly targets: readonly InventoryTarget[];
  readonly packages: readonly InventoryPackage[];
  /** True when some report had no package list (Trivy ran without `--list-all-pkgs`). */
  readonly incomplete: boolean;
  /** Sources of the reports without a package list. */
  readonly incompleteSources: readonly string[];
}

/** The warning every SBOM builder returns for an incomplete inventory. */
export function incompleteWarning(sources: readonly string[]): string {
  return (
    `the SBOM inventory is incomplete: ${sources.join(', ')} ` +
    'carries no package list (Trivy ran without --list-all-pkgs), so the SBOM holds only the ' +
    'packages named by findings; rerun Trivy with --list-all-pkgs (the action does this for its own scans)'
  );
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A package of a report without a package list, rebuilt from a vulnerability's fields. */
function packageFromFinding(v: Vulnerability): Package {
  const p: {
    -readonly [K in keyof Package]?: Package[K];
  } = {
    name: v.pkgName,
    version: v.installedVersion,
    licenses: [],
    dependsOn: [],
    target: v.target,
    resultClass: v.resultClass,
  };
  if (v.pkgId !== undefined) p.id = v.pkgId;
  if (v.purl !== undefined) p.purl = v.purl;
  if (v.pkgPath !== undefined) p.filePath = v.pkgPath;
  if (v.layerDigest !== undefined) p.layerDigest = v.layerDigest;
  if (v.layerDiffId !== undefined) p.layerDiffId = v.layerDiffId;
  if (v.resultType !== undefined) p.resultType = v.resultType;
  return p as Package;
}

/** Identity of a package within a report: target + ID (or name@version) + file. */
function packageKey(p: Package): string {
  return `${p.target}\u0000${p.id ?? `${p.name}@${p.version}`}\u0000${p.filePath ?? ''}`;
}

/** The packages of a report, plus those only its vulnerabilities name. */
export function reportPackages(report: ScanReport): { packages: Package[]; derived: Set<Package> } {
  const packages = [...report.packages];
  const seen = new Set(packages.map(packageKey));
  const derived = new Set<Package>();
  for (const f of report.findings) {
    if (f.kind !== 'vulnerability') continue;
    const p = packageFromFinding(f);
    const key = packageKey(p);
    if (seen.has(key)) continue;
    seen.add(key);
    packages.push(p);
    derived.add(p);
  }
  return { packages, derived };
}

function isOsClass(resultClass: string): boolean {
  return resultClass === 'os-pkgs';
}

function hasPackageResults(report: ScanReport): boolean {
  return report.results.some((r) => r.resultClass === 'os-pkgs' || r.resultClass === 'lang-pkgs');
}

/** An image always has an inventory, and so does any scan that found packages. */
function expectsPackages(report: ScanReport): boolean {
  return report.artifact.type === 'container_image' || hasPackageResults(report);
}

function hasInventory(report: ScanReport): boolean {
  return report.packages.length > 0 || expectsPackages(report);
}

/** Build the inventory of one or several reports. */
export function buildInventory(allReports: readonly ScanReport[]): Inventory {
  // Config-only scans (IaC, secrets) have no inventory: they would add empty subjects.
  const withInventory = allReports.filter(hasInventory);
  const reports = withInventory.length > 0 ? withInventory : allReports.slice(0, 1);
  const multi = reports.length > 1;
  const perReport = reports.map((report) => ({ report, ...reportPackages(report) }));

  // A purl is a good bom-ref only where it is unique in the whole document.
  const purlCount = new Map<string, number>();
  for (const { packages } of perReport) {
    for (const p of packages) {
      if (p.purl) purlCount.set(p.purl, (purlCount.get(p.purl) ?? 0) + 1);
    }
  }
  const usedRefs = new Set<string>();
  const unique = (candidate: string): string => {
    let ref = candidate;
    for (let n = 2; usedRefs.has(ref); n++) ref = `${candidate}#${n}`;
    usedRefs.add(ref);
    return ref;
  };

  const subjects: InventorySubject[] = [];
  const targets: InventoryTarget[] = [];
  const out: InventoryPackage[] = [];
  const incompleteSources: string[] = [];

  for (const [index, { report, packages, derived }] of perReport.entries()) {
    if (!report.hasPackageList && expectsPackages(report)) incompleteSources.push(report.source);
    const prefix = multi ? `${index + 1}:` : '';
    const subjectRef = unique(`${prefix}artifact:${report.artifact.name || report.source}`);
    const subjectDeps: string[] = [];

    // Group by target in a stable order: the report's result order, then package order.
    const byTarget = new Map<string, Package[]>();
    for (const r of report.results) if (!byTarget.has(r.target)) byTarget.set(r.target, []);
    for (const p of packages) {
      const list = byTarget.get(p.target);
      if (list) list.push(p);
      else byTarget.set(p.target, [p]);
    }

    for (const [target, pkgs] of byTarget) {
      if (pkgs.length === 0) continue;
      const first = pkgs[0] as Package;
      const aggregating =
        !isOsClass(first.resultClass) && AGGREGATING_TYPES.has(first.resultType ?? '');
      const targetRef = aggregating ? subjectRef : unique(`${prefix}target:${target}`);
      const refs = pkgs.map((p) =>
        unique(
          p.purl && purlCount.get(p.purl) === 1
            ? p.purl
            : `${prefix}${target}:${p.purl ?? p.id ?? `${p.name}@${p.version}`}${p.filePath ? `:${p.filePath}` : ''}`,
        ),
      );
      // DependsOn names package IDs of the same result.
      const byId = new Map<string, string>();
      pkgs.forEach((p, i) => {
        const key = p.id ?? `${p.name}@${p.version}`;
        if (!byId.has(key)) byId.set(key, refs[i] as string);
      });
      const incoming = new Set<string>();
      const entries = pkgs.map((p, i) => {
        const deps = [...new Set(p.dependsOn.flatMap((id) => byId.get(id) ?? []))].sort(
          compareStrings,
        );
        for (const d of deps) incoming.add(d);
        return {
          ref: refs[i] as string,
          pkg: p,
          owner: targetRef,
          artifact: report.artifact.name,
          dependsOn: deps,
          fromFinding: derived.has(p),
        };
      });
      out.push(...entries);

      const hasRoot = entries.some(
        (e) => e.pkg.relationship === 'root' || e.pkg.relationship === 'workspace',
      );
      // The target depends on the roots of its graph (what nothing else pulls in), and on
      // packages the report calls direct when no root package stands between them.
      const roots = entries
        .filter((e) => !incoming.has(e.ref) || (!hasRoot && e.pkg.relationship === 'direct'))
        .map((e) => e.ref)
        .sort(compareStrings);
      if (aggregating) {
        subjectDeps.push(...roots);
        continue;
      }
      const os = isOsClass(first.resultClass) ? report.artifact.os : undefined;
      const t: { -readonly [K in keyof InventoryTarget]?: InventoryTarget[K] } = {
        ref: targetRef,
        kind: isOsClass(first.resultClass) ? 'os' : 'application',
        name: os ? os.family : target,
        resultClass: first.resultClass,
        dependsOn: roots,
      };
      if (os) t.version = os.name;
      if (first.resultType !== undefined) t.resultType = first.resultType;
      targets.push(t as InventoryTarget);
      subjectDeps.push(targetRef);
    }
    subjects.push({
      ref: subjectRef,
      report,
      artifact: report.artifact,
      dependsOn: [...new Set(subjectDeps)].sort(compareStrings),
    });
  }
  return {
    subjects,
    targets,
    packages: out,
    incomplete: incompleteSources.length > 0,
    incompleteSources,
  };
}

/** A package's name for the documents; never empty, since both formats require one. */
export function packageName(p: Package): string {
  return p.name || p.id || p.purl || '(unnamed package)';
}

/**
 * The name a scanned artifact goes by. A scan of the working directory is called `.` by
 * Trivy; the document then takes the given subject name (the repository) instead.
 */
export function subjectName(s: InventorySubject, fallback: string | undefined): string {
  const name = s.artifact.name.trim();
  if (name === '' || name === '.' || name === './') return fallback ?? (name || s.report.source);
  return name;
}
