/**
 * CycloneDX JSON (1.6 by default, 1.5 for older consumers) of the scan's package inventory,
 * built with the CycloneDX library's models and JSON serializer.
 * https://cyclonedx.org/docs/1.6/json/
 *
 * Component properties reuse Trivy's own `aquasecurity:trivy:*` names for the facts
 * Trivy found (so `trivy sbom` can rescan the document); the package's target is ours.
 */
import {
  ComponentScope,
  ComponentType,
  Vulnerability as VulnEnums,
} from '@cyclonedx/cyclonedx-library/Enums';
import {
  Bom,
  Component,
  LicenseExpression,
  Metadata,
  NamedLicense,
  OrganizationalEntity,
  Property,
  SpdxLicense,
  Tools,
  Vulnerability as Vuln,
} from '@cyclonedx/cyclonedx-library/Models';
import { JSON as JsonNormalize, JsonSerializer } from '@cyclonedx/cyclonedx-library/Serialize';
import { Spec1dot5, Spec1dot6 } from '@cyclonedx/cyclonedx-library/Spec';
import type {
  Decision,
  Package,
  ScanReport,
  Severity,
  Suppression,
  Vulnerability,
} from '../model.js';
import {
  buildInventory,
  incompleteWarning,
  type Inventory,
  type InventoryPackage,
  type InventorySubject,
  packageName,
  subjectName,
} from './inventory.js';
import { classifyLicense } from './licenses.js';
import { documentTime, documentUuid, type Reproducibility } from './reproducible.js';

export const CYCLONEDX_VERSIONS = ['1.6', '1.5'] as const;
export type CycloneDxVersion = (typeof CYCLONEDX_VERSIONS)[number];

/** Property names: Trivy's taxonomy for Trivy's facts, ours for what we add. */
const TRIVY = 'aquasecurity:trivy:';
export const TARGET_PROPERTY = 'supply-chain-guard:target';

export interface SbomOptions extends Reproducibility {
  /** This action's version, recorded as a tool. */
  readonly toolVersion: string;
  /**
   * The document's subject when several scans are combined (e.g. `owner/repo`); one scan's
   * own artifact is the subject otherwise.
   * @default 'supply-chain-guard scan'
   */
  readonly subjectName?: string;
}

export interface CycloneDxOptions extends SbomOptions {
  /** @default '1.6' */
  readonly specVersion?: CycloneDxVersion;
  /** Add the findings as `vulnerabilities` (a VDR, with VEX analysis for suppressed ones). */
  readonly includeVulnerabilities?: boolean;
}

export interface SbomDocument {
  /** The serialized document (2-space JSON, trailing newline). */
  readonly json: string;
  /** Things the user should know (an incomplete inventory), for main.ts to log. */
  readonly warnings: readonly string[];
  /** Packages in the document, for the summary. */
  readonly packageCount: number;
}

const DEFAULT_SUBJECT = 'supply-chain-guard scan';

function prop(name: string, value: string | undefined): Property[] {
  return value === undefined || value === '' ? [] : [new Property(name, value)];
}

/** The version Trivy shows for a package: `version-release`, as in its own CycloneDX. */
export function displayVersion(p: Package): string {
  return p.release ? `${p.version}-${p.release}` : p.version;
}

function licenseModels(
  licenses: readonly string[],
): (SpdxLicense | NamedLicense | LicenseExpression)[] {
  const choices = licenses.map(classifyLicense);
  // CycloneDX allows either licenses or exactly one expression, never a mix.
  const only = choices.length === 1 ? choices[0] : undefined;
  if (only?.kind === 'expression') return [new LicenseExpression(only.expression)];
  return choices.map((c) =>
    c.kind === 'id'
      ? new SpdxLicense(c.id)
      : new NamedLicense(c.kind === 'name' ? c.name : c.expression),
  );
}

function packageComponent(entry: InventoryPackage): Component {
  const p = entry.pkg;
  const c = new Component(ComponentType.Library, packageName(p), { bomRef: entry.ref });
  const version = displayVersion(p);
  if (version) c.version = version;
  if (p.purl) c.purl = p.purl;
  // Development-only packages are not part of what runs.
  if (p.dev === true) c.scope = ComponentScope.Excluded;
  for (const l of licenseModels(p.licenses)) c.licenses.add(l);
  for (const pr of [
    ...prop(`${TRIVY}PkgID`, p.id),
    ...prop(`${TRIVY}PkgType`, p.resultType),
    ...prop(`${TRIVY}SrcName`, p.srcName),
    ...prop(`${TRIVY}SrcVersion`, p.srcVersion),
    ...prop(`${TRIVY}FilePath`, p.filePath),
    ...prop(`${TRIVY}LayerDigest`, p.layerDigest),
    ...prop(`${TRIVY}LayerDiffID`, p.layerDiffId),
    ...prop(TARGET_PROPERTY, p.target),
  ]) {
    c.properties.add(pr);
  }
  return c;
}

/** `pkg:oci/<name>@<digest>?repository_url=<registry/path>` from a `RepoDigests` entry. */
export function ociPurl(repoDigest: string): string | undefined {
  const at = repoDigest.indexOf('@');
  if (at <= 0) return undefined;
  const repository = repoDigest.slice(0, at);
  const digest = repoDigest.slice(at + 1);
  if (!/^sha256:[0-9a-f]{64}$/.test(digest)) return undefined;
  const name = repository.slice(repository.lastIndexOf('/') + 1).toLowerCase();
  return `pkg:oci/${encodeURIComponent(name)}@${encodeURIComponent(digest)}?repository_url=${encodeURIComponent(repository.toLowerCase())}`;
}

function subjectComponent(s: InventorySubject, fallbackName: string | undefined): Component {
  const a = s.artifact;
  const isImage = a.type === 'container_image';
  const c = new Component(
    isImage ? ComponentType.Container : ComponentType.Application,
    subjectName(s, fallbackName),
    { bomRef: s.ref },
  );
  if (isImage) {
    const repoDigest = a.repoDigests[0];
    const digest = repoDigest?.slice(repoDigest.indexOf('@') + 1);
    if (digest) c.version = digest;
    const purl = repoDigest ? ociPurl(repoDigest) : undefined;
    if (purl) c.purl = purl;
  }
  for (const pr of [
    ...prop(`${TRIVY}ImageID`, a.imageId),
    ...a.repoDigests.flatMap((d) => prop(`${TRIVY}RepoDigest`, d)),
    ...a.repoTags.flatMap((t) => prop(`${TRIVY}RepoTag`, t)),
    ...a.diffIds.flatMap((d) => prop(`${TRIVY}DiffID`, d)),
  ]) {
    c.properties.add(pr);
  }
  return c;
}

function toolComponents(inv: Inventory, toolVersion: string): Component[] {
  const action = new Component(ComponentType.Application, 'supply-chain-guard', {
    version: toolVersion,
  });
  const trivyVersions = [
    ...new Set(inv.subjects.map((s) => s.report.trivyVersion ?? 'unknown')),
  ].sort();
  const trivy = trivyVersions.map(
    (v) =>
      new Component(ComponentType.Application, 'trivy', {
        group: 'aquasecurity',
        // Reports before Trivy 0.69 do not say which version wrote them.
        ...(v === 'unknown' ? {} : { version: v }),
        supplier: new OrganizationalEntity({ name: 'Aqua Security' }),
      }),
  );
  return [action, ...trivy];
}

const CDX_SEVERITY: Record<Severity, VulnEnums.Severity> = {
  CRITICAL: VulnEnums.Severity.Critical,
  HIGH: VulnEnums.Severity.High,
  MEDIUM: VulnEnums.Severity.Medium,
  LOW: VulnEnums.Severity.Low,
  UNKNOWN: VulnEnums.Severity.Unknown,
};

/** OpenVEX justifications → CycloneDX's (https://cyclonedx.org/docs/1.6/json/#vulnerabilities_items_analysis_justification). */
const VEX_JUSTIFICATION: Record<string, VulnEnums.AnalysisJustification> = {
  component_not_present: VulnEnums.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_present: VulnEnums.AnalysisJustification.CodeNotPresent,
  vulnerable_code_not_in_execute_path: VulnEnums.AnalysisJustification.CodeNotReachable,
  vulnerable_code_cannot_be_controlled_by_adversary:
    VulnEnums.AnalysisJustification.RequiresEnvironment,
  inline_mitigations_already_exist: VulnEnums.AnalysisJustification.ProtectedByMitigatingControl,
  code_not_present: VulnEnums.AnalysisJustification.CodeNotPresent,
  code_not_reachable: VulnEnums.AnalysisJustification.CodeNotReachable,
};

/**
 * A suppression as CycloneDX analysis. A VEX statement says what it says; an ignore rule is
 * a decision not to act, not a claim that the package is unaffected, so it gets no state.
 */
export function toAnalysis(s: Suppression): VulnEnums.AnalysisState | undefined {
  if (s.kind === 'vex') {
    return s.status === 'fixed'
      ? VulnEnums.AnalysisState.Resolved
      : VulnEnums.AnalysisState.NotAffected;
  }
  return undefined;
}

function analysisOf(s: Suppression): Vuln.Analysis {
  const state = toAnalysis(s);
  const a = new Vuln.Analysis(state === undefined ? {} : { state });
  if (s.kind === 'vex') {
    const j = s.justification ? VEX_JUSTIFICATION[s.justification] : undefined;
    if (j) a.justification = j;
    a.detail = [`VEX ${s.document}`, s.statement].filter(Boolean).join(': ');
  } else {
    a.response.add(VulnEnums.AnalysisResponse.WillNotFix);
    a.detail = [
      `suppressed by ${s.file}`,
      s.statement,
      s.expiresAt ? `until ${s.expiresAt}` : undefined,
    ]
      .filter(Boolean)
      .join('; ');
  }
  return a;
}

function parseDate(s: string | undefined): Date | undefined {
  if (!s) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

function findingKey(
  artifact: string,
  target: string,
  id: string,
  path: string | undefined,
): string {
  return `${artifact}\u0000${target}\u0000${id}\u0000${path ?? ''}`;
}

function findRef(v: Vulnerability, byKey: ReadonlyMap<string, Component>): Component | undefined {
  return (
    byKey.get(
      findingKey(v.artifact, v.target, v.pkgId ?? `${v.pkgName}@${v.installedVersion}`, v.pkgPath),
    ) ?? (v.purl ? byKey.get(`purl\u0000${v.purl}`) : undefined)
  );
}

function vulnerabilityModels(
  decisions: readonly Decision[],
  byKey: ReadonlyMap<string, Component>,
): Vuln.Vulnerability[] {
  // One entry per (ID, analysis): the affected components are listed under it.
  const groups = new Map<string, { v: Vulnerability; s?: Suppression; refs: Component[] }>();
  for (const d of decisions) {
    if (d.filtered !== undefined || d.finding.kind !== 'vulnerability') continue;
    const v = d.finding;
    const key = `${v.id}\u0000${JSON.stringify(d.suppression ?? null)}`;
    const group = groups.get(key) ?? {
      v,
      ...(d.suppression ? { s: d.suppression } : {}),
      refs: [],
    };
    const ref = findRef(v, byKey);
    if (ref && !group.refs.includes(ref)) group.refs.push(ref);
    groups.set(key, group);
  }
  const refCount = new Map<string, number>();
  return [...groups.values()].map(({ v, s, refs }) => {
    // An explicit bom-ref: the serializer would otherwise invent a random one.
    const n = (refCount.get(v.id) ?? 0) + 1;
    refCount.set(v.id, n);
    const out = new Vuln.Vulnerability({
      id: v.id,
      bomRef: n === 1 ? `vulnerability:${v.id}` : `vulnerability:${v.id}#${n}`,
    });
    if (v.severitySource) out.source = new Vuln.Source({ name: v.severitySource });
    const rating = new Vuln.Rating({ severity: CDX_SEVERITY[v.severity] });
    if (v.severitySource) rating.source = new Vuln.Source({ name: v.severitySource });
    if (v.cvssScore !== undefined) rating.score = v.cvssScore;
    out.ratings.add(rating);
    for (const cwe of v.cweIds) {
      const n = Number(/^CWE-(\d+)$/.exec(cwe)?.[1]);
      if (Number.isInteger(n) && n > 0) out.cwes.add(n);
    }
    if (v.description) out.description = v.description;
    if (v.fixedVersion) out.recommendation = `Upgrade ${v.pkgName} to version ${v.fixedVersion}`;
    for (const url of new Set([v.primaryUrl, ...v.references].filter((u): u is string => !!u))) {
      if (/^https?:\/\//.test(url)) out.advisories.add(new Vuln.Advisory(url));
    }
    const published = parseDate(v.publishedDate);
    if (published) out.published = published;
    const updated = parseDate(v.lastModifiedDate);
    if (updated) out.updated = updated;
    for (const ref of refs) {
      out.affects.add(
        new Vuln.Affect(ref.bomRef, {
          versions: new Vuln.AffectedVersionRepository([
            new Vuln.AffectedSingleVersion(ref.version ?? v.installedVersion, {
              status: s ? VulnEnums.AffectStatus.Unknown : VulnEnums.AffectStatus.Affected,
            }),
          ]),
        }),
      );
    }
    if (s) {
      out.analysis = analysisOf(s);
      // A VEX "not affected" means exactly that for the listed versions.
      if (s.kind === 'vex' && s.status === 'not_affected') {
        for (const a of out.affects)
          for (const ver of a.versions) ver.status = VulnEnums.AffectStatus.Unaffected;
      }
    }
    return out;
  });
}

/** Build the model, before serialization (exported for tests that inspect it). */
export function toCycloneDxBom(
  reports: readonly ScanReport[],
  decisions: readonly Decision[],
  opts: CycloneDxOptions,
  inv: Inventory = buildInventory(reports),
): Bom {
  const bom = new Bom();
  bom.metadata = new Metadata({
    timestamp: documentTime(opts),
    tools: new Tools(),
  });
  for (const t of toolComponents(inv, opts.toolVersion)) bom.metadata.tools.components.add(t);

  const byRef = new Map<string, Component>();
  const subjects = inv.subjects.map((s) => {
    const c = subjectComponent(s, opts.subjectName);
    byRef.set(s.ref, c);
    return c;
  });
  const [only] = subjects;
  if (only !== undefined && subjects.length === 1) {
    bom.metadata.component = only;
  } else {
    const root = new Component(ComponentType.Application, opts.subjectName ?? DEFAULT_SUBJECT, {
      bomRef: 'scan',
    });
    for (const c of subjects) {
      bom.components.add(c);
      root.dependencies.add(c.bomRef);
    }
    bom.metadata.component = root;
  }
  for (const t of inv.targets) {
    const c = new Component(
      t.kind === 'os' ? ComponentType.OperatingSystem : ComponentType.Application,
      t.name,
      { bomRef: t.ref },
    );
    if (t.version) c.version = t.version;
    for (const pr of [
      ...prop(`${TRIVY}Class`, t.resultClass),
      ...prop(`${TRIVY}Type`, t.resultType),
    ]) {
      c.properties.add(pr);
    }
    byRef.set(t.ref, c);
    bom.components.add(c);
  }
  // Findings find their component by artifact + target + package, else by purl.
  const byKey = new Map<string, Component>();
  for (const e of inv.packages) {
    const c = packageComponent(e);
    byRef.set(e.ref, c);
    bom.components.add(c);
    const p = e.pkg;
    byKey.set(findingKey(e.artifact, p.target, p.id ?? `${p.name}@${p.version}`, p.filePath), c);
    if (p.purl && !byKey.has(`purl\u0000${p.purl}`)) byKey.set(`purl\u0000${p.purl}`, c);
  }
  // The graph: subject → targets (and packages found one by one) → packages → packages.
  const link = (from: string, to: readonly string[]): void => {
    const c = byRef.get(from);
    if (!c) return;
    for (const r of to) {
      const dep = byRef.get(r);
      if (dep) c.dependencies.add(dep.bomRef);
    }
  };
  for (const s of inv.subjects) link(s.ref, s.dependsOn);
  for (const t of inv.targets) link(t.ref, t.dependsOn);
  for (const e of inv.packages) link(e.ref, e.dependsOn);

  if (opts.includeVulnerabilities === true) {
    for (const v of vulnerabilityModels(decisions, byKey)) bom.vulnerabilities.add(v);
  }
  return bom;
}

/**
 * The CycloneDX document of one or several reports. `decisions` (policy's view of the
 * findings) are used only with `includeVulnerabilities`. Deterministic apart from
 * `serialNumber` and `timestamp`, and those too with `sourceDateEpoch`.
 */
export function buildCycloneDx(
  reports: readonly ScanReport[],
  decisions: readonly Decision[],
  opts: CycloneDxOptions,
): SbomDocument {
  const inv = buildInventory(reports);
  const bom = toCycloneDxBom(reports, decisions, opts, inv);
  const spec = (opts.specVersion ?? '1.6') === '1.5' ? Spec1dot5 : Spec1dot6;
  const serializer = new JsonSerializer(new JsonNormalize.Normalize.Factory(spec));
  const serialize = (): string => `${serializer.serialize(bom, { sortLists: true, space: 2 })}\n`;
  bom.serialNumber = `urn:uuid:${documentUuid(opts, serialize)}`;
  return {
    json: serialize(),
    warnings: inv.incomplete ? [incompleteWarning(inv.incompleteSources)] : [],
    packageCount: inv.packages.length,
  };
}
