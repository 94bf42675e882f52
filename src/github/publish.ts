/**
 * The publish phase's GitHub side in one call: upload the SARIF (when `upload-sarif`) and
 * write the sticky comment (when `pr-comment` and the event is a pull request). Both are
 * optional phases: a missing permission becomes a warning, anything else a GuardError for
 * main.ts. The SARIF file and the job summary are written by main.ts before this runs, so a
 * refused upload or comment never loses the report.
 */
import { GuardError } from '../errors.js';
import type { SarifLog } from '../render/sarif.js';
import { field, type GitHubClient } from './client.js';
import {
  codeScanningTarget,
  uploadSarif,
  type EventContext,
  type Logger,
  type UploadOptions,
  type UploadOutcome,
} from './code-scanning.js';
import { pullRequestNumber, upsertStickyComment, type CommentOutcome } from './comment.js';

export interface PublishDeps {
  readonly client: GitHubClient;
  readonly log: Logger;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

export interface PublishInput {
  /** `GITHUB_REPOSITORY` (`owner/repo`). */
  readonly repository: string;
  readonly event: EventContext;
  /** The SARIF to upload; leave out when `upload-sarif` is false. */
  readonly sarif?: SarifLog;
  /** `file://` URI of the workspace. */
  readonly checkoutUri?: string;
  /** The comment to write; leave out when `pr-comment` is false. */
  readonly comment?: {
    readonly key: string;
    readonly body: string;
    /** Posted instead when GitHub rejects `body` (e.g. too long). */
    readonly fallbackBody: string;
  };
  readonly poll?: UploadOptions;
}

export interface PublishOutcome {
  readonly upload?: UploadOutcome;
  readonly comment?: CommentOutcome;
}

/** `owner/repo` → its two parts, or a GuardError naming GITHUB_REPOSITORY. */
export function parseRepository(repository: string): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9-_.]+)\/([A-Za-z0-9-_.]+)$/.exec(repository.trim());
  if (m === null) {
    throw new GuardError(
      'GITHUB_API_FAILED',
      `GITHUB_REPOSITORY "${repository}" is not owner/repo`,
      {
        remedy: 'run inside GitHub Actions, or set GITHUB_REPOSITORY for the CLI',
      },
    );
  }
  return { owner: m[1]!, repo: m[2]! };
}

/** The default `comment-key`: the job and the SARIF category keep matrix legs apart. */
export function defaultCommentKey(job: string | undefined, category: string | undefined): string {
  return [job || 'job', category || 'all'].join('/');
}

/**
 * The category a run's targets give when `sarif-category` is not set: the SARIF runs'
 * categories (image repositories without tags, repository paths), so matrix legs of one job
 * get their own comment, artifact and snapshot. Undefined when nothing was reported.
 */
export function targetsCategory(sarif: SarifLog): string | undefined {
  const ids = sarif.runs.map((r) => r.automationDetails.id.replace(/\/+$/, ''));
  const unique = [...new Set(ids)].filter((id) => id !== '').sort();
  return unique.length > 0 ? unique.join(',') : undefined;
}

/** A pull request from a fork: its GITHUB_TOKEN is read-only on `pull_request` events. */
export function isForkPullRequest(payload: unknown): boolean {
  const pr = field(payload, 'pull_request');
  const head = field(field(field(pr, 'head'), 'repo'), 'full_name');
  const base = field(field(field(pr, 'base'), 'repo'), 'full_name');
  return typeof head === 'string' && typeof base === 'string' && head !== base;
}

/** A comment short enough for any PR: where to find the report. */
export function fallbackComment(runUrl: string | undefined, verdictLine: string): string {
  return `${verdictLine}\n\nThe full report did not fit in a comment${runUrl ? `: see [the job summary](${runUrl})` : '; see the job summary'}.\n`;
}

export async function publishToGitHub(
  deps: PublishDeps,
  input: PublishInput,
): Promise<PublishOutcome> {
  const { owner, repo } = parseRepository(input.repository);
  const fork = isForkPullRequest(input.event.payload) && input.event.eventName === 'pull_request';
  if (fork) {
    deps.log.info(
      'this pull request comes from a fork: its token is usually read-only; the job summary has the report',
    );
  }
  let upload: UploadOutcome | undefined;
  if (input.sarif !== undefined) {
    const target = codeScanningTarget(input.event);
    if ('error' in target) {
      const reason = `SARIF not uploaded: ${target.error}`;
      deps.log.warning(reason);
      upload = { kind: 'skipped', reason };
    } else {
      upload = await uploadSarif(
        deps,
        {
          owner,
          repo,
          target,
          sarif: input.sarif,
          ...(input.checkoutUri !== undefined && { checkoutUri: input.checkoutUri }),
        },
        input.poll,
      );
    }
  }
  let comment: CommentOutcome | undefined;
  if (input.comment !== undefined) {
    const n = pullRequestNumber(input.event.eventName, input.event.payload);
    if (n === undefined) {
      deps.log.info(
        `pr-comment: ${input.event.eventName ?? 'this'} event is not about a pull request; no comment`,
      );
    } else {
      comment = await upsertStickyComment(deps, {
        owner,
        repo,
        issueNumber: n,
        key: input.comment.key,
        body: input.comment.body,
        fallbackBody: input.comment.fallbackBody,
      });
    }
  }
  return { ...(upload !== undefined && { upload }), ...(comment !== undefined && { comment }) };
}
