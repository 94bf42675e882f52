/**
 * The GitHub Actions OIDC token for Sigstore (audience `sigstore`). Without `id-token: write`
 * the runner sets no request URL/token: `requireIdTokenAccess` fails before any work with an
 * error that names the permission.
 * https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect
 */
import { GuardError } from '../errors.js';

export const SIGSTORE_AUDIENCE = 'sigstore';

export interface IdTokenEnvironment {
  /** ACTIONS_ID_TOKEN_REQUEST_URL */
  readonly idTokenRequestUrl?: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN (a secret: never logged) */
  readonly idTokenRequestToken?: string;
}

/** One-method interface, the shape @sigstore/sign's FulcioSigner expects. */
export interface IdentityProvider {
  getToken(): Promise<string>;
}

const PERMISSION_REMEDY =
  'add `permissions: id-token: write` to the job (and `packages: write` to push signatures to GHCR); ' +
  'pull_request runs from forks never get an OIDC token';

/** Preflight: throw before any work when the job cannot get an OIDC token. */
export function requireIdTokenAccess(
  env: IdTokenEnvironment,
  input = 'sign',
): { url: string; token: string } {
  if (!env.idTokenRequestUrl || !env.idTokenRequestToken) {
    throw new GuardError(
      'SIGNING_FAILED',
      `${input}: keyless signing needs a GitHub OIDC token, but this job has no \`id-token: write\` permission`,
      { remedy: PERMISSION_REMEDY },
    );
  }
  return { url: env.idTokenRequestUrl, token: env.idTokenRequestToken };
}

/** Fetches (and caches for the run) the Actions OIDC token with audience `sigstore`. */
export function githubOidcProvider(
  env: IdTokenEnvironment,
  options: { fetch?: typeof fetch; retries?: number; sleep?: (ms: number) => Promise<void> } = {},
): IdentityProvider {
  const { url, token } = requireIdTokenAccess(env);
  const fetchFn = options.fetch ?? fetch;
  const retries = options.retries ?? 3;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let cached: Promise<string> | undefined;
  const request = async (): Promise<string> => {
    const u = new URL(url);
    u.searchParams.set('audience', SIGSTORE_AUDIENCE);
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        res = await fetchFn(u, {
          headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
        });
      } catch (cause) {
        if (attempt < retries) {
          await sleep(500 * 2 ** attempt);
          continue;
        }
        throw new GuardError(
          'SIGNING_FAILED',
          `cannot reach the Actions OIDC token service (${u.host})`,
          { cause },
        );
      }
      if ((res.status >= 500 || res.status === 429) && attempt < retries) {
        await res.arrayBuffer().catch(() => undefined);
        await sleep(500 * 2 ** attempt);
        continue;
      }
      if (!res.ok) {
        throw new GuardError(
          'SIGNING_FAILED',
          `the Actions OIDC token service answered ${res.status}`,
          {
            remedy: res.status === 401 || res.status === 403 ? PERMISSION_REMEDY : 'retry the job',
          },
        );
      }
      const json: unknown = await res.json();
      const value =
        typeof json === 'object' && json !== null && 'value' in json ? json.value : undefined;
      if (typeof value !== 'string' || value.split('.').length !== 3) {
        throw new GuardError('SIGNING_FAILED', 'the Actions OIDC token service returned no token');
      }
      return value;
    }
  };
  return {
    getToken() {
      cached ??= request().catch((err: unknown) => {
        cached = undefined;
        throw err;
      });
      return cached;
    },
  };
}
