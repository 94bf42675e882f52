/** Small hand-written ScanReports for SBOM unit tests. */
import type { Artifact, Decision, Package, ScanReport, Vulnerability } from '../../src/model.js';

export function pkg(over: Partial<Package> & Pick<Package, 'name' | 'version'>): Package {
  return {
    id: `${over.name}@${over.version}`,
    licenses: [],
    dependsOn: [],
    target: 'package-lock.json',
    resultClass: 'lang-pkgs',
    resultType: 'npm',
    purl: `pkg:npm/${over.name}@${over.version}`,
    ...over,
  };
}

export function vuln(
  over: Partial<Vulnerability> & Pick<Vulnerability, 'id' | 'pkgName' | 'installedVersion'>,
): Vulnerability {
  return {
    kind: 'vulnerability',
    artifact: 'app',
    artifactType: 'filesystem',
    target: 'package-lock.json',
    resultClass: 'lang-pkgs',
    resultType: 'npm',
    severity: 'HIGH',
    title: over.id,
    source: 'report.json',
    cweIds: [],
    references: [],
    pkgId: `${over.pkgName}@${over.installedVersion}`,
    purl: `pkg:npm/${over.pkgName}@${over.installedVersion}`,
    ...over,
  };
}

export function report(
  over: Omit<Partial<ScanReport>, 'artifact'> & { artifact?: Partial<Artifact> } = {},
): ScanReport {
  const packages = over.packages ?? [];
  const findings = over.findings ?? [];
  const targets = [
    ...new Set([...packages.map((p) => p.target), ...findings.map((f) => f.target)]),
  ];
  const base: ScanReport = {
    source: 'report.json',
    schemaVersion: 2,
    trivyVersion: '0.70.0',
    results: targets.map((target) => ({
      artifact: 'app',
      artifactType: 'filesystem',
      target,
      resultClass: packages.find((p) => p.target === target)?.resultClass ?? 'lang-pkgs',
      packageCount: packages.filter((p) => p.target === target).length,
    })),
    findings,
    packages,
    hasPackageList: packages.length > 0,
    ...over,
    artifact: {
      name: 'app',
      type: 'filesystem',
      repoTags: [],
      repoDigests: [],
      diffIds: [],
      ...over.artifact,
    },
  };
  return base;
}

export function decided(finding: Vulnerability, extra: Partial<Decision> = {}): Decision {
  return { finding, counted: true, gated: true, ...extra };
}
