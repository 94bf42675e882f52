/**
 * Trivy JSON (`--format json`, SchemaVersion 2, Trivy 0.20 to today) → ScanReport.
 * Field reference: Trivy's pkg/types/report.go and pkg/types/vulnerability.go; most fields
 * are optional in older releases, so every read is tolerant of absence and strict on type.
 * Pure: text in, model out; knows nothing of SARIF, policy or the runner.
 */
import { InputFileError } from '../errors.js';
import { isJsonObject, type JsonObject } from '../json.js';
import { ReportSplitter, SplitError, type ListKey } from './report-splitter.js';
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

const SUPPORTED_SCHEMA = 2;

function str(o: JsonObject, key: string): string | undefined {
  const v = o[key];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function num(o: JsonObject, key: string): number | undefined {
  const v = o[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

function strings(o: JsonObject, key: string): string[] {
  const v = o[key];
  if (!Array.isArray(v)) return [];
  // Trivy's arrays are all strings: keep the parsed array rather than copying it.
  return v.every((x) => typeof x === 'string')
    ? (v as string[])
    : v.filter((x) => typeof x === 'string');
}

function obj(o: JsonObject, key: string): JsonObject | undefined {
  const v = o[key];
  return isJsonObject(v) ? v : undefined;
}

function severity(o: JsonObject): Severity {
  const s = str(o, 'Severity')?.toUpperCase();
  return s !== undefined && isSeverity(s) ? s : 'UNKNOWN';
}

/** Only defined values, so optional properties stay absent (exactOptionalPropertyTypes). */
function defined<T extends object>(o: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  // Copy rather than `delete`: deleting keys drops V8 objects into slow dictionary mode,
  // which costs memory and time on reports with tens of thousands of findings.
  const out: Record<string, unknown> = {};
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out as { [K in keyof T]: Exclude<T[K], undefined> };
}

/** Explains what a non-Trivy document is, so the error says what was passed by mistake. */
function recogniseOther(doc: unknown): string | undefined {
  if (Array.isArray(doc)) {
    return 'this is a top-level JSON array: the pre-0.20 Trivy report format (SchemaVersion 1), which is not supported';
  }
  if (!isJsonObject(doc))
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

/**
 * The push parser: feed a report in byte chunks (`write`), get the ScanReport from `end`.
 * Packages and findings are converted one by one as they arrive, so the whole text and the
 * whole JSON tree never exist at once. `source` names the file in every error.
 */
export class TrivyReportParser {
  private readonly splitter: ReportSplitter;
  private readonly root: JsonObject = {};
  private readonly results: ResultBuilder[] = [];
  private current: ResultBuilder | undefined;
  /** Items wait here when they arrive before the fields their location needs. */
  private deferred = false;
  private bytes = 0;
  private firstByte: number | undefined;

  constructor(private readonly source: string) {
    this.splitter = new ReportSplitter({
      rootField: (key, value) => {
        this.root[key] = value;
        if (
          key === 'SchemaVersion' ||
          key === 'bomFormat' ||
          key === 'spdxVersion' ||
          key === 'runs'
        ) {
          checkRoot(this.root, this.source, false);
        }
      },
      resultStart: () => {
        // Trivy writes ArtifactName/ArtifactType before Results; anything else waits for the end.
        if (!('ArtifactName' in this.root)) this.deferred = true;
        this.current = new ResultBuilder(this.source);
        this.results.push(this.current);
      },
      resultInvalid: (index) => {
        throw new InputFileError(
          'REPORT_INVALID',
          this.source,
          `Results[${index}] is not an object`,
          {
            remedy: REMEDY,
          },
        );
      },
      resultField: (key, value) => this.current!.field(key, value),
      listStart: (key) => this.current!.listStart(key),
      listItem: (key, value) => {
        if (isJsonObject(value))
          this.current!.item(key, value, this.deferred ? undefined : this.artifact());
      },
      resultEnd: () => {
        if (!this.deferred) this.current!.flush(this.artifact());
        this.current = undefined;
      },
    });
  }

  private artifactCache: Artifact | undefined;
  private artifact(): Artifact {
    this.artifactCache ??= toArtifact(this.root);
    return this.artifactCache;
  }

  write(chunk: Buffer): void {
    if (this.firstByte === undefined) {
      const i = chunk.findIndex((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
      if (i >= 0) this.firstByte = chunk[i];
    }
    this.bytes += chunk.length;
    try {
      this.splitter.write(chunk);
    } catch (err) {
      throw this.toError(err);
    }
  }

  end(): ScanReport {
    if (this.firstByte === undefined) {
      throw new InputFileError('REPORT_INVALID', this.source, 'the file is empty', {
        remedy: REMEDY,
      });
    }
    try {
      this.splitter.end();
    } catch (err) {
      throw this.toError(err);
    }
    checkRoot(this.root, this.source, true);
    const results = this.root['Results'];
    if (
      results !== undefined &&
      results !== null &&
      this.results.length === 0 &&
      !Array.isArray(results)
    ) {
      throw new InputFileError('REPORT_INVALID', this.source, '"Results" is not an array', {
        remedy: REMEDY,
      });
    }
    const artifact = this.artifact();
    return assemble(
      this.source,
      this.root,
      artifact,
      this.results.map((r) => r.finish(artifact)),
    );
  }

  private toError(err: unknown): unknown {
    if (!(err instanceof SplitError)) return err;
    if (this.firstByte !== 0x7b /* { */) {
      return new InputFileError(
        'REPORT_INVALID',
        this.source,
        'not a JSON object: not a Trivy JSON report',
        {
          cause: err,
          remedy: REMEDY,
        },
      );
    }
    const truncated = err.offset >= this.bytes && err.message === 'unexpected end of input';
    return new InputFileError(
      'REPORT_INVALID',
      this.source,
      `not valid JSON${truncated ? ' (the file looks truncated)' : ''}: ${err.message} at byte ${err.offset}`,
      { cause: err, remedy: REMEDY },
    );
  }
}

/** Collects one `Results[]` entry: its location fields, then its lists item by item. */
class ResultBuilder {
  private readonly fields: JsonObject = {};
  private readonly pending: [ListKey, JsonObject][] = [];
  private loc: Location | undefined;
  hasPackageList = false;
  readonly packages: Package[] = [];
  readonly findings: Finding[] = [];

  constructor(private readonly source: string) {}

  field(key: string, value: unknown): void {
    this.fields[key] = value;
  }

  listStart(key: ListKey): void {
    if (key === 'Packages') this.hasPackageList = true;
  }

  /** Convert now when the location is known (Trivy writes Target/Class/Type first). */
  item(key: ListKey, value: JsonObject, artifact: Artifact | undefined): void {
    if (artifact === undefined || !('Target' in this.fields)) {
      this.pending.push([key, value]);
      return;
    }
    this.convert(key, value, this.location(artifact));
  }

  flush(artifact: Artifact): void {
    const loc = this.location(artifact);
    for (const [key, value] of this.pending) this.convert(key, value, loc);
    this.pending.length = 0;
  }

  finish(artifact: Artifact): ConvertedResult {
    this.flush(artifact);
    const loc = this.location(artifact);
    return {
      info: { ...loc, packageCount: this.packages.length },
      packages: this.packages,
      findings: this.findings,
      hasPackageList: this.hasPackageList,
    };
  }

  private location(artifact: Artifact): Location {
    this.loc ??= defined({
      artifact: artifact.name,
      artifactType: artifact.type,
      target: str(this.fields, 'Target') ?? '',
      resultClass: str(this.fields, 'Class') ?? '',
      resultType: str(this.fields, 'Type'),
    });
    return this.loc;
  }

  private convert(key: ListKey, v: JsonObject, loc: Location): void {
    switch (key) {
      case 'Packages':
        this.packages.push(toPackage(v, loc));
        return;
      case 'Vulnerabilities':
        this.findings.push(toVulnerability(v, loc, this.source));
        return;
      case 'Misconfigurations':
        this.findings.push(toMisconfiguration(v, loc, this.source));
        return;
      case 'Secrets':
        this.findings.push(toSecret(v, loc, this.source));
        return;
      case 'Licenses':
        this.findings.push(toLicense(v, loc, this.source));
        return;
    }
  }
}

interface ConvertedResult {
  readonly info: ResultInfo;
  readonly packages: readonly Package[];
  readonly findings: readonly Finding[];
  readonly hasPackageList: boolean;
}

function assemble(
  source: string,
  root: JsonObject,
  artifact: Artifact,
  results: readonly ConvertedResult[],
): ScanReport {
  const trivy = obj(root, 'Trivy');
  return defined({
    source,
    schemaVersion: SUPPORTED_SCHEMA,
    trivyVersion: trivy ? str(trivy, 'Version') : undefined,
    createdAt: str(root, 'CreatedAt'),
    artifact,
    results: results.map((r) => r.info),
    findings: results.flatMap((r) => r.findings),
    packages: results.flatMap((r) => r.packages),
    hasPackageList: results.some((r) => r.hasPackageList),
  });
}

/**
 * Refuse what is not a SchemaVersion 2 Trivy report, saying what it is instead. `complete`:
 * the whole top level has been seen (a missing SchemaVersion is then final).
 */
function checkRoot(doc: unknown, source: string, complete: boolean): void {
  const other = recogniseOther(doc);
  if (other !== undefined)
    throw new InputFileError('REPORT_INVALID', source, other, { remedy: REMEDY });
  const schema = (doc as JsonObject)['SchemaVersion'];
  if (schema === undefined) {
    if (!complete) return;
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
}

/** Parse a whole report held in memory (a string). Large files: use TrivyReportParser. */
export function parseTrivyReport(text: string, source: string): ScanReport {
  if (/^\s*\{/.test(text)) {
    const parser = new TrivyReportParser(source);
    parser.write(Buffer.from(text, 'utf8'));
    return parser.end();
  }
  if (text.trim() === '') {
    throw new InputFileError('REPORT_INVALID', source, 'the file is empty', { remedy: REMEDY });
  }
  // Not an object: parse it whole to say what it is (an array, a string, not JSON at all).
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputFileError(
      'REPORT_INVALID',
      source,
      `not valid JSON: ${(err as Error).message}`,
      {
        cause: err,
        remedy: REMEDY,
      },
    );
  }
  return toScanReport(doc, source);
}

/** Convert an already parsed JSON value (small documents, tests). */
export function toScanReport(doc: unknown, source: string): ScanReport {
  checkRoot(doc, source, true);
  return parseTrivyReport(JSON.stringify(doc), source);
}

function toArtifact(root: JsonObject): Artifact {
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

function layerField(o: JsonObject, key: 'Digest' | 'DiffID'): string | undefined {
  const l = obj(o, 'Layer');
  return l ? str(l, key) : undefined;
}

function toPackage(p: JsonObject, loc: Location): Package {
  const ident = obj(p, 'Identifier');
  const indirect = p['Indirect'] === true;
  return {
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
    layerDigest: layerField(p, 'Digest'),
    layerDiffId: layerField(p, 'DiffID'),
    target: loc.target,
    resultClass: loc.resultClass,
    resultType: loc.resultType,
  };
}

/** CVSS base score of the severity source (v3, else v4), else the highest v3 of any source. */
function cvssScore(v: JsonObject): number | undefined {
  const cvss = obj(v, 'CVSS');
  if (!cvss) return undefined;
  const src = str(v, 'SeveritySource');
  const own = src ? obj(cvss, src) : undefined;
  const ownScore = own && (num(own, 'V3Score') ?? num(own, 'V40Score'));
  if (ownScore !== undefined) return ownScore;
  let best: number | undefined;
  for (const entry of Object.values(cvss)) {
    if (!isJsonObject(entry)) continue;
    const s = num(entry, 'V3Score') ?? num(entry, 'V40Score');
    if (s !== undefined && (best === undefined || s > best)) best = s;
  }
  return best;
}

// The converters spell out the location fields and every optional field (undefined when
// absent) rather than spreading `loc` or dropping keys: tens of thousands of findings then share
// one object shape, which the benchmark's time and memory figures depend on.

function toVulnerability(v: JsonObject, loc: Location, source: string): Vulnerability {
  const ident = obj(v, 'PkgIdentifier');
  const id = str(v, 'VulnerabilityID') ?? '';
  return {
    kind: 'vulnerability' as const,
    artifact: loc.artifact,
    artifactType: loc.artifactType,
    target: loc.target,
    resultClass: loc.resultClass,
    resultType: loc.resultType,
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
    layerDigest: layerField(v, 'Digest'),
    layerDiffId: layerField(v, 'DiffID'),
  };
}

function toMisconfiguration(m: JsonObject, loc: Location, source: string): Misconfiguration {
  const cause = obj(m, 'CauseMetadata') ?? {};
  const rawStatus = str(m, 'Status')?.toUpperCase();
  const status = rawStatus === 'PASS' || rawStatus === 'EXCEPTION' ? rawStatus : 'FAIL';
  // Before checks v2 (Trivy 0.69) `ID` was the short ID (DS002) and `AVDID` the AVD one.
  const id = str(m, 'ID') ?? str(m, 'AVDID') ?? '';
  return {
    kind: 'misconfiguration' as const,
    artifact: loc.artifact,
    artifactType: loc.artifactType,
    target: loc.target,
    resultClass: loc.resultClass,
    resultType: loc.resultType,
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
  };
}

/** Trivy writes 0 for "no line" (whole-file findings). */
function positive(n: number | undefined): number | undefined {
  return n !== undefined && n > 0 ? n : undefined;
}

function toSecret(s: JsonObject, loc: Location, source: string): Secret {
  const id = str(s, 'RuleID') ?? '';
  return {
    kind: 'secret' as const,
    artifact: loc.artifact,
    artifactType: loc.artifactType,
    target: loc.target,
    resultClass: loc.resultClass,
    resultType: loc.resultType,
    source,
    id,
    severity: severity(s),
    title: str(s, 'Title') ?? id,
    category: str(s, 'Category') ?? '',
    startLine: positive(num(s, 'StartLine')),
    endLine: positive(num(s, 'EndLine')),
    match: str(s, 'Match'),
  };
}

function toLicense(l: JsonObject, loc: Location, source: string): License {
  const name = str(l, 'Name') ?? '';
  return {
    kind: 'license' as const,
    artifact: loc.artifact,
    artifactType: loc.artifactType,
    target: loc.target,
    resultClass: loc.resultClass,
    resultType: loc.resultType,
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
  };
}
