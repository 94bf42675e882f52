/**
 * in-toto statements and the predicates we attest: an SBOM document as it is, and cosign's
 * vulnerability predicate (`https://cosign.sigstore.dev/attestation/vuln/v1`) from a ScanReport.
 * https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md
 * https://github.com/sigstore/cosign/blob/main/specs/COSIGN_VULN_ATTESTATION_SPEC.md
 */
import type { Finding, ScanReport } from '../model.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
export const PREDICATE_CYCLONEDX = 'https://cyclonedx.org/bom';
export const PREDICATE_SPDX = 'https://spdx.dev/Document';
export const PREDICATE_VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
/** cosign v3's own image signature in the bundle format. */
export const PREDICATE_COSIGN_SIGN = 'https://sigstore.dev/cosign/sign/v1';
export const TRIVY_URI = 'https://github.com/aquasecurity/trivy';

export interface Attestation {
  readonly predicateType: string;
  readonly predicate: unknown;
}

/** The statement bytes for one subject (the image repository and digest). */
export function inTotoStatement(
  subjectName: string,
  imageDigest: string,
  att: Attestation,
): Buffer {
  const hex = imageDigest.replace(/^sha256:/, '');
  return Buffer.from(
    JSON.stringify({
      _type: STATEMENT_V1,
      subject: [{ name: subjectName, digest: { sha256: hex } }],
      predicateType: att.predicateType,
      predicate: att.predicate,
    }),
  );
}

/** The predicate type for an SBOM format (cosign's `--type cyclonedx` / `spdxjson`). */
export function sbomPredicateType(format: 'cyclonedx' | 'spdx'): string {
  return format === 'cyclonedx' ? PREDICATE_CYCLONEDX : PREDICATE_SPDX;
}

export interface VulnInvocation {
  /** URL of the workflow run. */
  readonly uri: string;
  readonly eventId: string;
  readonly builderId: string;
}

function vulnEntry(f: Extract<Finding, { kind: 'vulnerability' }>): Record<string, unknown> {
  return {
    VulnerabilityID: f.id,
    PkgName: f.pkgName,
    ...(f.purl && { PkgIdentifier: { PURL: f.purl } }),
    InstalledVersion: f.installedVersion,
    ...(f.fixedVersion && { FixedVersion: f.fixedVersion }),
    ...(f.status && { Status: f.status }),
    Severity: f.severity,
    ...(f.primaryUrl && { PrimaryURL: f.primaryUrl }),
    ...(f.cvssScore !== undefined && { CVSSScore: f.cvssScore }),
  };
}

/**
 * cosign's vuln/v1 predicate. `scanner.result` holds the vulnerabilities in Trivy's JSON
 * shape, grouped by target, so policies written against `cosign attest --type vuln` output
 * (e.g. Kyverno conditions on `scanner.result.Results[].Vulnerabilities[]`) keep working.
 */
export function vulnPredicate(
  report: ScanReport,
  invocation: VulnInvocation,
  finishedAt: string,
): unknown {
  const byTarget = new Map<string, Record<string, unknown>[]>();
  for (const r of report.results) byTarget.set(r.target, []);
  for (const f of report.findings) {
    if (f.kind !== 'vulnerability') continue;
    const list = byTarget.get(f.target) ?? [];
    list.push(vulnEntry(f));
    byTarget.set(f.target, list);
  }
  const started = report.createdAt ?? finishedAt;
  return {
    invocation: {
      parameters: null,
      uri: invocation.uri,
      event_id: invocation.eventId,
      'builder.id': invocation.builderId,
    },
    scanner: {
      uri: TRIVY_URI,
      version: report.trivyVersion ?? '',
      db: { uri: '', version: '' },
      result: {
        SchemaVersion: report.schemaVersion,
        ArtifactName: report.artifact.name,
        ArtifactType: report.artifact.type,
        Results: [...byTarget].map(([Target, Vulnerabilities]) => ({ Target, Vulnerabilities })),
      },
    },
    metadata: { scanStartedOn: started, scanFinishedOn: finishedAt },
  };
}
