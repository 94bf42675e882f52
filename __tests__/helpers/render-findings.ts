/** Small builders of model values for renderer tests: only the fields a test cares about. */
import {
  isFailing,
  type Decision,
  type Decisions,
  type Finding,
  type License,
  type Misconfiguration,
  type ScanReport,
  type Secret,
  type Vulnerability,
} from '../../src/model.js';

const IMAGE = {
  artifact: 'ghcr.io/octo/app:1.4.2',
  artifactType: 'container_image',
  source: 'app.json',
} as const;

const REPO = { artifact: '.', artifactType: 'filesystem', source: 'fs.json' } as const;

export function vuln(over: Partial<Vulnerability> = {}): Vulnerability {
  return {
    ...IMAGE,
    kind: 'vulnerability',
    target: 'ghcr.io/octo/app:1.4.2 (alpine 3.19.1)',
    resultClass: 'os-pkgs',
    resultType: 'alpine',
    id: 'CVE-2024-0001',
    severity: 'HIGH',
    title: 'openssl: a bug',
    primaryUrl: 'https://avd.aquasec.com/nvd/cve-2024-0001',
    pkgName: 'libssl3',
    installedVersion: '3.1.4-r0',
    fixedVersion: '3.1.5-r0',
    cweIds: [],
    references: [],
    ...over,
  };
}

export function misconf(over: Partial<Misconfiguration> = {}): Misconfiguration {
  return {
    ...REPO,
    kind: 'misconfiguration',
    target: 'deploy/pod.yaml',
    resultClass: 'config',
    resultType: 'kubernetes',
    id: 'KSV-0001',
    severity: 'MEDIUM',
    title: 'Process can elevate its own privileges',
    status: 'FAIL',
    checkType: 'Kubernetes Security Check',
    message: 'Container should set allowPrivilegeEscalation to false',
    resolution: 'Set allowPrivilegeEscalation to false',
    references: [],
    startLine: 10,
    endLine: 14,
    ...over,
  };
}

export function secret(over: Partial<Secret> = {}): Secret {
  return {
    ...REPO,
    kind: 'secret',
    target: 'scripts/deploy.sh',
    resultClass: 'secret',
    id: 'aws-access-key-id',
    severity: 'CRITICAL',
    title: 'AWS Access Key ID',
    category: 'AWS',
    startLine: 3,
    endLine: 3,
    match: 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE',
    ...over,
  };
}

export function license(over: Partial<License> = {}): License {
  return {
    ...IMAGE,
    kind: 'license',
    target: 'Java',
    resultClass: 'license',
    id: 'GPL-3.0',
    licenseName: 'GPL-3.0',
    severity: 'HIGH',
    title: 'GPL-3.0',
    category: 'restricted',
    pkgName: 'org.example:lib',
    ...over,
  };
}

/** A report that holds these findings (artifact taken from the first one). */
export function report(findings: readonly Finding[], over: Partial<ScanReport> = {}): ScanReport {
  const f = findings[0];
  return {
    source: f?.source ?? 'r.json',
    schemaVersion: 2,
    trivyVersion: '0.69.1',
    artifact: {
      name: f?.artifact ?? IMAGE.artifact,
      type: f?.artifactType ?? IMAGE.artifactType,
      repoTags: [],
      repoDigests: [],
      diffIds: [],
    },
    results: [],
    findings,
    packages: [],
    hasPackageList: false,
    ...over,
  };
}

/** Every failing finding counted and gated, nothing suppressed: policy with no rules. */
export function counted(findings: readonly Finding[], over: Partial<Decisions> = {}): Decisions {
  return {
    decisions: findings.map((finding) => ({
      finding,
      counted: isFailing(finding),
      gated: isFailing(finding),
    })),
    fixed: [],
    expiredRules: [],
    hasBaseline: false,
    ...over,
  };
}

export function decision(finding: Finding, over: Partial<Decision> = {}): Decision {
  return { finding, counted: true, gated: true, ...over };
}
