/**
 * Registry credentials: explicit inputs first, else docker's `config.json` (`auths`,
 * `credHelpers`, `credsStore`), the way `docker login` leaves them.
 * https://github.com/docker/cli/blob/master/cli/config/configfile/file.go
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { GuardError } from '../errors.js';
import { isJsonObject } from '../json.js';
import { DOCKER_HUB } from './reference.js';

export interface Credentials {
  readonly username: string;
  /** A password or, with username `<token>`, an identity (refresh) token. */
  readonly password: string;
}

/** Looks credentials up for a registry host (`ghcr.io`, `localhost:5000`, `docker.io`). */
export interface CredentialSource {
  get(registry: string): Promise<Credentials | undefined>;
}

/** Runs `docker-credential-<name> get` with the server URL on stdin; returns its stdout. */
export type HelperRunner = (helper: string, serverUrl: string) => Promise<string>;

const DOCKER_HUB_KEYS = [
  'https://index.docker.io/v1/',
  'index.docker.io',
  'docker.io',
  'registry-1.docker.io',
];

/** The keys a config may use for a registry: bare host, with scheme, with `/v1/`. */
export function configKeys(registry: string): string[] {
  if (registry === DOCKER_HUB) return DOCKER_HUB_KEYS;
  return [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`];
}

/** Fixed credentials (the `registry-username` / `registry-password` inputs) for every registry. */
export function staticCredentials(username: string, password: string): CredentialSource {
  return { get: () => Promise.resolve({ username, password }) };
}

/** The default helper runner: execFile without a shell, the URL on stdin, 30 s timeout. */
export const runCredentialHelper: HelperRunner = (helper, serverUrl) =>
  new Promise((resolve, reject) => {
    const child = execFile(
      `docker-credential-${helper}`,
      ['get'],
      { timeout: 30_000, maxBuffer: 1 << 20 },
      (err, stdout) => (err ? reject(err) : resolve(stdout)),
    );
    child.stdin?.end(serverUrl);
  });

interface DockerConfig {
  auths: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string }
  >;
  credHelpers: Record<string, string>;
  credsStore?: string;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Validate the parts of config.json we use; unknown keys are ignored. */
export function parseDockerConfig(text: string, file: string): DockerConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GuardError('REGISTRY_FAILED', `${file}: not valid JSON`, {
      cause,
      remedy:
        'fix or remove the docker config file, or set registry-username and registry-password',
    });
  }
  const out: DockerConfig = { auths: {}, credHelpers: {} };
  if (!isJsonObject(json)) return out;
  if (isJsonObject(json.auths)) {
    for (const [key, entry] of Object.entries(json.auths)) {
      if (!isJsonObject(entry)) continue;
      const auth = str(entry.auth);
      const username = str(entry.username);
      const password = str(entry.password);
      const identitytoken = str(entry.identitytoken);
      out.auths[key] = {
        ...(auth && { auth }),
        ...(username && { username }),
        ...(password && { password }),
        ...(identitytoken && { identitytoken }),
      };
    }
  }
  if (isJsonObject(json.credHelpers)) {
    for (const [key, helper] of Object.entries(json.credHelpers)) {
      const h = str(helper);
      if (h) out.credHelpers[key] = h;
    }
  }
  const store = str(json.credsStore);
  if (store) out.credsStore = store;
  return out;
}

function fromAuthEntry(entry: DockerConfig['auths'][string]): Credentials | undefined {
  if (entry.identitytoken) return { username: '<token>', password: entry.identitytoken };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
  }
  if (entry.username && entry.password)
    return { username: entry.username, password: entry.password };
  return undefined;
}

function parseHelperOutput(text: string, helper: string): Credentials {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new GuardError(
      'REGISTRY_FAILED',
      `docker-credential-${helper} printed something that is not JSON`,
      {
        cause,
      },
    );
  }
  const username = isJsonObject(json) ? str(json.Username) : undefined;
  const secret = isJsonObject(json) ? str(json.Secret) : undefined;
  if (!username || !secret) {
    throw new GuardError(
      'REGISTRY_FAILED',
      `docker-credential-${helper} returned no Username/Secret`,
    );
  }
  return { username, password: secret };
}

/**
 * Credentials from `<configDir>/config.json`. A missing file means anonymous access; a
 * credential helper that fails (e.g. "credentials not found") also falls back to anonymous.
 */
export function dockerConfigCredentials(options: {
  configDir: string;
  runHelper?: HelperRunner;
}): CredentialSource {
  const file = path.join(options.configDir, 'config.json');
  const runHelper = options.runHelper ?? runCredentialHelper;
  let loaded: Promise<DockerConfig | undefined> | undefined;
  const load = async (): Promise<DockerConfig | undefined> => {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    return parseDockerConfig(text, file);
  };
  return {
    async get(registry) {
      loaded ??= load();
      const config = await loaded;
      if (!config) return undefined;
      const keys = configKeys(registry);
      const helper = keys.map((k) => config.credHelpers[k]).find((h) => h !== undefined);
      if (helper) {
        const serverUrl = registry === DOCKER_HUB ? (DOCKER_HUB_KEYS[0] ?? registry) : registry;
        try {
          return parseHelperOutput(await runHelper(helper, serverUrl), helper);
        } catch {
          return undefined;
        }
      }
      for (const key of keys) {
        const entry = config.auths[key];
        const creds = entry && fromAuthEntry(entry);
        if (creds) return creds;
      }
      if (config.credsStore) {
        const serverUrl = registry === DOCKER_HUB ? (DOCKER_HUB_KEYS[0] ?? registry) : registry;
        try {
          return parseHelperOutput(
            await runHelper(config.credsStore, serverUrl),
            config.credsStore,
          );
        } catch {
          return undefined;
        }
      }
      return undefined;
    },
  };
}

/** The first source that has credentials wins. */
export function chainCredentials(...sources: CredentialSource[]): CredentialSource {
  return {
    async get(registry) {
      for (const s of sources) {
        const c = await s.get(registry);
        if (c) return c;
      }
      return undefined;
    },
  };
}
