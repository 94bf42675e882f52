/**
 * Where a finding lives, in forms that stay stable across runs: the repository-relative
 * file of a config/secret/lockfile finding, the image repository (never its tag or
 * digest) of an image finding, and the per-target category that keeps code-scanning runs
 * and matrix legs apart. Pure path arithmetic, POSIX separators.
 */
import path from 'node:path';
import type { Artifact, Finding, Location } from '../model.js';
import { imageRepository, isImageArtifact } from '../policy/identity.js';

export { imageRepository, isImageArtifact, stableTarget } from '../policy/identity.js';

export interface PathOptions {
  /** Absolute workspace path: absolute artifact paths under it become repo-relative. */
  readonly workspace?: string;
}

function looksLikeUrl(name: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(name);
}

/** A local path inside the repository, or undefined for URLs and paths outside it. */
export function repoRelative(name: string, opts: PathOptions): string | undefined {
  if (name === '' || looksLikeUrl(name)) return undefined;
  const posix = name.replace(/\\/g, '/');
  if (path.posix.isAbsolute(posix)) {
    if (opts.workspace === undefined) return undefined;
    const rel = path.posix.relative(opts.workspace.replace(/\\/g, '/'), posix);
    if (rel.startsWith('..') || path.posix.isAbsolute(rel)) return undefined;
    return rel === '' ? '.' : rel;
  }
  const norm = path.posix.normalize(posix);
  return norm.startsWith('../') || norm === '..' ? undefined : norm;
}

/**
 * The stable name of what was scanned: the image repository for images, the path
 * (repo-relative when possible) for everything else.
 */
export function artifactLabel(
  artifact: Pick<Artifact, 'name' | 'type'>,
  opts: PathOptions = {},
): string {
  if (isImageArtifact(artifact.type)) return imageRepository(artifact.name);
  return repoRelative(artifact.name, opts) ?? artifact.name;
}

/** Is the result target a file path (not `Java`, `Ruby`, `.` or an OS description)? */
function targetIsFile(loc: Location): boolean {
  if (loc.resultClass === 'os-pkgs') return false;
  if (loc.target === '' || loc.target === '.') return false;
  // Aggregated language results (`Java`, `Ruby`, `Node.js`, `Python`) carry a language name.
  if (loc.resultClass === 'lang-pkgs' && !/[./]/.test(loc.target)) return false;
  if (loc.resultClass === 'lang-pkgs' && /^(Node\.js|\.NET)$/.test(loc.target)) return false;
  return true;
}

/**
 * The repository-relative file a finding is about, when it is a file in the repository:
 * config, secret and lockfile findings of `fs`/`config`/`repository` scans. Undefined for
 * image contents, remote modules and URLs.
 */
export function repoFilePath(loc: Location, opts: PathOptions = {}): string | undefined {
  if (isImageArtifact(loc.artifactType) || !targetIsFile(loc)) return undefined;
  const target = loc.target.replace(/\\/g, '/');
  if (path.posix.isAbsolute(target)) return repoRelative(target, opts);
  if (looksLikeUrl(loc.artifact)) return repoRelative(target, opts);
  const base = repoRelative(loc.artifact, opts);
  if (base === undefined) return undefined;
  // A single-file scan (`trivy config main.tf`) names the file as artifact and target.
  if (base === target || base.endsWith(`/${target}`)) return base;
  return base === '.' ? path.posix.normalize(target) : path.posix.join(base, target);
}

/** Encode each path segment so the result is a valid relative URI reference. */
export function toUriPath(p: string): string {
  return p
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .map((s) => encodeURIComponent(s))
    .join('/');
}

/** The logical location of an image finding: the repository, then the file inside the image. */
export function imageLogicalPath(f: Finding): string {
  const repo = imageRepository(f.artifact);
  if (f.kind === 'vulnerability' && f.pkgPath !== undefined && f.pkgPath !== '') {
    return `${repo}/${f.pkgPath.replace(/^\/+/, '')}`;
  }
  if (f.resultClass === 'os-pkgs' || !targetIsFile(f)) return repo;
  return `${repo}/${f.target.replace(/^\/+/, '')}`;
}

/** Characters allowed in a code-scanning category we derive. */
function slug(text: string): string {
  return text
    .replace(/[^A-Za-z0-9._\-/:@]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-/]+|[-/]+$/g, '');
}

/**
 * The code-scanning category of one target: `image:<repository>`, `fs:<path>`, `sbom:<path>`,
 * with the user's `sarif-category` as a prefix when there are several targets.
 */
export function targetCategory(
  artifact: Pick<Artifact, 'name' | 'type'>,
  opts: PathOptions = {},
): string {
  const label = artifactLabel(artifact, opts);
  const kind = isImageArtifact(artifact.type)
    ? 'image'
    : artifact.type === 'cyclonedx' || artifact.type === 'spdx'
      ? 'sbom'
      : artifact.type === 'vm'
        ? 'vm'
        : 'fs';
  return `${kind}:${slug(label) || 'root'}`;
}
