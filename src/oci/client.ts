/**
 * A small OCI distribution client: manifests, blobs (monolithic and chunked upload, existence
 * check, cross-repository mount), tags and referrers. Basic and token auth from the registry's
 * challenge; retries with backoff on 429/5xx honouring `Retry-After`.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 */
import { GuardError } from '../errors.js';
import { parseChallenge, parseRetryAfter, type Challenge } from './challenge.js';
import type { CredentialSource, Credentials } from './credentials.js';
import { MANIFEST_TYPES } from './media-types.js';
import { sha256Digest } from './manifest.js';
import { registryApiHost, registryScheme, type ImageReference } from './reference.js';

/** A repository in a registry. */
export type Repository = Pick<ImageReference, 'registry' | 'repository'>;

export interface RetryOptions {
  /** Attempts after the first one. @default 4 */
  readonly retries: number;
  /** First backoff delay; doubles per attempt. @default 500 */
  readonly minDelayMs: number;
  /** Cap for backoff and for `Retry-After`. @default 30000 */
  readonly maxDelayMs: number;
}

export interface RegistryClientOptions {
  readonly credentials: CredentialSource;
  readonly retry?: Partial<RetryOptions>;
  /** Blobs larger than this are uploaded in PATCH chunks of this size. @default 8 MiB */
  readonly chunkSize?: number;
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly userAgent?: string;
}

export interface FetchedManifest {
  readonly digest: string;
  readonly mediaType: string;
  readonly bytes: Buffer;
}

type Action = 'pull' | 'push';

type AuthState =
  { kind: 'anonymous' } | { kind: 'basic'; header: string } | { kind: 'bearer'; header: string };

interface RequestSpec {
  readonly method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH';
  /** `/v2/...` path or an absolute URL (upload locations). */
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly body?: Buffer;
  /** Names the object in errors, e.g. `manifest app:1.0`. */
  readonly what: string;
  /** Extra token scopes (a mount source repository). */
  readonly extraScopes?: readonly string[];
  /** Statuses that are answers, not errors (404 for existence checks). */
  readonly accept?: readonly number[];
}

const DEFAULT_RETRY: RetryOptions = { retries: 4, minDelayMs: 500, maxDelayMs: 30_000 };

/** The token scope for `action` on one repository (a push needs pull too). */
function repositoryScope(repo: Repository, action: Action): string {
  return `repository:${repo.repository}:${action === 'push' ? 'pull,push' : 'pull'}`;
}

function isRetryable(status: number): boolean {
  return status === 429 || status === 408 || status >= 500;
}

async function discard(res: Response): Promise<void> {
  try {
    await res.arrayBuffer();
  } catch {
    // the body is of no use; a broken stream is fine here
  }
}

/** The distribution spec's error body: `{"errors":[{"code","message"}]}`. */
async function errorDetail(res: Response): Promise<string> {
  let text: string;
  try {
    text = await res.text();
  } catch {
    return '';
  }
  try {
    const json: unknown = JSON.parse(text);
    if (
      typeof json === 'object' &&
      json !== null &&
      'errors' in json &&
      Array.isArray(json.errors)
    ) {
      const parts: string[] = [];
      for (const e of json.errors as unknown[]) {
        if (typeof e === 'object' && e !== null) {
          const code = 'code' in e && typeof e.code === 'string' ? e.code : '';
          const message = 'message' in e && typeof e.message === 'string' ? e.message : '';
          parts.push([code, message].filter(Boolean).join(': '));
        }
      }
      return parts.join('; ');
    }
  } catch {
    // not JSON: fall through to the raw text
  }
  return text.slice(0, 200).replace(/\s+/g, ' ').trim();
}

export class RegistryClient {
  private readonly credentials: CredentialSource;
  private readonly retry: RetryOptions;
  private readonly chunkSize: number;
  private readonly fetchFn: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly userAgent: string;
  /** Auth per registry + scope, so a pull token is not reused for a push. */
  private readonly auth = new Map<string, AuthState>();
  private readonly challenges = new Map<string, Challenge>();

  constructor(options: RegistryClientOptions) {
    this.credentials = options.credentials;
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.chunkSize = options.chunkSize ?? 8 * 1024 * 1024;
    this.fetchFn = options.fetch ?? fetch;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.userAgent = options.userAgent ?? 'supply-chain-guard';
  }

  /** Resolve a tag (or verify a digest) to the manifest digest: we never sign a tag. */
  async resolveDigest(ref: ImageReference): Promise<FetchedManifest> {
    const reference = ref.digest ?? ref.tag ?? 'latest';
    const m = await this.getManifest(ref, reference);
    if (!m) {
      throw new GuardError(
        'REGISTRY_FAILED',
        `${ref.registry}/${ref.repository}:${reference}: manifest not found (404)`,
        { remedy: 'check the image reference, and that the image was pushed before this step' },
      );
    }
    return m;
  }

  /** GET a manifest by tag or digest; undefined on 404. The digest is computed from the bytes. */
  async getManifest(
    repo: Repository,
    reference: string,
    accept: readonly string[] = MANIFEST_TYPES,
  ): Promise<FetchedManifest | undefined> {
    const res = await this.request(repo, 'pull', {
      method: 'GET',
      url: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { accept: accept.join(', ') },
      what: `manifest ${reference}`,
      accept: [404],
    });
    if (res.status === 404) {
      await discard(res);
      return undefined;
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    const digest = sha256Digest(bytes);
    if (reference.startsWith('sha256:') && digest !== reference) {
      throw new GuardError(
        'REGISTRY_FAILED',
        `${repo.registry}/${repo.repository}@${reference}: the registry returned a manifest whose digest is ${digest}`,
      );
    }
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
    return { digest, mediaType, bytes };
  }

  /** PUT a manifest under a tag or its digest; returns the digest of the bytes. */
  async putManifest(
    repo: Repository,
    reference: string,
    bytes: Buffer,
    mediaType: string,
  ): Promise<string> {
    const res = await this.request(repo, 'push', {
      method: 'PUT',
      url: `/v2/${repo.repository}/manifests/${reference}`,
      headers: { 'content-type': mediaType },
      body: bytes,
      what: `manifest ${reference}`,
    });
    await discard(res);
    return sha256Digest(bytes);
  }

  async blobExists(repo: Repository, digest: string): Promise<boolean> {
    const res = await this.request(repo, 'pull', {
      method: 'HEAD',
      url: `/v2/${repo.repository}/blobs/${digest}`,
      what: `blob ${digest}`,
      accept: [404],
    });
    await discard(res);
    return res.status === 200;
  }

  async getBlob(repo: Repository, digest: string): Promise<Buffer> {
    const res = await this.request(repo, 'pull', {
      method: 'GET',
      url: `/v2/${repo.repository}/blobs/${digest}`,
      what: `blob ${digest}`,
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    if (sha256Digest(bytes) !== digest) {
      throw new GuardError(
        'REGISTRY_FAILED',
        `${repo.registry}/${repo.repository}: blob ${digest} has other content`,
      );
    }
    return bytes;
  }

  /**
   * Upload a blob unless the repository has it; with `mountFrom` (a repository in the same
   * registry that holds it) try a cross-repository mount first. Returns the digest.
   */
  async pushBlob(
    repo: Repository,
    bytes: Buffer,
    options: { mountFrom?: string } = {},
  ): Promise<string> {
    const digest = sha256Digest(bytes);
    if (await this.blobExists(repo, digest)) return digest;
    const base = `/v2/${repo.repository}/blobs/uploads/`;
    if (options.mountFrom && options.mountFrom !== repo.repository) {
      const res = await this.request(repo, 'push', {
        method: 'POST',
        url: `${base}?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(options.mountFrom)}`,
        what: `blob mount ${digest}`,
        extraScopes: [`repository:${options.mountFrom}:pull`],
      });
      await discard(res);
      if (res.status === 201) return digest;
      // 202: the registry opened a normal upload instead; continue with its location.
      return this.finishUpload(repo, this.location(res, repo), bytes, digest);
    }
    const res = await this.request(repo, 'push', {
      method: 'POST',
      url: base,
      what: `blob upload ${digest}`,
    });
    await discard(res);
    return this.finishUpload(repo, this.location(res, repo), bytes, digest);
  }

  private async finishUpload(
    repo: Repository,
    location: string,
    bytes: Buffer,
    digest: string,
  ): Promise<string> {
    let url = location;
    if (bytes.length > this.chunkSize) {
      for (let offset = 0; offset < bytes.length; offset += this.chunkSize) {
        const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + this.chunkSize));
        const res = await this.request(repo, 'push', {
          method: 'PATCH',
          url,
          headers: {
            'content-type': 'application/octet-stream',
            'content-range': `${offset}-${offset + chunk.length - 1}`,
          },
          body: chunk,
          what: `blob chunk ${digest}@${offset}`,
        });
        await discard(res);
        url = this.location(res, repo);
      }
      const res = await this.request(repo, 'push', {
        method: 'PUT',
        url: withQuery(url, 'digest', digest),
        what: `blob ${digest}`,
      });
      await discard(res);
      return digest;
    }
    const res = await this.request(repo, 'push', {
      method: 'PUT',
      url: withQuery(url, 'digest', digest),
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
      what: `blob ${digest}`,
    });
    await discard(res);
    return digest;
  }

  /**
   * The referrers API (`GET /v2/<repo>/referrers/<digest>`): the index bytes, or undefined when
   * the registry does not implement it (404), in which case callers use the tag fallback.
   */
  async getReferrers(repo: Repository, digest: string): Promise<Buffer | undefined> {
    const res = await this.request(repo, 'pull', {
      method: 'GET',
      url: `/v2/${repo.repository}/referrers/${digest}`,
      headers: { accept: 'application/vnd.oci.image.index.v1+json' },
      what: `referrers of ${digest}`,
      accept: [404, 400, 405],
    });
    if (res.status !== 200 || !(res.headers.get('content-type') ?? '').includes('index')) {
      await discard(res);
      return undefined;
    }
    return Buffer.from(await res.arrayBuffer());
  }

  private baseUrl(repo: Repository): string {
    return `${registryScheme(repo)}://${registryApiHost(repo)}`;
  }

  private location(res: Response, repo: Repository): string {
    const loc = res.headers.get('location');
    if (!loc) {
      throw new GuardError(
        'REGISTRY_FAILED',
        `${repo.registry}/${repo.repository}: upload response without Location`,
      );
    }
    return new URL(loc, this.baseUrl(repo)).toString();
  }

  private scopeKey(repo: Repository, action: Action, extra: readonly string[]): string {
    return [repo.registry, repositoryScope(repo, action), ...extra].join(' ');
  }

  /** Send with auth and retries; throws GuardError for any status not 2xx/3xx or accepted. */
  private async request(repo: Repository, action: Action, spec: RequestSpec): Promise<Response> {
    const extra = spec.extraScopes ?? [];
    const key = this.scopeKey(repo, action, extra);
    const url = spec.url.startsWith('/') ? `${this.baseUrl(repo)}${spec.url}` : spec.url;
    const where = `${repo.registry}/${repo.repository}`;
    let authenticated = false;
    for (let attempt = 0; ; attempt++) {
      const state =
        this.auth.get(key) ?? (await this.authFromKnownChallenge(repo, action, extra, key));
      const headers: Record<string, string> = { 'user-agent': this.userAgent, ...spec.headers };
      if (state.kind !== 'anonymous') headers.authorization = state.header;
      const res = await this.fetchOrBackOff(
        url,
        { method: spec.method, headers, ...(spec.body && { body: spec.body }), redirect: 'follow' },
        attempt,
        (cause) =>
          new GuardError(
            'REGISTRY_FAILED',
            `${where}: ${spec.method} ${spec.what} failed: ${String(cause)}`,
            {
              cause,
              remedy: `check that ${repo.registry} is reachable from the runner`,
            },
          ),
      );
      if (res === undefined) continue;
      if (res.status === 401 && !authenticated) {
        const challenge = parseChallenge(res.headers.get('www-authenticate'));
        await discard(res);
        if (challenge) {
          this.challenges.set(repo.registry, challenge);
          this.auth.set(key, await this.authenticate(repo, action, extra, challenge));
          authenticated = true;
          attempt--;
          continue;
        }
        throw this.statusError(401, where, spec, action, '');
      }
      if (isRetryable(res.status) && attempt < this.retry.retries) {
        const wait = parseRetryAfter(res.headers.get('retry-after'), Date.now());
        await discard(res);
        await this.sleep(Math.min(this.retry.maxDelayMs, wait ?? this.backoff(attempt)));
        continue;
      }
      if (res.ok || (spec.accept ?? []).includes(res.status)) return res;
      throw this.statusError(res.status, where, spec, action, await errorDetail(res));
    }
  }

  private backoff(attempt: number): number {
    return Math.min(this.retry.maxDelayMs, this.retry.minDelayMs * 2 ** attempt);
  }

  /**
   * One fetch. A network error within the retry budget waits out the backoff and gives
   * undefined (try again); past the budget it throws `giveUp(cause)`.
   */
  private async fetchOrBackOff(
    url: string | URL,
    init: RequestInit,
    attempt: number,
    giveUp: (cause: unknown) => GuardError,
  ): Promise<Response | undefined> {
    try {
      return await this.fetchFn(url, init);
    } catch (cause) {
      if (attempt >= this.retry.retries) throw giveUp(cause);
      await this.sleep(this.backoff(attempt));
      return undefined;
    }
  }

  private async authFromKnownChallenge(
    repo: Repository,
    action: Action,
    extra: readonly string[],
    key: string,
  ): Promise<AuthState> {
    // Once a registry has challenged us, authenticate new scopes up front instead of
    // spending a 401 round trip (and, for a PUT, re-sending the body) on each.
    const challenge = this.challenges.get(repo.registry);
    if (!challenge) return { kind: 'anonymous' };
    const state = await this.authenticate(repo, action, extra, challenge);
    this.auth.set(key, state);
    return state;
  }

  private async authenticate(
    repo: Repository,
    action: Action,
    extra: readonly string[],
    challenge: Challenge,
  ): Promise<AuthState> {
    const creds = await this.credentials.get(repo.registry);
    if (challenge.scheme === 'basic') {
      if (!creds) {
        throw new GuardError(
          'REGISTRY_FAILED',
          `${repo.registry}/${repo.repository}: the registry requires a login`,
          {
            remedy:
              'set registry-username and registry-password, or run docker login before this step',
          },
        );
      }
      return { kind: 'basic', header: basicHeader(creds) };
    }
    const scopes = [repositoryScope(repo, action), ...extra];
    const tokenUrl = new URL(challenge.realm);
    if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
    for (const s of scopes) tokenUrl.searchParams.append('scope', s);
    const headers: Record<string, string> = { 'user-agent': this.userAgent };
    if (creds) headers.authorization = basicHeader(creds);
    let res: Response | undefined;
    for (let attempt = 0; ; attempt++) {
      res = await this.fetchOrBackOff(
        tokenUrl,
        { headers },
        attempt,
        (cause) =>
          new GuardError(
            'REGISTRY_FAILED',
            `${repo.registry}: token service ${tokenUrl.host} unreachable`,
            {
              cause,
            },
          ),
      );
      if (res === undefined) continue;
      if (isRetryable(res.status) && attempt < this.retry.retries) {
        await discard(res);
        await this.sleep(this.backoff(attempt));
        continue;
      }
      break;
    }
    if (!res.ok) {
      const detail = await errorDetail(res);
      throw new GuardError(
        'REGISTRY_FAILED',
        `${repo.registry}/${repo.repository}: the token service refused ${action} access (${res.status})${detail ? `: ${detail}` : ''}`,
        { remedy: credentialRemedy(action, creds !== undefined) },
      );
    }
    const json: unknown = await res.json();
    const token =
      typeof json === 'object' && json !== null
        ? 'token' in json && typeof json.token === 'string'
          ? json.token
          : 'access_token' in json && typeof json.access_token === 'string'
            ? json.access_token
            : undefined
        : undefined;
    if (!token)
      throw new GuardError('REGISTRY_FAILED', `${repo.registry}: token response without a token`);
    return { kind: 'bearer', header: `Bearer ${token}` };
  }

  private statusError(
    status: number,
    where: string,
    spec: RequestSpec,
    action: Action,
    detail: string,
  ): GuardError {
    const suffix = detail ? `: ${detail}` : '';
    switch (status) {
      case 401:
        return new GuardError(
          'REGISTRY_FAILED',
          `${where}: ${spec.what}: authentication failed (401)${suffix}`,
          {
            remedy:
              'check registry-username / registry-password (or the docker login) for this registry',
          },
        );
      case 403:
        return new GuardError(
          'REGISTRY_FAILED',
          `${where}: ${spec.what}: ${action} denied (403)${suffix}`,
          {
            remedy:
              action === 'push'
                ? 'the credentials need write access: on GHCR give the job `packages: write`'
                : 'the credentials need read access to this repository',
          },
        );
      case 404:
        return new GuardError(
          'REGISTRY_FAILED',
          `${where}: ${spec.what}: not found (404)${suffix}`,
          {
            remedy: 'check the image reference and that the repository exists',
          },
        );
      default:
        return new GuardError(
          'REGISTRY_FAILED',
          `${where}: ${spec.method} ${spec.what}: HTTP ${status}${suffix}`,
        );
    }
  }
}

function basicHeader(c: Credentials): string {
  return `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}`;
}

function credentialRemedy(action: Action, hadCredentials: boolean): string {
  if (!hadCredentials)
    return 'set registry-username and registry-password, or run docker login before this step';
  return action === 'push'
    ? 'check the credentials; they need write access (on GHCR: `packages: write`)'
    : 'check the credentials for this registry';
}

function withQuery(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}
