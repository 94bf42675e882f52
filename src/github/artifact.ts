/**
 * Upload the run's reports (SBOMs, SARIF, raw Trivy JSON) as one workflow artifact.
 *
 * Artifact names must be unique within a workflow run (v4 artifacts are immutable), so the
 * name carries the job, a key that tells matrix legs apart, and the run attempt.
 * The uploader is an interface: main.ts hands in `createArtifactUploader()` (the
 * `@actions/artifact` client), tests a recording fake of the same one-method protocol.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { GuardError } from '../errors.js';

export interface ArtifactUploader {
  uploadArtifact(
    name: string,
    files: string[],
    rootDirectory: string,
    options?: { retentionDays?: number },
  ): Promise<{ id?: number; size?: number; digest?: string }>;
}

export interface ArtifactNameParts {
  /** GITHUB_JOB. */
  readonly job: string;
  /**
   * What tells this leg from the job's other matrix legs: the `comment-key` / SARIF category,
   * or the matrix values as JSON. Hashed into the name when long.
   */
  readonly legKey?: string;
  /** GITHUB_RUN_ATTEMPT: a re-run must not collide with the first attempt's artifact. */
  readonly runAttempt?: string;
}

export interface UploadArtifactDeps {
  readonly uploader: ArtifactUploader;
  /** @default the platform's default (90 days, or the repository's setting) */
  readonly retentionDays?: number;
}

export interface UploadedArtifact {
  readonly name: string;
  readonly id?: number;
  readonly size?: number;
  readonly digest?: string;
  readonly files: readonly string[];
}

/** Characters the artifact service rejects in names. */
const FORBIDDEN = /["':<>|*?\\/\r\n]+/g;
const MAX_LEG_LENGTH = 40;

/** `supply-chain-guard-<job>[-<leg>][-attempt<n>]`, valid and unique per matrix leg. */
export function artifactName(parts: ArtifactNameParts): string {
  const clean = (s: string): string =>
    s.replace(FORBIDDEN, '-').replace(/\s+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const segments = ['supply-chain-guard', clean(parts.job) || 'job'];
  if (parts.legKey) {
    const leg = clean(parts.legKey);
    // Long keys (matrix JSON) are hashed: still unique, and the name stays readable.
    segments.push(
      leg.length <= MAX_LEG_LENGTH
        ? leg
        : `${leg.slice(0, 24)}-${createHash('sha256').update(parts.legKey).digest('hex').slice(0, 12)}`,
    );
  }
  if (parts.runAttempt && parts.runAttempt !== '1')
    segments.push(`attempt${clean(parts.runAttempt)}`);
  return segments.join('-');
}

/** The directory all files share (the artifact keeps paths relative to it). */
export function commonRoot(files: readonly string[]): string {
  const dirs = files.map((f) => path.dirname(path.resolve(f)).split(path.sep));
  const first = dirs[0] ?? [];
  let n = first.length;
  for (const d of dirs) {
    let i = 0;
    while (i < n && d[i] === first[i]) i++;
    n = i;
  }
  return first.slice(0, n).join(path.sep) || path.sep;
}

/** Upload the files (deduplicated, absolute) under one artifact name. */
export async function uploadArtifact(
  files: readonly string[],
  name: string,
  deps: UploadArtifactDeps,
): Promise<UploadedArtifact | undefined> {
  const unique = [...new Set(files.map((f) => path.resolve(f)))].sort();
  if (unique.length === 0) return undefined;
  let res: Awaited<ReturnType<ArtifactUploader['uploadArtifact']>>;
  try {
    res = await deps.uploader.uploadArtifact(
      name,
      unique,
      commonRoot(unique),
      deps.retentionDays === undefined ? {} : { retentionDays: deps.retentionDays },
    );
  } catch (err) {
    const clash = /already exists|conflict|409/i.test(err instanceof Error ? err.message : '');
    throw new GuardError('GITHUB_API_FAILED', `artifact "${name}": upload failed`, {
      cause: err,
      remedy: clash
        ? 'another step of this run uploaded an artifact with this name: give each matrix leg its own comment-key'
        : 'artifacts upload only inside GitHub Actions; set upload-artifact: false elsewhere',
    });
  }
  return {
    name,
    ...(res.id === undefined ? {} : { id: res.id }),
    ...(res.size === undefined ? {} : { size: res.size }),
    ...(res.digest === undefined ? {} : { digest: res.digest }),
    files: unique,
  };
}

/** The real uploader: `@actions/artifact`'s client, loaded only when an upload happens. */
export async function createArtifactUploader(): Promise<ArtifactUploader> {
  const { DefaultArtifactClient } = await import('@actions/artifact');
  return new DefaultArtifactClient();
}
