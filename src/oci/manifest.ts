/**
 * OCI manifest and index shapes, validated from JSON (only the fields we read or write).
 * https://github.com/opencontainers/image-spec/blob/main/manifest.md
 */
import { createHash } from 'node:crypto';
import { GuardError } from '../errors.js';
import { isJsonObject } from '../json.js';

export interface Descriptor {
  readonly mediaType: string;
  readonly digest: string;
  readonly size: number;
  readonly artifactType?: string;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageManifest {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly artifactType?: string;
  readonly config: Descriptor;
  readonly layers: readonly Descriptor[];
  readonly subject?: Descriptor;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface ImageIndex {
  readonly schemaVersion: 2;
  readonly mediaType: string;
  readonly manifests: readonly Descriptor[];
  readonly annotations?: Readonly<Record<string, string>>;
}

export function sha256Digest(bytes: Uint8Array | string): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function bad(what: string, message: string): GuardError {
  return new GuardError('REGISTRY_FAILED', `${what}: ${message}`);
}

function toAnnotations(v: unknown, what: string): Record<string, string> | undefined {
  if (v === undefined) return undefined;
  if (!isJsonObject(v)) throw bad(what, 'annotations is not an object');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (typeof val !== 'string') throw bad(what, `annotation ${k} is not a string`);
    out[k] = val;
  }
  return out;
}

export function toDescriptor(v: unknown, what: string): Descriptor {
  if (!isJsonObject(v)) throw bad(what, 'descriptor is not an object');
  const { mediaType, digest, size, artifactType } = v;
  if (typeof mediaType !== 'string') throw bad(what, 'descriptor without mediaType');
  if (typeof digest !== 'string' || !/^sha256:[a-f0-9]{64}$/.test(digest)) {
    throw bad(what, 'descriptor without a sha256 digest');
  }
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw bad(what, 'descriptor without a size');
  }
  const annotations = toAnnotations(v.annotations, what);
  return {
    mediaType,
    digest,
    size,
    ...(typeof artifactType === 'string' && { artifactType }),
    ...(annotations && { annotations }),
  };
}

function parseJson(bytes: Uint8Array, what: string): Record<string, unknown> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (cause) {
    throw new GuardError('REGISTRY_FAILED', `${what}: not JSON`, { cause });
  }
  if (!isJsonObject(json)) throw bad(what, 'not a JSON object');
  return json;
}

/** Parse an image manifest; `what` names it (registry/repo:ref) in errors. */
export function parseImageManifest(
  bytes: Uint8Array,
  what: string,
  mediaTypeHeader?: string,
): ImageManifest {
  const json = parseJson(bytes, what);
  if (json.schemaVersion !== 2) throw bad(what, 'schemaVersion is not 2');
  if (!Array.isArray(json.layers)) throw bad(what, 'not an image manifest (no layers)');
  const annotations = toAnnotations(json.annotations, what);
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : (mediaTypeHeader ?? '');
  return {
    schemaVersion: 2,
    mediaType,
    ...(typeof json.artifactType === 'string' && { artifactType: json.artifactType }),
    config: toDescriptor(json.config, `${what} config`),
    layers: json.layers.map((l, i) => toDescriptor(l, `${what} layer ${i}`)),
    ...(json.subject !== undefined && { subject: toDescriptor(json.subject, `${what} subject`) }),
    ...(annotations && { annotations }),
  };
}

export function parseImageIndex(
  bytes: Uint8Array,
  what: string,
  mediaTypeHeader?: string,
): ImageIndex {
  const json = parseJson(bytes, what);
  if (json.schemaVersion !== 2) throw bad(what, 'schemaVersion is not 2');
  if (!Array.isArray(json.manifests)) throw bad(what, 'not an image index (no manifests)');
  const annotations = toAnnotations(json.annotations, what);
  const mediaType = typeof json.mediaType === 'string' ? json.mediaType : (mediaTypeHeader ?? '');
  return {
    schemaVersion: 2,
    mediaType,
    manifests: json.manifests.map((m, i) => toDescriptor(m, `${what} manifest ${i}`)),
    ...(annotations && { annotations }),
  };
}

/** Serialise the way we push (compact JSON): the bytes whose digest the registry stores. */
export function serialize(manifest: ImageManifest | ImageIndex): Buffer {
  return Buffer.from(JSON.stringify(manifest));
}
