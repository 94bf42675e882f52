/**
 * RawInputs → Config: every input validated once, up front. Errors name the kebab-case input
 * and list what is accepted. Nothing below this layer reads inputs or the environment.
 */
import path from 'node:path';
import { ConfigError } from './errors.js';
import type { InputName, RawInputs, RunEnvironment } from './inputs.js';
import { SEVERITIES, isSeverity, type Severity } from './model.js';
import { parseImageReference } from './oci/reference.js';
import { FAIL_ON_FORMS, parseFailOn, type GateRule } from './policy/gate.js';
import { normalizeVersion } from './trivy/release.js';

export type SbomFormat = 'cyclonedx' | 'spdx';
export type SignatureFormat = 'legacy' | 'bundle';

export interface Targets {
  readonly image?: string;
  readonly imageArchive?: string;
  readonly config: readonly string[];
  readonly fs: readonly string[];
  /** Globs of existing Trivy JSON reports. */
  readonly reports: readonly string[];
}

export interface PolicyConfig {
  readonly severities: readonly Severity[];
  readonly ignoreUnfixed: boolean;
  /** An explicit ignore file, or the one auto-detected at the workspace root. */
  readonly ignoreFile?: string;
  readonly vex: readonly string[];
  readonly failOn: GateRule;
  readonly failOnNewOnly: boolean;
  readonly baselineReport?: string;
  readonly baselineImage?: string;
}

export interface ReportingConfig {
  readonly sarifFile: string;
  readonly uploadSarif: boolean;
  readonly sarifCategory?: string;
  readonly dockerfile?: string;
  readonly prComment: boolean;
  readonly commentKey?: string;
  readonly summary: boolean;
  readonly annotations: boolean;
  readonly outputDir: string;
}

export interface SbomConfig {
  readonly formats: readonly SbomFormat[];
  /** CycloneDX spec version: 1.6, or 1.5 for older consumers. */
  readonly cyclonedxVersion: '1.6' | '1.5';
  /** Path for the SBOM; with two formats, the extension is replaced per format. */
  readonly file?: string;
  readonly vulnerabilities: boolean;
  readonly uploadArtifact: boolean;
  readonly dependencySnapshot: boolean;
}

export interface SigningConfig {
  readonly sign: boolean;
  readonly attestSbom: boolean;
  readonly attestVuln: boolean;
  readonly format: SignatureFormat;
  readonly verifyIdentity?: string;
  readonly verifyIssuer: string;
  readonly fulcioUrl?: string;
  readonly rekorUrl?: string;
  readonly tsaUrl?: string;
  readonly trustedRoot?: string;
  readonly registryUsername?: string;
  readonly registryPassword?: string;
}

export interface TrivyConfig {
  /** `trivy-version`; empty means the pinned default. */
  readonly version?: string;
  /** `trivy-allow-unsigned`: accept a release without Sigstore bundles (sha256 only). */
  readonly allowUnsigned: boolean;
  /** `trivy-config`. */
  readonly configFile?: string;
  readonly scanners: readonly string[];
  /** `cache`. */
  readonly cache: boolean;
  /** `db-repository`. */
  readonly dbRepositories: readonly string[];
}

export interface Config {
  readonly targets: Targets;
  readonly policy: PolicyConfig;
  readonly reporting: ReportingConfig;
  readonly sbom: SbomConfig;
  readonly signing: SigningConfig;
  readonly trivy: TrivyConfig;
  readonly githubToken?: string;
  readonly env: RunEnvironment;
}

const TRUE = ['true', 'yes', '1', 'on'];
const FALSE = ['false', 'no', '0', 'off', ''];

export function parseBoolean(input: InputName, value: string, fallback: boolean): boolean {
  const v = value.trim().toLowerCase();
  if (v === '') return fallback;
  if (TRUE.includes(v)) return true;
  if (FALSE.includes(v)) return false;
  throw new ConfigError(input, `"${value}" is not a boolean`, 'use true or false');
}

/** Newline- or comma-separated list, blanks dropped. */
export function parseList(value: string): string[] {
  return value
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseSeverities(value: string): Severity[] {
  const items = parseList(value).map((s) => s.toUpperCase());
  if (items.length === 0) {
    throw new ConfigError(
      'severity',
      'no severity given',
      `use a list of ${SEVERITIES.join(', ')}`,
    );
  }
  const bad = items.filter((s) => !isSeverity(s));
  if (bad.length > 0) {
    throw new ConfigError(
      'severity',
      `unknown severit${bad.length === 1 ? 'y' : 'ies'} ${bad.map((b) => `"${b}"`).join(', ')}`,
      `valid severities: ${SEVERITIES.join(', ')}`,
    );
  }
  return SEVERITIES.filter((s) => items.includes(s));
}

const SCANNERS = ['vuln', 'secret', 'misconfig', 'license'];

function parseScanners(value: string): string[] {
  const items = parseList(value).map((s) => s.toLowerCase());
  const bad = items.filter((s) => !SCANNERS.includes(s));
  if (bad.length > 0) {
    throw new ConfigError(
      'scanners',
      `unknown scanner ${bad.map((b) => `"${b}"`).join(', ')}`,
      `valid scanners: ${SCANNERS.join(', ')}`,
    );
  }
  return items;
}

function parseSbomFormats(value: string): SbomFormat[] {
  const items = parseList(value.toLowerCase());
  if (items.length === 1 && items[0] === 'none') return [];
  const out: SbomFormat[] = [];
  for (const item of items) {
    if (item !== 'cyclonedx' && item !== 'spdx') {
      throw new ConfigError(
        'sbom',
        `"${item}" is not an SBOM format`,
        'use cyclonedx, spdx, "cyclonedx,spdx" or none',
      );
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

function parseCycloneDxVersion(value: string): '1.6' | '1.5' {
  const v = value.trim() || '1.6';
  if (v !== '1.6' && v !== '1.5') {
    throw new ConfigError(
      'cyclonedx-version',
      `"${value}" is not a supported CycloneDX version`,
      'use 1.6 or 1.5',
    );
  }
  return v;
}

function optional(value: string): string | undefined {
  return value === '' ? undefined : value;
}

function resolvePath(env: RunEnvironment, value: string): string {
  return path.resolve(env.workspace, value);
}

/** Validate every input; throws ConfigError naming the input. */
export function buildConfig(raw: RawInputs, env: RunEnvironment): Config {
  const failOnParsed = parseFailOn(raw['fail-on']);
  if (!failOnParsed.ok) {
    throw new ConfigError('fail-on', failOnParsed.error, FAIL_ON_FORMS);
  }
  const severities = parseSeverities(raw.severity);
  const scanners = parseScanners(raw.scanners);
  const sbomFormats = parseSbomFormats(raw.sbom);
  const signatureFormat = raw['signature-format'].toLowerCase() || 'legacy';
  if (signatureFormat !== 'legacy' && signatureFormat !== 'bundle') {
    throw new ConfigError(
      'signature-format',
      `"${raw['signature-format']}" is not a signature format`,
      'use legacy (cosign .sig/.att tags) or bundle (OCI 1.1 referrers)',
    );
  }
  const sign = parseBoolean('sign', raw.sign, false);
  const outputDir = path.join(env.tempDir, 'supply-chain-guard');
  const targets: Targets = {
    ...(optional(raw.image) && { image: raw.image }),
    ...(optional(raw['image-archive']) && {
      imageArchive: resolvePath(env, raw['image-archive']),
    }),
    config: parseList(raw.config),
    fs: parseList(raw.fs),
    reports: parseList(raw['trivy-reports']),
  };
  const ignoreFile = optional(raw['ignore-file']);
  const baselineReport = optional(raw['baseline-report']);
  const baselineImage = optional(raw['baseline-image']);
  const config: Config = {
    targets,
    policy: {
      severities,
      ignoreUnfixed: parseBoolean('ignore-unfixed', raw['ignore-unfixed'], false),
      ...(ignoreFile && { ignoreFile: resolvePath(env, ignoreFile) }),
      vex: parseList(raw.vex).map((v) => resolvePath(env, v)),
      failOn: failOnParsed.value,
      failOnNewOnly: parseBoolean('fail-on-new-only', raw['fail-on-new-only'], false),
      ...(baselineReport && { baselineReport: resolvePath(env, baselineReport) }),
      ...(baselineImage && { baselineImage }),
    },
    reporting: {
      sarifFile: raw.sarif ? resolvePath(env, raw.sarif) : path.join(outputDir, 'results.sarif'),
      uploadSarif: parseBoolean('upload-sarif', raw['upload-sarif'], true),
      ...(optional(raw['sarif-category']) && { sarifCategory: raw['sarif-category'] }),
      ...(optional(raw.dockerfile) && { dockerfile: raw.dockerfile }),
      prComment: parseBoolean('pr-comment', raw['pr-comment'], true),
      ...(optional(raw['comment-key']) && { commentKey: raw['comment-key'] }),
      summary: parseBoolean('summary', raw.summary, true),
      annotations: parseBoolean('annotations', raw.annotations, true),
      outputDir,
    },
    sbom: {
      formats: sbomFormats,
      cyclonedxVersion: parseCycloneDxVersion(raw['cyclonedx-version']),
      ...(optional(raw['sbom-file']) && { file: resolvePath(env, raw['sbom-file']) }),
      vulnerabilities: parseBoolean('sbom-vulnerabilities', raw['sbom-vulnerabilities'], false),
      uploadArtifact: parseBoolean('upload-artifact', raw['upload-artifact'], true),
      dependencySnapshot: parseBoolean('dependency-snapshot', raw['dependency-snapshot'], false),
    },
    signing: {
      sign,
      // Default: with sign, attest the SBOM when there is one (`sbom: none` signs only).
      attestSbom: parseBoolean('attest-sbom', raw['attest-sbom'], sign && sbomFormats.length > 0),
      attestVuln: parseBoolean('attest-vuln', raw['attest-vuln'], false),
      format: signatureFormat,
      ...(optional(raw['verify-identity']) && { verifyIdentity: raw['verify-identity'] }),
      verifyIssuer: raw['verify-issuer'] || 'https://token.actions.githubusercontent.com',
      ...(optional(raw['fulcio-url']) && { fulcioUrl: raw['fulcio-url'] }),
      ...(optional(raw['rekor-url']) && { rekorUrl: raw['rekor-url'] }),
      ...(optional(raw['tsa-url']) && { tsaUrl: raw['tsa-url'] }),
      ...(optional(raw['trusted-root']) && { trustedRoot: resolvePath(env, raw['trusted-root']) }),
      ...(optional(raw['registry-username']) && { registryUsername: raw['registry-username'] }),
      ...(optional(raw['registry-password']) && { registryPassword: raw['registry-password'] }),
    },
    trivy: {
      ...(optional(raw['trivy-version']) && { version: normalizeVersion(raw['trivy-version']) }),
      allowUnsigned: parseBoolean('trivy-allow-unsigned', raw['trivy-allow-unsigned'], false),
      ...(optional(raw['trivy-config']) && { configFile: resolvePath(env, raw['trivy-config']) }),
      scanners,
      cache: parseBoolean('cache', raw.cache, true),
      dbRepositories: parseList(raw['db-repository']),
    },
    ...(optional(raw['github-token']) && { githubToken: raw['github-token'] }),
    env,
  };
  if (config.signing.tsaUrl && config.signing.format === 'legacy') {
    // cosign's .att layout has no place for a timestamp over what sigstore-js timestamps;
    // requesting one and dropping it would be a silent no-op.
    throw new ConfigError(
      'tsa-url',
      'RFC 3161 timestamps are written only with signature-format: bundle',
      'set signature-format: bundle, or remove tsa-url (legacy signatures rely on the Rekor entry time)',
    );
  }
  if (config.policy.failOnNewOnly && !baselineReport && !baselineImage) {
    throw new ConfigError(
      'fail-on-new-only',
      'needs a baseline',
      'set baseline-report or baseline-image',
    );
  }
  if (config.signing.attestSbom && sbomFormats.length === 0) {
    throw new ConfigError(
      'attest-sbom',
      'needs an SBOM, but sbom is none',
      'set sbom to cyclonedx or spdx, or attest-sbom: false',
    );
  }
  // References are checked now, so a typo fails before any download or scan.
  if (targets.image) parseImageReference(targets.image, 'image');
  if (baselineImage) parseImageReference(baselineImage, 'baseline-image');
  if (Boolean(raw['registry-username']) !== Boolean(raw['registry-password'])) {
    throw new ConfigError(
      'registry-password',
      'registry-username and registry-password go together',
      'set both or neither',
    );
  }
  const t = config.targets;
  if (
    !t.image &&
    !t.imageArchive &&
    t.config.length === 0 &&
    t.fs.length === 0 &&
    t.reports.length === 0
  ) {
    throw new ConfigError(
      'trivy-reports',
      'nothing to scan or read',
      'set at least one of image, image-archive, config, fs or trivy-reports',
    );
  }
  return config;
}
