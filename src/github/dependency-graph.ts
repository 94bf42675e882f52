/**
 * Submit the dependency snapshot: POST /repos/{owner}/{repo}/dependency-graph/snapshots.
 * https://docs.github.com/en/rest/dependency-graph/dependency-submission
 *
 * An optional phase: a missing permission (403) or a repository without the dependency
 * graph (404) becomes a warning naming what to change; anything else is a GuardError for
 * main.ts to report. Self-contained (fetch with an injectable base URL) so it can be tested
 * against a local server.
 */
import { GuardError } from '../errors.js';
import type { DependencySnapshot } from '../sbom/dependency-snapshot.js';

export interface SubmitSnapshotDeps {
  /** API root, e.g. `https://api.github.com` (GITHUB_API_URL on GHES). */
  readonly apiUrl: string;
  /** `owner/repo` (GITHUB_REPOSITORY). */
  readonly repository: string;
  readonly token: string;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default 30000 */
  readonly timeoutMs?: number;
}

export type SubmitResult =
  | {
      readonly kind: 'submitted';
      readonly id: number;
      /** `SUCCESS` or `ACCEPTED` (accepted: stored, the graph not updated yet). */
      readonly result: string;
      readonly message: string;
    }
  | { readonly kind: 'skipped'; readonly warning: string };

const PERMISSION_HINT =
  'give the job `permissions: contents: write` (the dependency submission API needs it)';

/** The error body's `message`, when GitHub sent one. */
async function errorMessage(res: Response): Promise<string> {
  try {
    const body: unknown = await res.json();
    if (typeof body === 'object' && body !== null && 'message' in body) {
      const m = (body as { message: unknown }).message;
      if (typeof m === 'string') return m;
    }
  } catch {
    // Not JSON: the status says enough.
  }
  return res.statusText;
}

function parseCreated(body: unknown): { id: number; result: string; message: string } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const { id, result, message } = body as Record<string, unknown>;
  if (typeof id !== 'number' || typeof result !== 'string') return undefined;
  return { id, result, message: typeof message === 'string' ? message : '' };
}

export async function submitSnapshot(
  snapshot: DependencySnapshot,
  deps: SubmitSnapshotDeps,
): Promise<SubmitResult> {
  const [owner, repo, ...rest] = deps.repository.split('/');
  if (!owner || !repo || rest.length > 0) {
    throw new GuardError(
      'CONFIG_INVALID',
      `GITHUB_REPOSITORY "${deps.repository}" is not owner/repo`,
    );
  }
  const url = `${deps.apiUrl.replace(/\/+$/, '')}/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/dependency-graph/snapshots`;
  const doFetch = deps.fetch ?? fetch;
  let res: Response;
  try {
    res = await doFetch(url, {
      method: 'POST',
      headers: {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${deps.token}`,
        'content-type': 'application/json',
        'x-github-api-version': '2022-11-28',
        'user-agent': 'supply-chain-guard',
      },
      body: JSON.stringify(snapshot),
      signal: AbortSignal.timeout(deps.timeoutMs ?? 30_000),
    });
  } catch (err) {
    throw new GuardError('GITHUB_API_FAILED', `dependency snapshot: cannot reach ${deps.apiUrl}`, {
      cause: err,
      remedy: 'check the network and GITHUB_API_URL, or set dependency-snapshot: false',
    });
  }
  if (res.status === 201 || res.status === 200) {
    const created = parseCreated(await res.json().catch(() => undefined));
    if (!created) {
      throw new GuardError(
        'GITHUB_API_FAILED',
        'dependency snapshot: GitHub answered without a snapshot id',
      );
    }
    if (created.result === 'INVALID') {
      throw new GuardError(
        'GITHUB_API_FAILED',
        `dependency snapshot rejected as INVALID: ${created.message}`,
        {
          remedy: 'this is a bug in supply-chain-guard: please report it',
        },
      );
    }
    return { kind: 'submitted', ...created };
  }
  const message = await errorMessage(res);
  if (res.status === 403 || res.status === 401) {
    return {
      kind: 'skipped',
      warning: `dependency snapshot not submitted: ${res.status} ${message} — ${PERMISSION_HINT}`,
    };
  }
  if (res.status === 404) {
    return {
      kind: 'skipped',
      warning: `dependency snapshot not submitted: ${res.status} ${message} — the repository's dependency graph must be enabled (Settings → Code security), and the token needs contents: write`,
    };
  }
  throw new GuardError(
    'GITHUB_API_FAILED',
    `dependency snapshot: POST ${new URL(url).pathname} answered ${res.status} ${message}`,
    {
      remedy:
        res.status >= 500
          ? 'GitHub had an error: rerun the job'
          : 'set dependency-snapshot: false and report this',
    },
  );
}
