/**
 * Upload SARIF to code scanning and wait for GitHub to process it.
 * API: POST /repos/{owner}/{repo}/code-scanning/sarifs (gzip + base64, 202 with an id), then
 * GET .../sarifs/{id} until `processing_status` is `complete` or `failed`.
 *
 * A 403 (no `security-events: write`, a fork's read-only token, code scanning not enabled)
 * is a warning: the SARIF file is still written and the summary still has every finding.
 */
import { gzipSync } from 'node:zlib';
import { GuardError } from '../errors.js';
import { SARIF_LIMITS, splitRuns, type SarifLog } from '../render/sarif.js';
import { GitHubApiError, field, type GitHubClient } from './client.js';

export interface Logger {
  info(message: string): void;
  warning(message: string): void;
}

export interface UploadDeps {
  readonly client: GitHubClient;
  readonly log: Logger;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The commit and ref an analysis belongs to. */
export interface CodeScanningTarget {
  readonly commitSha: string;
  readonly ref: string;
}

export interface EventContext {
  readonly eventName?: string;
  /** `GITHUB_SHA` */
  readonly sha?: string;
  /** `GITHUB_REF` */
  readonly ref?: string;
  /** The parsed event payload (`GITHUB_EVENT_PATH`). */
  readonly payload?: unknown;
}

const SHA = /^[0-9a-fA-F]{40}(?:[0-9a-fA-F]{24})?$/;
const REF = /^refs\/(heads|tags|pull)\/.+$/;

function prNumber(payload: unknown): number | undefined {
  const n = field(field(payload, 'pull_request'), 'number');
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

/**
 * Which commit and ref to upload for: the merge commit and `refs/pull/N/merge` for
 * `pull_request` (that is what the PR check compares), the PR head for
 * `pull_request_target` (whose GITHUB_REF is the base branch: uploading there would put a
 * PR's findings on the base branch), and GITHUB_SHA/GITHUB_REF for pushes of branches and
 * tags, schedules and dispatches. Returns a reason when there is nothing valid to upload for.
 */
export function codeScanningTarget(
  ctx: EventContext,
): CodeScanningTarget | { readonly error: string } {
  const n = prNumber(ctx.payload);
  if (ctx.eventName === 'pull_request_target' && n !== undefined) {
    const head = field(field(field(ctx.payload, 'pull_request'), 'head'), 'sha');
    if (typeof head === 'string' && SHA.test(head))
      return { commitSha: head, ref: `refs/pull/${n}/head` };
  }
  let ref = ctx.ref;
  if (
    (ctx.eventName === 'pull_request' || ctx.eventName === 'pull_request_review') &&
    n !== undefined
  ) {
    if (ref === undefined || !ref.startsWith('refs/pull/')) ref = `refs/pull/${n}/merge`;
  }
  if (ctx.sha === undefined || !SHA.test(ctx.sha)) {
    return {
      error: `no commit SHA to upload for (GITHUB_SHA is ${ctx.sha === undefined ? 'unset' : `"${ctx.sha}"`})`,
    };
  }
  if (ref === undefined || !REF.test(ref)) {
    return {
      error: `no branch, tag or pull request ref to upload for (GITHUB_REF is ${ref === undefined ? 'unset' : `"${ref}"`})`,
    };
  }
  return { commitSha: ctx.sha, ref };
}

export interface UploadParams {
  readonly owner: string;
  readonly repo: string;
  readonly target: CodeScanningTarget;
  readonly sarif: SarifLog;
  /** `file://` URI of the workspace, so absolute paths map to the repository. */
  readonly checkoutUri?: string;
  /** When the analysis started (ISO 8601). */
  readonly startedAt?: string;
}

export interface UploadOptions {
  /** @default 5000 */
  readonly pollIntervalMs?: number;
  /** Give up waiting (with a warning, the upload itself succeeded) after this long. @default 120000 */
  readonly pollTimeoutMs?: number;
}

export type UploadOutcome =
  | {
      readonly kind: 'uploaded';
      readonly ids: readonly string[];
      readonly pending: readonly string[];
    }
  | { readonly kind: 'skipped'; readonly reason: string };

export const PERMISSION_HINT =
  'the job needs `permissions: security-events: write`; pull requests from forks get a read-only token, ' +
  'and private repositories need GitHub Code Security enabled. The SARIF file was still written.';

/** gzip + base64, as the upload endpoint wants it; checks GitHub's 10 MB compressed limit. */
export function encodeSarif(log: SarifLog): string {
  const gz = gzipSync(JSON.stringify(log));
  if (gz.length > SARIF_LIMITS.gzipBytes) {
    throw new GuardError(
      'GITHUB_API_FAILED',
      `SARIF is ${gz.length} bytes gzipped, over GitHub's 10 MB limit`,
      {
        remedy: 'render it with renderSarif, which trims to the limit, or narrow `severity`',
      },
    );
  }
  return gz.toString('base64');
}

export async function uploadSarif(
  deps: UploadDeps,
  params: UploadParams,
  opts: UploadOptions = {},
): Promise<UploadOutcome> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = deps.now ?? Date.now;
  const base = `/repos/${encodeURIComponent(params.owner)}/${encodeURIComponent(params.repo)}/code-scanning/sarifs`;
  const ids: string[] = [];
  // GitHub takes at most 20 runs per file: several uploads, one per group of runs.
  for (const part of splitRuns(params.sarif)) {
    let res;
    try {
      res = await deps.client.request('POST', base, {
        body: {
          commit_sha: params.target.commitSha,
          ref: params.target.ref,
          sarif: encodeSarif(part),
          ...(params.checkoutUri !== undefined && { checkout_uri: params.checkoutUri }),
          ...(params.startedAt !== undefined && { started_at: params.startedAt }),
        },
      });
    } catch (err) {
      if (err instanceof GitHubApiError && err.status === 403) {
        const reason = `code scanning upload refused (403: ${err.apiMessage}): ${PERMISSION_HINT}`;
        deps.log.warning(reason);
        return { kind: 'skipped', reason };
      }
      if (err instanceof GitHubApiError) {
        throw new GuardError('GITHUB_API_FAILED', `code scanning upload failed: ${err.message}`, {
          cause: err,
          remedy:
            err.status === 404
              ? `check that ${params.owner}/${params.repo} exists and the token can read it`
              : err.status === 413
                ? 'the SARIF is too large: narrow `severity` or split targets across jobs'
                : 'see the message above; the SARIF file was written and can be uploaded again',
        });
      }
      throw err;
    }
    const id = field(res.data, 'id');
    if (typeof id !== 'string' || id === '') {
      throw new GuardError(
        'GITHUB_API_FAILED',
        'code scanning upload answered without an upload id',
      );
    }
    deps.log.info(
      `uploaded SARIF (${part.runs.length} run(s)) for ${params.target.ref}: upload ${id}`,
    );
    ids.push(id);
  }

  const interval = opts.pollIntervalMs ?? 5000;
  const deadline = now() + (opts.pollTimeoutMs ?? 120_000);
  const pending = new Set(ids);
  while (pending.size > 0) {
    for (const id of [...pending]) {
      let data: unknown;
      try {
        data = (await deps.client.request('GET', `${base}/${encodeURIComponent(id)}`)).data;
      } catch (err) {
        // Right after the upload the id can be unknown for a moment.
        if (err instanceof GitHubApiError && err.status === 404) continue;
        throw err;
      }
      const status = field(data, 'processing_status');
      if (status === 'complete') {
        pending.delete(id);
        deps.log.info(`code scanning processed upload ${id}`);
      } else if (status === 'failed') {
        const errors = field(data, 'errors');
        const list = Array.isArray(errors)
          ? errors.filter((e): e is string => typeof e === 'string')
          : [];
        throw new GuardError(
          'GITHUB_API_FAILED',
          `code scanning could not process upload ${id}${list.length ? `: ${list.join('; ')}` : ''}`,
          {
            remedy:
              'validate the SARIF file with the SARIF multitool (--rule-kind "Sarif;Gh") and report the errors',
          },
        );
      }
    }
    if (pending.size === 0) break;
    if (now() >= deadline) {
      deps.log.warning(
        `code scanning is still processing upload(s) ${[...pending].join(', ')}; results will appear when it finishes`,
      );
      break;
    }
    await sleep(interval);
  }
  return { kind: 'uploaded', ids, pending: [...pending] };
}
