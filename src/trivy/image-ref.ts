/**
 * A small, self-contained parser for the `image` and `baseline-image` inputs, so a bad
 * reference fails at config time with the reference in the message rather than deep inside
 * a Trivy run. Grammar: the distribution reference grammar
 * (https://github.com/distribution/reference/blob/main/reference.go), with Docker Hub's
 * defaults (`docker.io`, `library/`, `latest`).
 */
import { ConfigError } from '../errors.js';

export interface ImageRef {
  /** Registry host, with port when given (`docker.io` when none). */
  readonly registry: string;
  /** Repository path within the registry (`library/alpine` for `alpine`). */
  readonly repository: string;
  readonly tag?: string;
  /** `algorithm:hex`. */
  readonly digest?: string;
}

export type ImageRefResult = { ok: true; value: ImageRef } | { ok: false; error: string };

export const DOCKER_HUB = 'docker.io';
const MAX_NAME_LENGTH = 255;

const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN_RE = new RegExp(
  `^(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?$`,
);
const PATH_COMPONENT_RE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DIGEST_RE = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]{32,}$/;
const SHA256_RE = /^sha256:[a-f0-9]{64}$/;

/** The first path part is a registry when it looks like a host: a dot, a port, or localhost. */
function isRegistry(part: string): boolean {
  return (
    part.includes('.') || part.includes(':') || part === 'localhost' || part !== part.toLowerCase()
  );
}

export function parseImageRef(input: string): ImageRefResult {
  const ref = input.trim();
  if (ref === '') return { ok: false, error: 'the reference is empty' };
  if (/\s/.test(ref)) return { ok: false, error: 'a reference cannot contain whitespace' };
  if (ref.startsWith('-')) return { ok: false, error: 'a reference cannot start with "-"' };

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_RE.test(digest)) return { ok: false, error: `"${digest}" is not a digest` };
    if (digest.startsWith('sha256:') && !SHA256_RE.test(digest)) {
      return { ok: false, error: `"${digest}" is not a sha256 digest (64 lowercase hex digits)` };
    }
  }

  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) return { ok: false, error: `"${tag}" is not a valid tag` };
  }

  const parts = rest.split('/');
  let registry = DOCKER_HUB;
  const first = parts[0] ?? '';
  if (parts.length > 1 && isRegistry(first)) {
    if (!DOMAIN_RE.test(first)) return { ok: false, error: `"${first}" is not a registry host` };
    registry = first === 'index.docker.io' ? DOCKER_HUB : first;
    parts.shift();
  }
  if (parts.length === 0 || parts.some((p) => p === '')) {
    return { ok: false, error: 'the repository name is missing or has an empty component' };
  }
  const bad = parts.find((p) => !PATH_COMPONENT_RE.test(p));
  if (bad !== undefined) {
    return {
      ok: false,
      error: `"${bad}" is not a valid repository component (lowercase letters, digits, and . _ - between them)`,
    };
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  if (`${registry}/${repository}`.length > MAX_NAME_LENGTH) {
    return { ok: false, error: `the name is longer than ${MAX_NAME_LENGTH} characters` };
  }
  return {
    ok: true,
    value: {
      registry,
      repository,
      ...(tag !== undefined && { tag }),
      ...(digest !== undefined && { digest }),
    },
  };
}

/** The fully qualified form, e.g. `docker.io/library/alpine:latest`. */
export function formatImageRef(ref: ImageRef): string {
  const tag = ref.tag ?? (ref.digest === undefined ? 'latest' : undefined);
  return `${ref.registry}/${ref.repository}${tag === undefined ? '' : `:${tag}`}${
    ref.digest === undefined ? '' : `@${ref.digest}`
  }`;
}

/** Validates an image input; throws a ConfigError that names the input and the reference. */
export function validateImageInput(input: 'image' | 'baseline-image', value: string): ImageRef {
  const result = parseImageRef(value);
  if (!result.ok) {
    throw new ConfigError(
      input,
      `"${value}" is not an image reference: ${result.error}`,
      'use [registry[:port]/]repository[:tag][@sha256:digest], e.g. ghcr.io/owner/app:1.2.3',
    );
  }
  return result.value;
}
