/**
 * The findings model: what every Trivy JSON report becomes, and what policy, renderers,
 * SBOM builders and signers read. Plain data, no behaviour beyond small helpers.
 * Optional fields of findings and packages may be present as `undefined`: the parser builds
 * tens of thousands of them in one shape instead of copying each to drop absent keys.
 */

/** Severities from most to least severe; the order is used for sorting and thresholds. */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN'] as const;
export type Severity = (typeof SEVERITIES)[number];

const RANK: Readonly<Record<Severity, number>> = {
  CRITICAL: 0,
  HIGH: 1,
  MEDIUM: 2,
  LOW: 3,
  UNKNOWN: 4,
};

/** 0 for CRITICAL … 4 for UNKNOWN: smaller is more severe. */
export function severityRank(s: Severity): number {
  return RANK[s];
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

export const FINDING_CLASSES = ['vulnerability', 'misconfiguration', 'secret', 'license'] as const;
export type FindingClass = (typeof FINDING_CLASSES)[number];

/** Where a finding was found: one `Results[]` entry of a report. */
export interface Location {
  /** The report's `ArtifactName` (image reference, directory, archive path). */
  readonly artifact: string;
  /** `ArtifactType` of the report (`container_image`, `filesystem`, ...). */
  readonly artifactType: string;
  /** The result's `Target` (OS name, lockfile path, config file path). */
  readonly target: string;
  /** The result's `Class` (`os-pkgs`, `lang-pkgs`, `config`, `secret`, `license`, ...). */
  readonly resultClass: string;
  /** The result's `Type` (`alpine`, `npm`, `dockerfile`, ...), absent for secrets/licenses. */
  readonly resultType?: string | undefined;
}

interface FindingBase extends Location {
  /** Vulnerability ID, misconfiguration check ID, secret rule ID or license name. */
  readonly id: string;
  readonly severity: Severity;
  readonly title: string;
  readonly description?: string | undefined;
  readonly primaryUrl?: string | undefined;
  /** Which report file (or scan) it came from; for messages. */
  readonly source: string;
}

export interface Vulnerability extends FindingBase {
  readonly kind: 'vulnerability';
  readonly pkgName: string;
  readonly pkgId?: string | undefined;
  readonly pkgPath?: string | undefined;
  readonly purl?: string | undefined;
  readonly installedVersion: string;
  /** May be a comma list or a range, as Trivy prints it. */
  readonly fixedVersion?: string | undefined;
  /** `fixed`, `affected`, `will_not_fix`, `end_of_life`, ... when the report has it. */
  readonly status?: string | undefined;
  readonly severitySource?: string | undefined;
  /** CVSS v3 (else v4) base score of the severity source, else the highest known. */
  readonly cvssScore?: number | undefined;
  readonly cweIds: readonly string[];
  readonly references: readonly string[];
  readonly publishedDate?: string | undefined;
  readonly lastModifiedDate?: string | undefined;
  readonly layerDigest?: string | undefined;
  readonly layerDiffId?: string | undefined;
}

export interface Misconfiguration extends FindingBase {
  readonly kind: 'misconfiguration';
  /** `FAIL` counts; `PASS` and `EXCEPTION` are kept as passed. */
  readonly status: 'FAIL' | 'PASS' | 'EXCEPTION';
  /** The AVD ID (`AVD-DS-0002`) when the report carries one beside `ID`. */
  readonly avdId?: string | undefined;
  readonly checkType: string;
  readonly message: string;
  readonly resolution?: string | undefined;
  readonly references: readonly string[];
  readonly resource?: string | undefined;
  readonly provider?: string | undefined;
  readonly service?: string | undefined;
  readonly startLine?: number | undefined;
  readonly endLine?: number | undefined;
}

export interface Secret extends FindingBase {
  readonly kind: 'secret';
  readonly category: string;
  readonly startLine?: number | undefined;
  readonly endLine?: number | undefined;
  /** Masked by Trivy, still treated as sensitive: never printed by renderers. */
  readonly match?: string | undefined;
}

export interface License extends FindingBase {
  readonly kind: 'license';
  /** The license name (same as `id`). */
  readonly licenseName: string;
  readonly category: string;
  readonly pkgName?: string | undefined;
  readonly filePath?: string | undefined;
  readonly confidence?: number | undefined;
  readonly link?: string | undefined;
}

export type Finding = Vulnerability | Misconfiguration | Secret | License;

/** One package of the inventory (`Packages[]`, present with `--list-all-pkgs`). */
export interface Package {
  readonly id?: string | undefined;
  readonly name: string;
  readonly version: string;
  readonly release?: string | undefined;
  readonly epoch?: number | undefined;
  readonly arch?: string | undefined;
  readonly purl?: string | undefined;
  readonly uid?: string | undefined;
  readonly licenses: readonly string[];
  /** Package IDs (`ID` of other packages) this one depends on. */
  readonly dependsOn: readonly string[];
  /** `root`, `workspace`, `direct`, `indirect` when Trivy knows it. */
  readonly relationship?: string | undefined;
  readonly dev?: boolean | undefined;
  readonly srcName?: string | undefined;
  readonly srcVersion?: string | undefined;
  readonly filePath?: string | undefined;
  readonly layerDigest?: string | undefined;
  readonly layerDiffId?: string | undefined;
  /** Where it was found. */
  readonly target: string;
  readonly resultClass: string;
  readonly resultType?: string | undefined;
}

export interface OperatingSystem {
  readonly family: string;
  readonly name: string;
  readonly eosl?: boolean | undefined;
}

/** What was scanned, from the report's top level and `Metadata`. */
export interface Artifact {
  readonly name: string;
  readonly type: string;
  readonly os?: OperatingSystem | undefined;
  readonly imageId?: string | undefined;
  readonly repoTags: readonly string[];
  readonly repoDigests: readonly string[];
  readonly diffIds: readonly string[];
}

/** One `Results[]` entry, without its findings. */
export interface ResultInfo extends Location {
  readonly packageCount: number;
}

/** A whole parsed Trivy JSON report. */
export interface ScanReport {
  /** The file it was read from, or `scan:<target>` for a scan run by the action. */
  readonly source: string;
  readonly schemaVersion: number;
  /** `Trivy.Version` (absent before 0.69). */
  readonly trivyVersion?: string;
  readonly createdAt?: string;
  readonly artifact: Artifact;
  readonly results: readonly ResultInfo[];
  readonly findings: readonly Finding[];
  readonly packages: readonly Package[];
  /**
   * True when some result lists `Packages` (Trivy ran with `--list-all-pkgs`). False means the
   * inventory holds only the packages named by vulnerabilities: an SBOM from it is incomplete.
   */
  readonly hasPackageList: boolean;
}

/** A stable identity of a finding across runs (baseline diff, fingerprints). */
export function findingKey(f: Finding): string {
  switch (f.kind) {
    case 'vulnerability':
      return `vuln|${f.id}|${f.pkgName}|${f.pkgPath ?? ''}|${f.target}`;
    case 'misconfiguration':
      return `misconf|${f.id}|${f.target}|${f.resource ?? ''}|${f.startLine ?? ''}`;
    case 'secret':
      return `secret|${f.id}|${f.target}|${f.startLine ?? ''}`;
    case 'license':
      return `license|${f.id}|${f.pkgName ?? ''}|${f.filePath ?? ''}|${f.target}`;
  }
}

/** Does this finding count toward counts and the gate at all (before policy)? */
export function isFailing(f: Finding): boolean {
  return f.kind !== 'misconfiguration' || f.status === 'FAIL';
}

/** Why a finding is not counted: a deliberate suppression, kept with its reason. */
export type Suppression =
  | {
      readonly kind: 'ignore-file';
      readonly file: string;
      /** The rule's `statement` or the comment above the ID in `.trivyignore`. */
      readonly statement?: string;
      /** `expired_at` of the rule (ISO date), when it has one. */
      readonly expiresAt?: string;
    }
  | {
      readonly kind: 'vex';
      readonly document: string;
      readonly status: 'not_affected' | 'fixed';
      readonly justification?: string;
      readonly statement?: string;
    };

/** Why a finding is not reported at all (the `severity` and `ignore-unfixed` inputs). */
export type Filter = 'severity' | 'unfixed';

/** Baseline state of a finding when a baseline is given. */
export type BaselineState = 'new' | 'unchanged';

/** One finding after policy. */
export interface Decision {
  readonly finding: Finding;
  /** Set when `severity` or `ignore-unfixed` drops it: not reported, not counted. */
  readonly filtered?: Filter;
  /** Set when an ignore rule or VEX statement suppresses it: reported as suppressed. */
  readonly suppression?: Suppression;
  /** Set when a baseline is given. */
  readonly baseline?: BaselineState;
  /** Counts toward the severity counts (reported, failing, not suppressed). */
  readonly counted: boolean;
  /** Counts toward the gate (counted, and new when `fail-on-new-only`). */
  readonly gated: boolean;
}

/** An ignore rule whose `expired_at` has passed: it no longer suppresses. */
export interface ExpiredRule {
  readonly file: string;
  readonly id: string;
  readonly expiredAt: string;
  readonly statement?: string;
}

/** Everything policy decided over all reports. */
export interface Decisions {
  readonly decisions: readonly Decision[];
  /** Findings of the baseline that are gone now (empty without a baseline). */
  readonly fixed: readonly Finding[];
  readonly expiredRules: readonly ExpiredRule[];
  readonly hasBaseline: boolean;
}
