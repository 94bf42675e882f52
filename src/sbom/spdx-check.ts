/**
 * The action's own check of what SPDX 2.3 requires of a JSON document before it is written:
 * document fields (clause 6), package fields (clause 7) and relationships (clause 11).
 * https://spdx.github.io/spdx-spec/v2.3/
 *
 * Tests also validate every document against the official JSON schema; this check covers
 * what the schema cannot (references that resolve, unique IDs, declared LicenseRefs).
 */
import { GuardError } from '../errors.js';
import { isJsonObject } from '../json.js';

const ID_PATTERN = /^SPDXRef-[A-Za-z0-9.-]+$/;
/** `YYYY-MM-DDThh:mm:ssZ` (clause 6.9). */
const CREATED_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const CREATOR_PATTERN = /^(Tool|Person|Organization): \S/;
/** Special values a relationship may point at instead of an element (clause 11.1). */
const SPECIAL_ELEMENTS = new Set(['NONE', 'NOASSERTION']);
const LICENSE_SPECIAL = new Set(['NONE', 'NOASSERTION']);
/** Clause 7.24; the JSON form spells OPERATING_SYSTEM with an underscore. */
const PURPOSES = new Set([
  'APPLICATION',
  'FRAMEWORK',
  'LIBRARY',
  'CONTAINER',
  'OPERATING_SYSTEM',
  'DEVICE',
  'FIRMWARE',
  'SOURCE',
  'ARCHIVE',
  'FILE',
  'INSTALL',
  'OTHER',
]);
const RELATIONSHIP_TYPES = new Set([
  'DESCRIBES',
  'DESCRIBED_BY',
  'CONTAINS',
  'CONTAINED_BY',
  'DEPENDS_ON',
  'DEPENDENCY_OF',
  'DEPENDENCY_MANIFEST_OF',
  'BUILD_DEPENDENCY_OF',
  'DEV_DEPENDENCY_OF',
  'OPTIONAL_DEPENDENCY_OF',
  'PROVIDED_DEPENDENCY_OF',
  'TEST_DEPENDENCY_OF',
  'RUNTIME_DEPENDENCY_OF',
  'EXAMPLE_OF',
  'GENERATES',
  'GENERATED_FROM',
  'ANCESTOR_OF',
  'DESCENDANT_OF',
  'VARIANT_OF',
  'DISTRIBUTION_ARTIFACT',
  'PATCH_FOR',
  'PATCH_APPLIED',
  'COPY_OF',
  'FILE_ADDED',
  'FILE_DELETED',
  'FILE_MODIFIED',
  'EXPANDED_FROM_ARCHIVE',
  'DYNAMIC_LINK',
  'STATIC_LINK',
  'DATA_FILE_OF',
  'TEST_CASE_OF',
  'BUILD_TOOL_OF',
  'DEV_TOOL_OF',
  'TEST_OF',
  'TEST_TOOL_OF',
  'DOCUMENTATION_OF',
  'OPTIONAL_COMPONENT_OF',
  'METAFILE_OF',
  'PACKAGE_OF',
  'AMENDS',
  'PREREQUISITE_FOR',
  'HAS_PREREQUISITE',
  'REQUIREMENT_DESCRIPTION_FOR',
  'SPECIFICATION_FOR',
  'OTHER',
]);

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.trim() !== '';
}

function isAbsoluteUri(v: string): boolean {
  try {
    return new URL(v).protocol.length > 1;
  } catch {
    return false;
  }
}

/** `NOASSERTION`, `NONE` or an absolute URI / VCS locator (clause 7.7). */
function isDownloadLocation(v: string): boolean {
  return LICENSE_SPECIAL.has(v) || isAbsoluteUri(v) || /^[a-z+]+\+[a-z]+:\/\//.test(v);
}

/** LicenseRef IDs used in a license expression. */
function licenseRefs(expression: string): string[] {
  return expression.match(/LicenseRef-[A-Za-z0-9.-]+/g) ?? [];
}

/** Every way the document falls short of SPDX 2.3; empty when it does not. */
export function spdxProblems(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isJsonObject(doc)) return ['the document is not a JSON object'];
  if (doc['spdxVersion'] !== 'SPDX-2.3') problems.push('spdxVersion must be "SPDX-2.3"');
  if (doc['dataLicense'] !== 'CC0-1.0') problems.push('dataLicense must be "CC0-1.0"');
  if (doc['SPDXID'] !== 'SPDXRef-DOCUMENT') problems.push('SPDXID must be "SPDXRef-DOCUMENT"');
  if (!nonEmpty(doc['name'])) problems.push('name is missing');
  const ns = doc['documentNamespace'];
  if (!nonEmpty(ns)) problems.push('documentNamespace is missing');
  else if (!isAbsoluteUri(ns) || ns.includes('#')) {
    problems.push(`documentNamespace "${ns}" must be an absolute URI without "#"`);
  }
  const ci = doc['creationInfo'];
  if (!isJsonObject(ci)) {
    problems.push('creationInfo is missing');
  } else {
    const created = ci['created'];
    if (!nonEmpty(created) || !CREATED_PATTERN.test(created)) {
      problems.push('creationInfo.created must be a UTC time as YYYY-MM-DDThh:mm:ssZ');
    }
    const creators = ci['creators'];
    if (!Array.isArray(creators) || creators.length === 0) {
      problems.push('creationInfo.creators must name at least one creator');
    } else {
      for (const c of creators) {
        if (typeof c !== 'string' || !CREATOR_PATTERN.test(c)) {
          problems.push(
            `creator ${JSON.stringify(c)} must start with Tool:, Person: or Organization:`,
          );
        }
      }
    }
  }

  const ids = new Set<string>(['SPDXRef-DOCUMENT']);
  const declaredRefs = new Set<string>();
  const extracted = doc['hasExtractedLicensingInfos'];
  if (extracted !== undefined) {
    if (!Array.isArray(extracted)) problems.push('hasExtractedLicensingInfos must be an array');
    else {
      for (const [i, l] of extracted.entries()) {
        const id = isJsonObject(l) ? l['licenseId'] : undefined;
        if (!nonEmpty(id) || !/^LicenseRef-[A-Za-z0-9.-]+$/.test(id)) {
          problems.push(
            `hasExtractedLicensingInfos[${i}].licenseId must be LicenseRef-[A-Za-z0-9.-]+`,
          );
        } else declaredRefs.add(id);
        if (!isJsonObject(l) || !nonEmpty(l['extractedText'])) {
          problems.push(`hasExtractedLicensingInfos[${i}].extractedText is missing`);
        }
      }
    }
  }

  const packages = doc['packages'];
  if (packages !== undefined && !Array.isArray(packages))
    problems.push('packages must be an array');
  for (const [i, p] of (Array.isArray(packages) ? packages : []).entries()) {
    const where = `packages[${i}]`;
    if (!isJsonObject(p)) {
      problems.push(`${where} is not an object`);
      continue;
    }
    const id = p['SPDXID'];
    if (!nonEmpty(id) || !ID_PATTERN.test(id)) {
      problems.push(`${where}.SPDXID must match SPDXRef-[A-Za-z0-9.-]+`);
    } else if (ids.has(id)) {
      problems.push(`${where}.SPDXID ${id} is not unique`);
    } else ids.add(id);
    const label = nonEmpty(id) ? `${where} (${id})` : where;
    if (!nonEmpty(p['name'])) problems.push(`${label}.name is missing`);
    const dl = p['downloadLocation'];
    if (!nonEmpty(dl)) problems.push(`${label}.downloadLocation is missing (use NOASSERTION)`);
    else if (!isDownloadLocation(dl))
      problems.push(`${label}.downloadLocation "${dl}" is not NONE, NOASSERTION or a URI`);
    for (const field of ['licenseConcluded', 'licenseDeclared'] as const) {
      const v = p[field];
      if (field === 'licenseConcluded' && !nonEmpty(v)) {
        problems.push(`${label}.licenseConcluded is missing (use NOASSERTION)`);
        continue;
      }
      if (!nonEmpty(v)) continue;
      for (const ref of licenseRefs(v)) {
        if (!declaredRefs.has(ref))
          problems.push(
            `${label}.${field} uses ${ref}, which hasExtractedLicensingInfos does not declare`,
          );
      }
    }
    const purpose = p['primaryPackagePurpose'];
    if (purpose !== undefined && (typeof purpose !== 'string' || !PURPOSES.has(purpose))) {
      problems.push(
        `${label}.primaryPackagePurpose ${JSON.stringify(purpose)} is not an SPDX 2.3 purpose`,
      );
    }
    if (p['filesAnalyzed'] === false && p['packageVerificationCode'] !== undefined) {
      problems.push(`${label}.packageVerificationCode must be absent when filesAnalyzed is false`);
    }
    const refs = p['externalRefs'];
    for (const [j, r] of (Array.isArray(refs) ? refs : []).entries()) {
      if (
        !isJsonObject(r) ||
        !nonEmpty(r['referenceCategory']) ||
        !nonEmpty(r['referenceType']) ||
        !nonEmpty(r['referenceLocator'])
      ) {
        problems.push(
          `${label}.externalRefs[${j}] needs referenceCategory, referenceType and referenceLocator`,
        );
      } else if (
        r['referenceType'] === 'purl' &&
        !/^pkg:[a-z.+-]+\/\S+$/i.test(r['referenceLocator'])
      ) {
        problems.push(
          `${label}.externalRefs[${j}] purl "${r['referenceLocator']}" is not a package URL`,
        );
      }
    }
  }

  const relationships = doc['relationships'];
  let describes = 0;
  if (relationships !== undefined && !Array.isArray(relationships))
    problems.push('relationships must be an array');
  for (const [i, r] of (Array.isArray(relationships) ? relationships : []).entries()) {
    const where = `relationships[${i}]`;
    if (!isJsonObject(r)) {
      problems.push(`${where} is not an object`);
      continue;
    }
    const type = r['relationshipType'];
    if (!nonEmpty(type) || !RELATIONSHIP_TYPES.has(type))
      problems.push(`${where}.relationshipType ${JSON.stringify(type)} is not an SPDX 2.3 type`);
    const from = r['spdxElementId'];
    const to = r['relatedSpdxElement'];
    if (!nonEmpty(from) || !ids.has(from))
      problems.push(
        `${where}.spdxElementId ${JSON.stringify(from)} names no element of the document`,
      );
    // A related element may live in another document (DocumentRef-x:SPDXRef-y) or be NONE/NOASSERTION.
    if (
      !nonEmpty(to) ||
      (!ids.has(to) &&
        !SPECIAL_ELEMENTS.has(to) &&
        !/^DocumentRef-[A-Za-z0-9.-]+:SPDXRef-[A-Za-z0-9.-]+$/.test(to))
    ) {
      problems.push(
        `${where}.relatedSpdxElement ${JSON.stringify(to)} names no element of the document`,
      );
    }
    if (type === 'DESCRIBES' && from === 'SPDXRef-DOCUMENT') describes++;
  }
  const describesList = doc['documentDescribes'];
  if (describes === 0 && !(Array.isArray(describesList) && describesList.length > 0)) {
    problems.push(
      'the document DESCRIBES nothing (clause 6.1 wants at least one DESCRIBES relationship)',
    );
  }
  return problems;
}

/** Fail with every problem when the document is not valid SPDX 2.3. */
export function assertValidSpdx(json: string, name = 'SPDX SBOM'): void {
  const problems = spdxProblems(JSON.parse(json) as unknown);
  if (problems.length === 0) return;
  throw new GuardError(
    'SBOM_INVALID',
    `${name} is not valid SPDX 2.3: ${problems.slice(0, 20).join('; ')}${problems.length > 20 ? ` (and ${problems.length - 20} more)` : ''}`,
    {
      remedy: 'this is a bug in supply-chain-guard: please report it with the Trivy report',
    },
  );
}
