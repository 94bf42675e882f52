/**
 * Optional publishing: the workflow artifact and the dependency snapshot. Each degrades to a
 * warning (naming the permission when that is the cause); neither fails the run.
 */
import path from 'node:path';
import type { Config } from '../config.js';
import { describeError } from '../errors.js';
import { artifactName, uploadArtifact, type UploadedArtifact } from '../github/artifact.js';
import { submitSnapshot } from '../github/dependency-graph.js';
import type { Logger } from '../main.js';
import type { ScanReport } from '../model.js';
import { snapshotPackageCount, toDependencySnapshot } from '../sbom/dependency-snapshot.js';
import type { Services } from '../services.js';
import { VERSION } from '../version.js';

export async function publishArtifact(
  files: readonly string[],
  config: Config,
  services: Services,
  log: Logger,
  legKey: string | undefined,
): Promise<UploadedArtifact | undefined> {
  try {
    const name = artifactName({
      job: config.env.job ?? 'job',
      ...(legKey && { legKey }),
      ...(config.env.runAttempt && { runAttempt: config.env.runAttempt }),
    });
    const uploaded = await uploadArtifact(files, name, { uploader: await services.artifacts() });
    if (uploaded)
      log.info(
        `artifact ${uploaded.name}: ${uploaded.files.map((f) => path.basename(f)).join(', ')}`,
      );
    return uploaded;
  } catch (err) {
    log.warning(`upload-artifact: ${describeError(err)}`);
    return undefined;
  }
}

/** Events whose GITHUB_SHA is a temporary merge commit rather than a commit of the PR. */
const PULL_REQUEST_EVENTS = new Set([
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
]);

/**
 * The commit a snapshot belongs to: on pull request events the PR head (GITHUB_SHA is a
 * merge commit that dependency review never compares), else GITHUB_SHA. Not for
 * `pull_request_target`, which runs on the base branch.
 */
export function snapshotSha(
  eventName: string | undefined,
  event: unknown,
  sha: string | undefined,
): string | undefined {
  if (eventName === undefined || !PULL_REQUEST_EVENTS.has(eventName)) return sha;
  const pr = (event as { pull_request?: { head?: { sha?: unknown } } } | undefined)?.pull_request;
  return typeof pr?.head?.sha === 'string' ? pr.head.sha : sha;
}

export async function publishSnapshot(
  reports: readonly ScanReport[],
  config: Config,
  services: Services,
  log: Logger,
  now: Date,
  event: unknown,
  legKey: string | undefined,
): Promise<void> {
  const { env } = config;
  const sha = snapshotSha(env.eventName, event, env.sha);
  if (!env.repository || !sha || !env.ref || !config.githubToken) {
    log.warning(
      'dependency-snapshot: needs GITHUB_REPOSITORY, GITHUB_SHA, GITHUB_REF and github-token; nothing submitted',
    );
    return;
  }
  const snapshot = toDependencySnapshot(reports, {
    sha,
    ref: env.ref,
    correlator: [env.workflow ?? 'workflow', env.job ?? 'job', legKey ?? '']
      .filter(Boolean)
      .join(' / '),
    jobId: env.runId ?? '0',
    ...(env.runId &&
      env.repository && { jobUrl: `${env.serverUrl}/${env.repository}/actions/runs/${env.runId}` }),
    detectorVersion: VERSION,
    detectorUrl: `${env.serverUrl}/${env.actionRepository ?? 'supply-chain-guard/supply-chain-guard'}`,
    scanned: now,
    ...(config.reporting.dockerfile && { imageManifestPath: config.reporting.dockerfile }),
  });
  try {
    const r = await submitSnapshot(snapshot, {
      apiUrl: env.apiUrl,
      repository: env.repository,
      token: config.githubToken,
      fetch: services.fetch,
    });
    if (r.kind === 'skipped') log.warning(`dependency-snapshot: ${r.warning}`);
    else {
      log.info(
        `dependency-snapshot: submitted ${snapshotPackageCount(snapshot)} packages (id ${r.id}, ${r.result})`,
      );
    }
  } catch (err) {
    log.warning(`dependency-snapshot: ${describeError(err)}`);
  }
}
