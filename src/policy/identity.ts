/**
 * Stable identities of findings and artifacts: what stays the same across runs, builds and
 * Trivy versions. The baseline diff and the SARIF fingerprints both rest on these, so an
 * image tag, a digest or an OS point release never makes a finding look new.
 */
import { findingKey, type Finding, type Location } from '../model.js';

/** True for image scans (a registry reference or an image archive). */
export function isImageArtifact(artifactType: string): boolean {
  return artifactType === 'container_image';
}

/**
 * The repository of an image reference without tag or digest (`ghcr.io/org/app:1.2@sha256:…`
 * → `ghcr.io/org/app`). Archive paths and other names come back unchanged.
 */
export function imageRepository(name: string): string {
  let ref = name.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  // A colon after the last slash is a tag; one before it is a registry port.
  if (colon > slash) ref = ref.slice(0, colon);
  return ref;
}

/**
 * The stable part of a result target: OS package results are named after the artifact
 * and OS version (`app:1.2 (alpine 3.18.4)`), which churn; their OS family is stable.
 */
export function stableTarget(loc: Location): string {
  if (loc.resultClass === 'os-pkgs') return `os:${loc.resultType ?? 'os'}`;
  return loc.target;
}

/** Misconfiguration IDs changed form in Trivy 0.69 (`DS002` → `DS-0002`); the AVD ID did not. */
export function canonicalCheckId(f: Finding): string {
  if (f.kind === 'misconfiguration' && f.avdId !== undefined) return f.avdId.replace(/^AVD-/, '');
  return f.id;
}

/** What was scanned, without the image tag or digest, so `app:pr-1` matches `app:main`. */
export function artifactIdentity(f: Location): string {
  return isImageArtifact(f.artifactType)
    ? `image|${imageRepository(f.artifact)}`
    : `${f.artifactType}|${f.artifact}`;
}

/** `findingKey` with the target and check ID normalised as above. */
export function baselineKey(f: Finding): string {
  const target = stableTarget(f);
  const id = canonicalCheckId(f);
  if (target === f.target && id === f.id) return findingKey(f);
  return findingKey({ ...f, target, id } as Finding);
}
