/**
 * SPDX 2.3 JSON of the scan's package inventory.
 * https://spdx.github.io/spdx-spec/v2.3/
 *
 * The document DESCRIBES the scanned artifact, which CONTAINS its targets (OS, lockfiles),
 * which CONTAIN their packages; a package DEPENDS_ON the packages its report names.
 */
import { createHash } from 'node:crypto';
import type { Package, ScanReport } from '../model.js';
import { displayVersion, ociPurl, type SbomDocument, type SbomOptions } from './cyclonedx.js';
import {
  buildInventory,
  incompleteWarning,
  packageName,
  subjectName,
  type Inventory,
  type InventorySubject,
} from './inventory.js';
import { classifyLicense } from './licenses.js';
import { documentTime, documentUuid, isoSeconds } from './reproducible.js';

export interface SpdxOptions extends SbomOptions {
  /**
   * The URI the document namespace starts with (e.g. `https://github.com/owner/repo`); the
   * document's name and UUID follow it. Without it the namespace is a `urn:uuid:` URI.
   */
  readonly namespaceBase?: string;
}

/** The SPDX 2.3 JSON shapes this action writes (a subset of the specification). */
export interface SpdxExternalRef {
  readonly referenceCategory: 'PACKAGE-MANAGER' | 'SECURITY' | 'PERSISTENT-ID' | 'OTHER';
  readonly referenceType: string;
  readonly referenceLocator: string;
}

export interface SpdxPackage {
  readonly SPDXID: string;
  readonly name: string;
  readonly versionInfo?: string;
  readonly downloadLocation: string;
  readonly filesAnalyzed: false;
  readonly licenseConcluded: string;
  readonly licenseDeclared: string;
  readonly copyrightText: 'NOASSERTION';
  readonly primaryPackagePurpose?: 'APPLICATION' | 'CONTAINER' | 'OPERATING_SYSTEM' | 'LIBRARY';
  readonly sourceInfo?: string;
  readonly externalRefs?: readonly SpdxExternalRef[];
  readonly annotations?: readonly SpdxAnnotation[];
}

export interface SpdxAnnotation {
  readonly annotationDate: string;
  readonly annotationType: 'OTHER' | 'REVIEW';
  readonly annotator: string;
  readonly comment: string;
}

export interface SpdxRelationship {
  readonly spdxElementId: string;
  readonly relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON';
  readonly relatedSpdxElement: string;
}

export interface SpdxExtractedLicense {
  readonly licenseId: string;
  readonly extractedText: string;
  readonly name: string;
}

export interface SpdxDocument {
  readonly spdxVersion: 'SPDX-2.3';
  readonly dataLicense: 'CC0-1.0';
  readonly SPDXID: 'SPDXRef-DOCUMENT';
  readonly name: string;
  readonly documentNamespace: string;
  readonly creationInfo: {
    readonly created: string;
    readonly creators: readonly string[];
  };
  readonly packages: readonly SpdxPackage[];
  readonly relationships: readonly SpdxRelationship[];
  readonly hasExtractedLicensingInfos?: readonly SpdxExtractedLicense[];
}

export const DOCUMENT_ID = 'SPDXRef-DOCUMENT';
const NOASSERTION = 'NOASSERTION';

/** `SPDXRef-` + a short hash of the element's inventory ref: stable, and within the charset. */
function spdxId(kind: string, ref: string, used: Set<string>): string {
  const hash = createHash('sha256').update(ref).digest('hex');
  for (let len = 16; ; len += 4) {
    const id = `SPDXRef-${kind}-${hash.slice(0, len)}`;
    if (!used.has(id)) {
      used.add(id);
      return id;
    }
  }
}

/** Non-SPDX license names become `LicenseRef-` IDs with the name as extracted text. */
class LicenseRefs {
  private readonly byName = new Map<string, SpdxExtractedLicense>();

  expression(licenses: readonly string[]): string {
    if (licenses.length === 0) return NOASSERTION;
    const parts = licenses.map((text) => {
      const c = classifyLicense(text);
      switch (c.kind) {
        case 'id':
          return c.id;
        case 'expression':
          return licenses.length > 1 ? `(${c.expression})` : c.expression;
        case 'name':
          return this.ref(c.name);
      }
    });
    return [...new Set(parts)].join(' AND ');
  }

  private ref(name: string): string {
    const known = this.byName.get(name);
    if (known) return known.licenseId;
    const slug = name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed';
    const hash = createHash('sha256').update(name).digest('hex').slice(0, 8);
    const entry = { licenseId: `LicenseRef-${slug}-${hash}`, extractedText: name, name };
    this.byName.set(name, entry);
    return entry.licenseId;
  }

  all(): SpdxExtractedLicense[] {
    return [...this.byName.values()].sort((a, b) => (a.licenseId < b.licenseId ? -1 : 1));
  }
}

function packageEntry(
  id: string,
  p: Package,
  licenses: LicenseRefs,
  annotation: (comment: string) => SpdxAnnotation,
): SpdxPackage {
  const license = licenses.expression(p.licenses);
  const version = displayVersion(p);
  const notes = [
    p.id ? `PkgID: ${p.id}` : undefined,
    p.layerDigest ? `LayerDigest: ${p.layerDigest}` : undefined,
    p.layerDiffId ? `LayerDiffID: ${p.layerDiffId}` : undefined,
    p.filePath ? `FilePath: ${p.filePath}` : undefined,
  ].filter((n): n is string => n !== undefined);
  return {
    SPDXID: id,
    name: packageName(p),
    ...(version ? { versionInfo: version } : {}),
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    // Trivy read the license from the package's own metadata: that is both what the package
    // declares and what the scan concludes (Trivy's SPDX output does the same).
    licenseConcluded: license,
    licenseDeclared: license,
    copyrightText: NOASSERTION,
    primaryPackagePurpose: 'LIBRARY',
    sourceInfo: `${p.resultClass === 'os-pkgs' ? 'installed package' : 'dependency'} found in: ${p.target}`,
    ...(p.purl
      ? {
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: p.purl,
            },
          ],
        }
      : {}),
    ...(notes.length > 0 ? { annotations: [annotation(notes.join('\n'))] } : {}),
  };
}

/** Build the document object (exported for tests that inspect it). */
export function toSpdxDocument(
  reports: readonly ScanReport[],
  opts: SpdxOptions,
  inv: Inventory = buildInventory(reports),
): SpdxDocument {
  const created = isoSeconds(documentTime(opts));
  const creators = [
    `Tool: supply-chain-guard-${opts.toolVersion}`,
    ...[...new Set(inv.subjects.map((s) => s.report.trivyVersion ?? 'unknown'))]
      .sort()
      .map((v) => `Tool: trivy-${v}`),
  ];
  const annotator = `Tool: supply-chain-guard-${opts.toolVersion}`;
  const annotation = (comment: string): SpdxAnnotation => ({
    annotationDate: created,
    annotationType: 'OTHER',
    annotator,
    comment,
  });
  const used = new Set<string>([DOCUMENT_ID]);
  const idOf = new Map<string, string>();
  const licenses = new LicenseRefs();
  const packages: SpdxPackage[] = [];
  const relationships: SpdxRelationship[] = [];

  const subjectIds = inv.subjects.map((s) => {
    const id = spdxId(s.artifact.type === 'container_image' ? 'Image' : 'Artifact', s.ref, used);
    idOf.set(s.ref, id);
    const isImage = s.artifact.type === 'container_image';
    const digest = s.artifact.repoDigests[0];
    const oci = isImage && digest ? ociPurl(digest) : undefined;
    const notes = [
      ...s.artifact.repoTags.map((t) => `RepoTag: ${t}`),
      ...s.artifact.repoDigests.map((d) => `RepoDigest: ${d}`),
      ...(s.artifact.imageId ? [`ImageID: ${s.artifact.imageId}`] : []),
    ];
    packages.push({
      SPDXID: id,
      name: subjectName(s, opts.subjectName),
      ...(isImage && digest ? { versionInfo: digest.slice(digest.indexOf('@') + 1) } : {}),
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      licenseConcluded: NOASSERTION,
      licenseDeclared: NOASSERTION,
      copyrightText: NOASSERTION,
      primaryPackagePurpose: isImage ? 'CONTAINER' : 'APPLICATION',
      ...(oci
        ? {
            externalRefs: [
              {
                referenceCategory: 'PACKAGE-MANAGER',
                referenceType: 'purl',
                referenceLocator: oci,
              },
            ],
          }
        : {}),
      ...(notes.length > 0 ? { annotations: [annotation(notes.join('\n'))] } : {}),
    });
    return id;
  });
  for (const id of subjectIds) {
    relationships.push({
      spdxElementId: DOCUMENT_ID,
      relationshipType: 'DESCRIBES',
      relatedSpdxElement: id,
    });
  }
  for (const t of inv.targets) {
    const id = spdxId(t.kind === 'os' ? 'OperatingSystem' : 'Application', t.ref, used);
    idOf.set(t.ref, id);
    packages.push({
      SPDXID: id,
      name: t.name,
      ...(t.version ? { versionInfo: t.version } : {}),
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      licenseConcluded: NOASSERTION,
      licenseDeclared: NOASSERTION,
      copyrightText: NOASSERTION,
      primaryPackagePurpose: t.kind === 'os' ? 'OPERATING_SYSTEM' : 'APPLICATION',
      sourceInfo: `${t.resultClass}${t.resultType ? `/${t.resultType}` : ''} result: ${t.name}`,
    });
  }
  for (const e of inv.packages) {
    const id = spdxId('Package', e.ref, used);
    idOf.set(e.ref, id);
    packages.push(packageEntry(id, e.pkg, licenses, annotation));
  }

  // Membership: the artifact CONTAINS its targets, a target CONTAINS its packages (packages
  // Trivy finds one by one belong to the artifact); the edges between packages are the
  // report's DependsOn.
  const rel = (from: string, type: SpdxRelationship['relationshipType'], to: string): void => {
    const a = idOf.get(from);
    const b = idOf.get(to);
    if (a && b)
      relationships.push({ spdxElementId: a, relationshipType: type, relatedSpdxElement: b });
  };
  for (const s of inv.subjects) {
    for (const t of inv.targets) if (s.dependsOn.includes(t.ref)) rel(s.ref, 'CONTAINS', t.ref);
  }
  for (const e of inv.packages) {
    rel(e.owner, 'CONTAINS', e.ref);
    for (const d of e.dependsOn) rel(e.ref, 'DEPENDS_ON', d);
  }

  const name =
    inv.subjects.length === 1
      ? subjectName(inv.subjects[0] as InventorySubject, opts.subjectName)
      : (opts.subjectName ?? 'supply-chain-guard scan');
  const extracted = licenses.all();
  const body = {
    spdxVersion: 'SPDX-2.3' as const,
    dataLicense: 'CC0-1.0' as const,
    SPDXID: DOCUMENT_ID,
    name,
    creationInfo: { created, creators },
    packages,
    relationships,
    ...(extracted.length > 0 ? { hasExtractedLicensingInfos: extracted } : {}),
  };
  const uuid = documentUuid(opts, () => JSON.stringify(body));
  const slug = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'scan';
  const documentNamespace = opts.namespaceBase
    ? `${opts.namespaceBase.replace(/\/+$/, '')}/spdx/${slug}-${uuid}`
    : `urn:uuid:${uuid}`;
  return {
    spdxVersion: body.spdxVersion,
    dataLicense: body.dataLicense,
    SPDXID: DOCUMENT_ID,
    name,
    documentNamespace,
    creationInfo: body.creationInfo,
    packages,
    relationships,
    ...(body.hasExtractedLicensingInfos
      ? { hasExtractedLicensingInfos: body.hasExtractedLicensingInfos }
      : {}),
  };
}

/** The SPDX 2.3 JSON document of one or several reports (deterministic as CycloneDX is). */
export function buildSpdx(reports: readonly ScanReport[], opts: SpdxOptions): SbomDocument {
  const inv = buildInventory(reports);
  const doc = toSpdxDocument(reports, opts, inv);
  return {
    json: `${JSON.stringify(doc, null, 2)}\n`,
    warnings: inv.incomplete ? [incompleteWarning(inv.incompleteSources)] : [],
    packageCount: inv.packages.length,
  };
}
