/**
 * Image references as docker and go-containerregistry read them: `[registry/]repo[:tag][@digest]`
 * with Docker Hub defaults (`docker.io`, `library/`, `latest`).
 * Grammar: https://github.com/distribution/reference/blob/main/reference.go
 */
import { ConfigError } from '../errors.js';

export const DOCKER_HUB = 'docker.io';
/** The host Docker Hub's API answers on. */
export const DOCKER_HUB_API_HOST = 'registry-1.docker.io';
/** The name cosign writes into `docker-reference` for Docker Hub (ggcr's `RegistryStr`). */
export const DOCKER_HUB_INDEX = 'index.docker.io';

export interface ImageReference {
  /** Registry as written (Docker Hub normalised to `docker.io`), with port if any. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `library/alpine`. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` when the reference pins a digest. */
  readonly digest?: string;
}

const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`,
);
/** distribution/reference's limit on `registry/repository`. */
const MAX_NAME_LENGTH = 255;
const EXAMPLE = 'use [registry[:port]/]repository[:tag][@sha256:digest], e.g. ghcr.io/org/app:1.0';

/** The first path part is a registry when it looks like a host: a dot, a port, or localhost. */
function looksLikeRegistry(first: string): boolean {
  return (
    first.includes('.') ||
    first.includes(':') ||
    first === 'localhost' ||
    first !== first.toLowerCase()
  );
}

/**
 * Parse an image reference. `input` names the action input in errors (`image` by default).
 * Throws ConfigError naming the input, quoting the reference and the part that is wrong.
 */
export function parseImageReference(value: string, input = 'image'): ImageReference {
  const text = value.trim();
  const fail = (what: string, remedy = EXAMPLE): never => {
    throw new ConfigError(input, `"${text}" ${what}`, remedy);
  };
  if (text === '') {
    throw new ConfigError(input, 'empty image reference', 'use e.g. ghcr.io/org/app:1.0');
  }
  if (/\s/.test(text)) fail('contains whitespace');
  // The reference reaches Trivy's argv: it must never read as a flag.
  if (text.startsWith('-')) fail('cannot start with "-"');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) fail(`has an invalid digest "${digest}"`, 'use @sha256:<64 hex>');
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) fail(`has an invalid tag "${tag}"`, 'tags are [A-Za-z0-9_.-], max 128');
  }
  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && looksLikeRegistry(first)) {
    if (!DOMAIN.test(first)) fail(`has an invalid registry host "${first}"`);
    registry = first;
    parts.shift();
  }
  if (registry === DOCKER_HUB_INDEX || registry === DOCKER_HUB_API_HOST) registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (parts.length === 0 || !parts.every((p) => PATH_COMPONENT.test(p))) {
    fail(
      `has an invalid repository "${repository}"`,
      'repository names are lowercase [a-z0-9] separated by ".", "_", "__", "-" and "/"',
    );
  }
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) {
    fail(`has a name longer than ${MAX_NAME_LENGTH} characters`);
  }
  if (tag === undefined && digest === undefined) tag = 'latest';
  return {
    registry,
    repository,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
  };
}

/** The host:port the registry API answers on. */
export function registryApiHost(ref: Pick<ImageReference, 'registry'>): string {
  return ref.registry === DOCKER_HUB ? DOCKER_HUB_API_HOST : ref.registry;
}

/** Loopback registries speak plain HTTP (like docker's and ggcr's defaults); all others HTTPS. */
export function registryScheme(ref: Pick<ImageReference, 'registry'>): 'http' | 'https' {
  const host = ref.registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]' ? 'http' : 'https';
}

/** `registry/repository` as cosign writes it into the simple-signing payload and statements. */
export function repositoryName(ref: Pick<ImageReference, 'registry' | 'repository'>): string {
  const registry = ref.registry === DOCKER_HUB ? DOCKER_HUB_INDEX : ref.registry;
  return `${registry}/${ref.repository}`;
}

/** Canonical string form: `registry/repo@digest`, else `registry/repo:tag`. */
export function formatReference(ref: ImageReference): string {
  const base = `${ref.registry}/${ref.repository}`;
  if (ref.digest) return `${base}@${ref.digest}`;
  return `${base}:${ref.tag ?? 'latest'}`;
}

/** `sha256:abc…` → `sha256-abc…`, the prefix of cosign's tags. */
export function digestTagPrefix(digest: string): string {
  return digest.replace(':', '-');
}
