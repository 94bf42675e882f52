/**
 * The sticky PR comment: one per `comment-key`, found by a hidden marker and updated in
 * place. Two runs that race (a re-run, two matrix legs with the same key) both create, both
 * list again, keep the oldest and delete the rest, so one comment remains.
 * API: issues comments (`/repos/{owner}/{repo}/issues/{n}/comments`, `/issues/comments/{id}`).
 */
import { GuardError } from '../errors.js';
import { COMMENT_LIMIT } from '../render/markdown.js';
import { GitHubApiError, field, type GitHubClient } from './client.js';
import type { Logger } from './code-scanning.js';

export interface CommentDeps {
  readonly client: GitHubClient;
  readonly log: Logger;
}

export interface StickyCommentParams {
  readonly owner: string;
  readonly repo: string;
  readonly issueNumber: number;
  /** `comment-key`: keeps matrix legs' comments apart. */
  readonly key: string;
  /** The rendered comment, without the marker. */
  readonly body: string;
  /** Used when GitHub rejects `body` (422, e.g. too long). */
  readonly fallbackBody?: string;
}

export type CommentOutcome =
  | {
      readonly kind: 'created' | 'updated';
      readonly id: number;
      readonly url?: string;
      /** Duplicates (from a race or an older version) deleted on the way. */
      readonly removed: number;
    }
  | { readonly kind: 'skipped'; readonly reason: string };

export const COMMENT_PERMISSION_HINT =
  'the job needs `permissions: pull-requests: write` (pull requests from forks get a read-only token); ' +
  'the job summary has the full report';

/** The hidden first line that identifies our comment for one key. */
export function commentMarker(key: string): string {
  // encodeURIComponent keeps `-->` and newlines out of the HTML comment.
  return `<!-- supply-chain-guard:comment key=${encodeURIComponent(key)} -->`;
}

/** The PR number of a `pull_request*` event or an `issue_comment` on a PR. */
export function pullRequestNumber(
  eventName: string | undefined,
  payload: unknown,
): number | undefined {
  let n: unknown;
  if (
    eventName === 'pull_request' ||
    eventName === 'pull_request_target' ||
    eventName === 'pull_request_review'
  ) {
    n = field(field(payload, 'pull_request'), 'number');
  } else if (
    eventName === 'issue_comment' &&
    field(field(payload, 'issue'), 'pull_request') !== undefined
  ) {
    n = field(field(payload, 'issue'), 'number');
  }
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : undefined;
}

interface ExistingComment {
  readonly id: number;
}

const PER_PAGE = 100;
const MAX_PAGES = 50;

async function listMarked(
  deps: CommentDeps,
  p: StickyCommentParams,
  marker: string,
): Promise<ExistingComment[]> {
  const path = `/repos/${encodeURIComponent(p.owner)}/${encodeURIComponent(p.repo)}/issues/${p.issueNumber}/comments`;
  const found: ExistingComment[] = [];
  for (let page = 1; page <= MAX_PAGES; page++) {
    const res = await deps.client.request('GET', path, { query: { per_page: PER_PAGE, page } });
    if (!Array.isArray(res.data)) {
      throw new GuardError(
        'GITHUB_API_FAILED',
        `GET ${path} did not answer with a list of comments`,
      );
    }
    for (const c of res.data) {
      const id = field(c, 'id');
      const body = field(c, 'body');
      if (typeof id === 'number' && typeof body === 'string' && body.startsWith(marker))
        found.push({ id });
    }
    if (res.data.length < PER_PAGE) break;
  }
  return found.sort((a, b) => a.id - b.id);
}

function withMarker(marker: string, body: string): string {
  return `${marker}\n${body}`;
}

export async function upsertStickyComment(
  deps: CommentDeps,
  p: StickyCommentParams,
): Promise<CommentOutcome> {
  const marker = commentMarker(p.key);
  const repoPath = `/repos/${encodeURIComponent(p.owner)}/${encodeURIComponent(p.repo)}`;
  const full = withMarker(marker, p.body);
  if (full.length > COMMENT_LIMIT) {
    throw new GuardError(
      'INTERNAL',
      `PR comment is ${full.length} characters, over GitHub's ${COMMENT_LIMIT}`,
      {
        remedy: 'render it with renderComment, which trims to the limit',
      },
    );
  }

  /** Create or update; on 422 (rejected body) try once more with the short fallback. */
  const write = async (
    method: 'POST' | 'PATCH',
    path: string,
  ): Promise<{ id: number; url?: string }> => {
    let res;
    try {
      res = await deps.client.request(method, path, { body: { body: full } });
    } catch (err) {
      if (!(err instanceof GitHubApiError) || err.status !== 422 || p.fallbackBody === undefined)
        throw err;
      deps.log.warning(
        `GitHub rejected the PR comment (422: ${err.apiMessage}); posting a short version`,
      );
      res = await deps.client.request(method, path, {
        body: { body: withMarker(marker, p.fallbackBody) },
      });
    }
    const id = field(res.data, 'id');
    const url = field(res.data, 'html_url');
    if (typeof id !== 'number')
      throw new GuardError('GITHUB_API_FAILED', `${method} ${path} answered without a comment id`);
    return { id, ...(typeof url === 'string' && { url }) };
  };

  const remove = async (ids: readonly number[]): Promise<number> => {
    let n = 0;
    for (const id of ids) {
      try {
        await deps.client.request('DELETE', `${repoPath}/issues/comments/${id}`);
        n += 1;
      } catch (err) {
        // The other run of a race may have deleted it already.
        if (!(err instanceof GitHubApiError && err.status === 404)) throw err;
      }
    }
    return n;
  };

  try {
    const existing = await listMarked(deps, p, marker);
    if (existing.length > 0) {
      const [keep, ...extra] = existing;
      const written = await write('PATCH', `${repoPath}/issues/comments/${keep!.id}`);
      const removed = await remove(extra.map((c) => c.id));
      return { kind: 'updated', ...written, removed };
    }
    const created = await write('POST', `${repoPath}/issues/${p.issueNumber}/comments`);
    // Another run may have created one at the same time: keep the oldest, drop the others.
    const after = await listMarked(deps, p, marker);
    const oldest = after[0];
    if (oldest === undefined || after.length === 1)
      return { kind: 'created', ...created, removed: 0 };
    const removed = await remove(after.slice(1).map((c) => c.id));
    if (oldest.id !== created.id) {
      const written = await write('PATCH', `${repoPath}/issues/comments/${oldest.id}`);
      return { kind: 'updated', ...written, removed };
    }
    return { kind: 'created', ...created, removed };
  } catch (err) {
    if (err instanceof GitHubApiError && (err.status === 403 || err.status === 404)) {
      const reason = `PR comment not written (${err.status}: ${err.apiMessage}): ${COMMENT_PERMISSION_HINT}`;
      deps.log.warning(reason);
      return { kind: 'skipped', reason };
    }
    throw err;
  }
}
