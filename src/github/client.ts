/**
 * A small GitHub REST client over fetch: JSON in and out, the API version header, retries
 * with backoff on 5xx, 429 and network errors (the operations we retry are safe to repeat),
 * and errors that carry the status and GitHub's message but never the token.
 */
import { GuardError } from '../errors.js';
import { isJsonObject } from '../json.js';

export const API_VERSION = '2022-11-28';

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string | number>>;
  readonly body?: unknown;
  /** Retry 5xx/429/network failures. @default true */
  readonly retry?: boolean;
}

export interface ApiResponse {
  readonly status: number;
  readonly data: unknown;
  readonly headers: Headers;
}

/** The one-method interface publishers take, so tests can hand in a client for a local server. */
export interface GitHubClient {
  request(method: HttpMethod, path: string, opts?: RequestOptions): Promise<ApiResponse>;
}

export interface ClientOptions {
  /** `GITHUB_API_URL`, e.g. `https://api.github.com`. */
  readonly baseUrl: string;
  readonly token: string;
  readonly userAgent?: string;
  /** Attempts in all for a retryable failure. @default 4 */
  readonly attempts?: number;
  /** First backoff delay; doubles each attempt. @default 1000 */
  readonly retryDelayMs?: number;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
  /** @default a timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A non-2xx answer: the status, GitHub's message and the documentation link. */
export class GitHubApiError extends GuardError {
  readonly status: number;
  readonly method: HttpMethod;
  readonly path: string;
  readonly apiMessage: string;

  constructor(
    method: HttpMethod,
    path: string,
    status: number,
    apiMessage: string,
    remedy?: string,
  ) {
    super('GITHUB_API_FAILED', `GitHub API ${method} ${path} answered ${status}: ${apiMessage}`, {
      ...(remedy !== undefined && { remedy }),
    });
    this.name = 'GitHubApiError';
    this.status = status;
    this.method = method;
    this.path = path;
    this.apiMessage = apiMessage;
  }
}

function apiMessageOf(data: unknown, fallback: string): string {
  if (typeof data === 'object' && data !== null) {
    const rec = data as Record<string, unknown>;
    const parts: string[] = [];
    if (typeof rec['message'] === 'string') parts.push(rec['message']);
    if (Array.isArray(rec['errors'])) {
      for (const e of rec['errors'].slice(0, 3)) {
        if (typeof e === 'string') parts.push(e);
        else if (typeof e === 'object' && e !== null) {
          const m =
            (e as Record<string, unknown>)['message'] ?? (e as Record<string, unknown>)['code'];
          if (typeof m === 'string') parts.push(m);
        }
      }
    }
    if (parts.length > 0) return parts.join('; ');
  }
  return fallback;
}

function retryable(status: number): boolean {
  return status >= 500 || status === 429;
}

/** Seconds from `retry-after`, capped so a hostile header cannot stall the job. */
function retryAfterMs(headers: Headers): number | undefined {
  const v = headers.get('retry-after');
  if (v === null) return undefined;
  const s = Number(v);
  return Number.isFinite(s) && s >= 0 ? Math.min(s, 60) * 1000 : undefined;
}

export function createGitHubClient(opts: ClientOptions): GitHubClient {
  const doFetch = opts.fetch ?? globalThis.fetch;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempts = Math.max(1, opts.attempts ?? 4);
  const delay = opts.retryDelayMs ?? 1000;
  const base = opts.baseUrl.replace(/\/+$/, '');

  return {
    async request(method, path, ro = {}) {
      const url = new URL(base + path);
      for (const [k, v] of Object.entries(ro.query ?? {})) url.searchParams.set(k, String(v));
      const headers: Record<string, string> = {
        accept: 'application/vnd.github+json',
        authorization: `Bearer ${opts.token}`,
        'x-github-api-version': API_VERSION,
        'user-agent': opts.userAgent ?? 'supply-chain-guard',
      };
      if (ro.body !== undefined) headers['content-type'] = 'application/json';
      const body = ro.body === undefined ? undefined : JSON.stringify(ro.body);
      const maxAttempts = ro.retry === false ? 1 : attempts;
      let lastError: unknown;
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        let res: Response;
        try {
          res = await doFetch(url, { method, headers, ...(body !== undefined && { body }) });
        } catch (err) {
          lastError = err;
          if (attempt < maxAttempts) {
            await sleep(delay * 2 ** (attempt - 1));
            continue;
          }
          throw new GuardError(
            'GITHUB_API_FAILED',
            `GitHub API ${method} ${path}: request failed`,
            {
              cause: err,
              remedy: `check that ${base} is reachable from the runner`,
            },
          );
        }
        const text = await res.text();
        let data: unknown = undefined;
        if (text !== '') {
          try {
            data = JSON.parse(text);
          } catch {
            data = text;
          }
        }
        if (res.ok) return { status: res.status, data, headers: res.headers };
        const error = new GitHubApiError(
          method,
          path,
          res.status,
          apiMessageOf(data, res.statusText),
        );
        if (retryable(res.status) && attempt < maxAttempts) {
          lastError = error;
          await sleep(retryAfterMs(res.headers) ?? delay * 2 ** (attempt - 1));
          continue;
        }
        throw error;
      }
      throw lastError;
    },
  };
}

/** A field of a JSON object, checked at runtime (API answers are untrusted input too). */
export function field(data: unknown, key: string): unknown {
  return isJsonObject(data) ? data[key] : undefined;
}
