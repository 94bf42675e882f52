/**
 * A deterministic large Trivy JSON report for the benchmark: an image with many OS and language
 * packages, each with several vulnerabilities, plus a config scan's worth of misconfigurations.
 * Same seed → same bytes.
 */
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS =
  'buffer overflow in the parser allows remote attackers to cause a denial of service or possibly execute arbitrary code via crafted input when processing untrusted data with insufficient validation of length fields'.split(
    ' ',
  );

export interface GeneratedSize {
  packages: number;
  vulnerabilities: number;
  misconfigurations: number;
}

export function generateReport(size: GeneratedSize, seed = 42): string {
  const r = rng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const sentence = (n: number) => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const osPkgs: unknown[] = [];
  const langPkgs: unknown[] = [];
  const osVulns: unknown[] = [];
  const langVulns: unknown[] = [];
  const perPkg = Math.ceil(size.vulnerabilities / size.packages);
  let vulnCount = 0;
  for (let i = 0; i < size.packages; i++) {
    const os = i % 2 === 0;
    const name = os ? `libpkg${i}` : `@scope${i % 97}/module-${i}`;
    const version = `${1 + (i % 5)}.${i % 13}.${i % 7}${os ? `-r${i % 4}` : ''}`;
    const purl = os
      ? `pkg:deb/debian/${name}@${version}?arch=amd64&distro=debian-12`
      : `pkg:npm/%40scope${i % 97}/module-${i}@${version}`;
    const id = `${name}@${version}`;
    const dependsOn =
      i > 2
        ? [
            `${os ? `libpkg${i - 2}` : `@scope${(i - 2) % 97}/module-${i - 2}`}@${1 + ((i - 2) % 5)}.${(i - 2) % 13}.${(i - 2) % 7}${os ? `-r${(i - 2) % 4}` : ''}`,
          ]
        : [];
    const pkg = {
      ID: id,
      Name: name,
      Identifier: { PURL: purl, UID: (i * 2654435761).toString(16) },
      Version: version,
      Licenses: [pick(['MIT', 'Apache-2.0', 'GPL-2.0-only', 'BSD-3-Clause'])],
      DependsOn: dependsOn,
      Layer: { DiffID: `sha256:${(i % 8).toString().repeat(64)}` },
    };
    (os ? osPkgs : langPkgs).push(pkg);
    for (let k = 0; k < perPkg && vulnCount < size.vulnerabilities; k++, vulnCount++) {
      const sev = pick(SEVERITIES);
      const year = 2015 + Math.floor(r() * 11);
      const cve = `CVE-${year}-${10000 + vulnCount}`;
      const fixed = r() < 0.7 ? `${2 + (i % 5)}.0.0` : undefined;
      const score = Math.round((1 + r() * 9) * 10) / 10;
      (os ? osVulns : langVulns).push({
        VulnerabilityID: cve,
        PkgID: id,
        PkgName: name,
        PkgIdentifier: { PURL: purl, UID: (i * 2654435761).toString(16) },
        InstalledVersion: version,
        ...(fixed && { FixedVersion: fixed }),
        Status: fixed ? 'fixed' : 'affected',
        Layer: { DiffID: `sha256:${(i % 8).toString().repeat(64)}` },
        SeveritySource: 'nvd',
        PrimaryURL: `https://avd.aquasec.com/nvd/${cve.toLowerCase()}`,
        DataSource: {
          ID: 'debian',
          Name: 'Debian Security Tracker',
          URL: 'https://salsa.debian.org/security-tracker-team/security-tracker',
        },
        Title: `${name}: ${sentence(8)}`,
        Description: sentence(60),
        Severity: sev,
        CweIDs: [`CWE-${100 + (vulnCount % 700)}`],
        VendorSeverity: { nvd: 1 + (vulnCount % 4) },
        CVSS: { nvd: { V3Vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', V3Score: score } },
        References: [
          `https://nvd.nist.gov/vuln/detail/${cve}`,
          `https://security-tracker.debian.org/tracker/${cve}`,
        ],
        PublishedDate: `${year}-0${1 + (vulnCount % 9)}-1${vulnCount % 10}T12:00:00Z`,
        LastModifiedDate: '2025-01-01T00:00:00Z',
      });
    }
  }
  const misconfs: unknown[] = [];
  for (let i = 0; i < size.misconfigurations; i++) {
    const line = 1 + (i % 400);
    misconfs.push({
      Type: 'Kubernetes Security Check',
      ID: `KSV-${String(1 + (i % 120)).padStart(4, '0')}`,
      Title: sentence(6),
      Description: sentence(30),
      Message: sentence(12),
      Namespace: 'builtin.kubernetes.ksv',
      Query: 'data.builtin.kubernetes.deny',
      Resolution: sentence(8),
      Severity: pick(SEVERITIES),
      PrimaryURL: 'https://avd.aquasec.com/misconfig/ksv-0001',
      References: ['https://kubernetes.io/docs/concepts/security/pod-security-standards/'],
      Status: 'FAIL',
      CauseMetadata: {
        Resource: `Deployment/app-${i % 50}`,
        Provider: 'Kubernetes',
        Service: 'general',
        StartLine: line,
        EndLine: line + 3,
        Code: { Lines: [{ Number: line, Content: '        securityContext: {}', IsCause: true }] },
      },
    });
  }
  const results = [
    {
      Target: 'bench/image:1 (debian 12.5)',
      Class: 'os-pkgs',
      Type: 'debian',
      Packages: osPkgs,
      Vulnerabilities: osVulns,
    },
    {
      Target: 'app/package-lock.json',
      Class: 'lang-pkgs',
      Type: 'npm',
      Packages: langPkgs,
      Vulnerabilities: langVulns,
    },
    ...Array.from({ length: 50 }, (_, f) => ({
      Target: `deploy/k8s/app-${f}.yaml`,
      Class: 'config',
      Type: 'kubernetes',
      MisconfSummary: { Successes: 80, Failures: 0 },
      Misconfigurations: misconfs.filter((_, i) => i % 50 === f),
    })),
  ];
  return JSON.stringify(
    {
      SchemaVersion: 2,
      Trivy: { Version: '0.72.0' },
      ReportID: '01934000-0000-7000-8000-000000000000',
      CreatedAt: '2026-11-01T00:00:00Z',
      ArtifactName: 'bench/image:1',
      ArtifactType: 'container_image',
      Metadata: {
        OS: { Family: 'debian', Name: '12.5' },
        ImageID: `sha256:${'a'.repeat(64)}`,
        RepoTags: ['bench/image:1'],
        RepoDigests: [],
      },
      Results: results,
    },
    null,
    2,
  );
}
