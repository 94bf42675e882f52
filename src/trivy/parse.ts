/**
 * Trivy JSON (`--format json`, SchemaVersion 2, Trivy 0.20 to today) → ScanReport.
 * Field reference: Trivy's pkg/types/report.go and pkg/types/vulnerability.go; most fields
 * are optional in older releases, so every read is tolerant of absence and strict on type.
 * Pure: text in, model out; knows nothing of SARIF, policy or the runner.
 */
import { InputFileError } from '../errors.js';
import {
  isSeverity,
  type Artifact,
  type Finding,
  type License,
  type Location,
  type Misconfiguration,
  type Package,
  type ResultInfo,
  type ScanReport,
  type Secret,
  type Severity,
  type Vulnerability,
} from '../model.js';

type Json = Record<string, unknown>;

const SUPPORTED_SCHEMA = 2;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(o: Json, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(o: Json, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function strings(o: Json, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function objects(o: Json, key: string): Json[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter(isObject) : [];
}

function obj(o: Json, key: string): Json | undefined {
  const v = o[key];
  return isObject(v) ? v : undefined;
}

function severity(o: Json): Severity {
  const s = str(o, 'Severity')?.toUpperCase();
  return s !== undefined && isSeverity(s) ? s : 'UNKNOWN';
}

/** Only defined values, so optional properties stay absent (exactOptionalPropertyTypes). */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k];
  return o as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** Explains what a non-Trivy document is, so the error says what was passed by mistake. */
function recogniseOther(doc: unknown): string | undefined {
  if (Array.isArray(doc)) {
    return 'this is a top-level JSON array: the pre-0.20 Trivy report format (SchemaVersion 1), which is not supported';
  }
  if (!isObject(doc))
    return `this is a JSON ${doc === null ? 'null' : typeof doc}, not a report object`;
  if ('runs' in doc && ('$schema' in doc || 'version' in doc)) {
    return 'this is a SARIF file, not Trivy JSON';
  }
  if (doc['bomFormat'] === 'CycloneDX') return 'this is a CycloneDX SBOM, not Trivy JSON';
  if (typeof doc['spdxVersion'] === 'string') return 'this is an SPDX document, not Trivy JSON';
  if ('@context' in doc && 'statements' in doc)
    return 'this is an OpenVEX document, not Trivy JSON';
  if ('manifests' in doc && 'detector' in doc) {
    return 'this is a GitHub dependency snapshot, not Trivy JSON';
  }
  return undefined;
}

const REMEDY = 'pass a report written by `trivy ... --format json` (SchemaVersion 2)';

/** Parse one report. `source` names the file in every error. */
export function parseTrivyReport(text: string, source: string): ScanReport {
  if (text.trim() === '') {
    throw new InputFileError('REPORT_INVALID', source, 'the file is empty', { remedy: REMEDY });
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    const truncated =
      /end of JSON input|Unterminated|Expected/.test(detail) && text.trim().length > 0;
    throw new InputFileError(
      'REPORT_INVALID',
      source,
      `not valid JSON${truncated && !text.trimEnd().endsWith('}') ? ' (the file looks truncated)' : ''}: ${detail}`,
      { cause: err, remedy: REMEDY },
    );
  }
  return toScanReport(doc, source);
}

/** Convert an already parsed JSON value (the caller may have parsed it to stream). */
export function toScanReport(doc: unknown, source: string): ScanReport {
  const other = recogniseOther(doc);
  if (other !== undefined)
    throw new InputFileError('REPORT_INVALID', source, other, { remedy: REMEDY });
  const root = doc as Json;
  const schema = root['SchemaVersion'];
  if (schema === undefined) {
    throw new InputFileError(
      'REPORT_INVALID',
      source,
      'no SchemaVersion: not a Trivy JSON report',
      {
        remedy: REMEDY,
      },
    );
  }
  if (schema !== SUPPORTED_SCHEMA) {
    throw new InputFileError(
      'REPORT_INVALID',
      source,
      `unsupported SchemaVersion ${JSON.stringify(schema)} (this action reads SchemaVersion ${SUPPORTED_SCHEMA}, Trivy 0.20 and later)`,
      { remedy: REMEDY },
    );
  }
  const results = root['Results'];
  if (results !== undefined && results !== null && !Array.isArray(results)) {
    throw new InputFileError('REPORT_INVALID', source, '"Results" is not an array', {
      remedy: REMEDY,
    });
  }
  const artifact = toArtifact(root);
  const infos: ResultInfo[] = [];
  const findings: Finding[] = [];
  const packages: Package[] = [];
  let hasPackageList = false;
  for (const [i, r] of (results ?? []).entries()) {
    if (!isObject(r)) {
      throw new InputFileError('REPORT_INVALID', source, `Results[${i}] is not an object`, {
        remedy: REMEDY,
      });
    }
    const loc: Location = defined({
      artifact: artifact.name,
      artifactType: artifact.type,
      target: str(r, 'Target') ?? '',
      resultClass: str(r, 'Class') ?? '',
      resultType: str(r, 'Type'),
    });
    const pkgs = objects(r, 'Packages');
    if (Array.isArray(r['Packages'])) hasPackageList = true;
    infos.push({ ...loc, packageCount: pkgs.length });
    for (const p of pkgs) packages.push(toPackage(p, loc));
    for (const v of objects(r, 'Vulnerabilities')) findings.push(toVulnerability(v, loc, source));
    for (const m of objects(r, 'Misconfigurations'))
      findings.push(toMisconfiguration(m, loc, source));
    for (const s of objects(r, 'Secrets')) findings.push(toSecret(s, loc, source));
    for (const l of objects(r, 'Licenses')) findings.push(toLicense(l, loc, source));
  }
  const trivy = obj(root, 'Trivy');
  return defined({
    source,
    schemaVersion: SUPPORTED_SCHEMA,
    trivyVersion: trivy ? str(trivy, 'Version') : undefined,
    createdAt: str(root, 'CreatedAt'),
    artifact,
    results: infos,
    findings,
    packages,
    hasPackageList,
  });
}

function toArtifact(root: Json): Artifact {
  const meta = obj(root, 'Metadata') ?? {};
  const os = obj(meta, 'OS');
  const family = os && str(os, 'Family');
  return defined({
    name: str(root, 'ArtifactName') ?? '',
    type: str(root, 'ArtifactType') ?? '',
    os:
      os && family
        ? defined({
            family,
            name: str(os, 'Name') ?? '',
            eosl: typeof os['EOSL'] === 'boolean' ? os['EOSL'] : undefined,
          })
        : undefined,
    imageId: str(meta, 'ImageID'),
    repoTags: strings(meta, 'RepoTags'),
    repoDigests: strings(meta, 'RepoDigests'),
    diffIds: strings(meta, 'DiffIDs'),
  });
}

function layer(o: Json): { layerDigest?: string; layerDiffId?: string } {
  const l = obj(o, 'Layer');
  return l ? defined({ layerDigest: str(l, 'Digest'), layerDiffId: str(l, 'DiffID') }) : {};
}

function toPackage(p: Json, loc: Location): Package {
  const ident = obj(p, 'Identifier');
  const indirect = p['Indirect'] === true;
  return defined({
    id: str(p, 'ID'),
    name: str(p, 'Name') ?? '',
    version: str(p, 'Version') ?? '',
    release: str(p, 'Release'),
    epoch: num(p, 'Epoch'),
    arch: str(p, 'Arch'),
    purl: ident ? str(ident, 'PURL') : undefined,
    uid: ident ? str(ident, 'UID') : undefined,
    licenses: strings(p, 'Licenses'),
    dependsOn: strings(p, 'DependsOn'),
    // `Relationship` since 0.51; before it only `Indirect` told direct from transitive.
    relationship: str(p, 'Relationship') ?? (indirect ? 'indirect' : undefined),
    dev: typeof p['Dev'] === 'boolean' ? p['Dev'] : undefined,
    srcName: str(p, 'SrcName'),
    srcVersion: str(p, 'SrcVersion'),
    filePath: str(p, 'FilePath'),
    ...layer(p),
    target: loc.target,
    resultClass: loc.resultClass,
    resultType: loc.resultType,
  });
}

/** CVSS base score of the severity source (v3, else v4), else the highest v3 of any source. */
function cvssScore(v: Json): number | undefined {
  const cvss = obj(v, 'CVSS');
  if (!cvss) return undefined;
  const src = str(v, 'SeveritySource');
  const own = src ? obj(cvss, src) : undefined;
  const ownScore = own && (num(own, 'V3Score') ?? num(own, 'V40Score'));
  if (ownScore !== undefined) return ownScore;
  let best: number | undefined;
  for (const entry of Object.values(cvss)) {
    if (!isObject(entry)) continue;
    const s = num(entry, 'V3Score') ?? num(entry, 'V40Score');
    if (s !== undefined && (best === undefined || s > best)) best = s;
  }
  return best;
}

function toVulnerability(v: Json, loc: Location, source: string): Vulnerability {
  const ident = obj(v, 'PkgIdentifier');
  const id = str(v, 'VulnerabilityID') ?? '';
  return defined({
    kind: 'vulnerability' as const,
    ...loc,
    source,
    id,
    severity: severity(v),
    title: str(v, 'Title') ?? id,
    description: str(v, 'Description'),
    primaryUrl: str(v, 'PrimaryURL'),
    pkgName: str(v, 'PkgName') ?? '',
    pkgId: str(v, 'PkgID'),
    pkgPath: str(v, 'PkgPath'),
    purl: ident ? str(ident, 'PURL') : undefined,
    installedVersion: str(v, 'InstalledVersion') ?? '',
    fixedVersion: str(v, 'FixedVersion'),
    status: str(v, 'Status'),
    severitySource: str(v, 'SeveritySource'),
    cvssScore: cvssScore(v),
    cweIds: strings(v, 'CweIDs'),
    references: strings(v, 'References'),
    publishedDate: str(v, 'PublishedDate'),
    lastModifiedDate: str(v, 'LastModifiedDate'),
    ...layer(v),
  });
}

function toMisconfiguration(m: Json, loc: Location, source: string): Misconfiguration {
  const cause = obj(m, 'CauseMetadata') ?? {};
  const rawStatus = str(m, 'Status')?.toUpperCase();
  const status = rawStatus === 'PASS' || rawStatus === 'EXCEPTION' ? rawStatus : 'FAIL';
  // Before checks v2 (Trivy 0.69) `ID` was the short ID (DS002) and `AVDID` the AVD one.
  const id = str(m, 'ID') ?? str(m, 'AVDID') ?? '';
  return defined({
    kind: 'misconfiguration' as const,
    ...loc,
    source,
    id,
    avdId: str(m, 'AVDID'),
    severity: severity(m),
    title: str(m, 'Title') ?? id,
    description: str(m, 'Description'),
    primaryUrl: str(m, 'PrimaryURL'),
    status,
    checkType: str(m, 'Type') ?? '',
    message: str(m, 'Message') ?? '',
    resolution: str(m, 'Resolution'),
    references: strings(m, 'References'),
    resource: str(cause, 'Resource'),
    provider: str(cause, 'Provider'),
    service: str(cause, 'Service'),
    startLine: positive(num(cause, 'StartLine')),
    endLine: positive(num(cause, 'EndLine')),
  });
}

/** Trivy writes 0 for "no line" (whole-file findings). */
function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

function toSecret(s: Json, loc: Location, source: string): Secret {
  const id = str(s, 'RuleID') ?? '';
  return defined({
    kind: 'secret' as const,
    ...loc,
    source,
    id,
    severity: severity(s),
    title: str(s, 'Title') ?? id,
    category: str(s, 'Category') ?? '',
    startLine: positive(num(s, 'StartLine')),
    endLine: positive(num(s, 'EndLine')),
    match: str(s, 'Match'),
  });
}

function toLicense(l: Json, loc: Location, source: string): License {
  const name = str(l, 'Name') ?? '';
  return defined({
    kind: 'license' as const,
    ...loc,
    source,
    id: name,
    licenseName: name,
    severity: severity(l),
    title: name,
    category: str(l, 'Category') ?? '',
    pkgName: str(l, 'PkgName'),
    filePath: str(l, 'FilePath'),
    confidence: num(l, 'Confidence'),
    link: str(l, 'Link'),
    primaryUrl: str(l, 'Link'),
  });
}
