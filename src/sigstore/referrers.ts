/**
 * Sigstore bundle referrers (`signature-format: bundle`), the layout cosign v3 and Kyverno's
 * `type: SigstoreBundle` read: one OCI manifest per bundle with `subject` = the image, and,
 * for registries without the referrers API, the fallback index at tag `sha256-<hex>`.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#referrers-tag-schema
 */
import type { Repository, RegistryClient } from '../oci/client.js';
import { GuardError } from '../errors.js';
import {
  parseImageIndex,
  parseImageManifest,
  serialize,
  sha256Digest,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from '../oci/manifest.js';
import {
  EMPTY_JSON,
  EMPTY_JSON_DIGEST,
  OCI_EMPTY,
  OCI_INDEX,
  OCI_MANIFEST,
} from '../oci/media-types.js';
import { digestTagPrefix } from '../oci/reference.js';

export const BUNDLE_V03_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
export const ANNOTATION_CREATED = 'org.opencontainers.image.created';
export const ANNOTATION_BUNDLE_CONTENT = 'dev.sigstore.bundle.content';
export const ANNOTATION_BUNDLE_PREDICATE_TYPE = 'dev.sigstore.bundle.predicateType';

/** The fallback index's tag: the bare digest, `sha256-<hex>`. */
export function referrersTag(imageDigest: string): string {
  return digestTagPrefix(imageDigest);
}

/** The referrer manifest for one bundle (pure). */
export function bundleReferrerManifest(input: {
  bundle: Buffer;
  subject: Descriptor;
  predicateType: string;
  created: Date;
}): ImageManifest {
  return {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    artifactType: BUNDLE_V03_MEDIA_TYPE,
    config: { mediaType: OCI_EMPTY, digest: EMPTY_JSON_DIGEST, size: EMPTY_JSON.length },
    layers: [
      {
        mediaType: BUNDLE_V03_MEDIA_TYPE,
        digest: sha256Digest(input.bundle),
        size: input.bundle.length,
      },
    ],
    subject: {
      mediaType: input.subject.mediaType,
      digest: input.subject.digest,
      size: input.subject.size,
    },
    annotations: {
      [ANNOTATION_BUNDLE_CONTENT]: 'dsse-envelope',
      [ANNOTATION_BUNDLE_PREDICATE_TYPE]: input.predicateType,
      [ANNOTATION_CREATED]: input.created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
    },
  };
}

/** The fallback index entry for a referrer manifest: carries artifactType and annotations. */
export function referrerDescriptor(manifest: ImageManifest, bytes: Buffer): Descriptor {
  return {
    mediaType: OCI_MANIFEST,
    digest: sha256Digest(bytes),
    size: bytes.length,
    ...(manifest.artifactType && { artifactType: manifest.artifactType }),
    ...(manifest.annotations && { annotations: manifest.annotations }),
  };
}

/** The image's referrers: the API when the registry has it, else the fallback tag's index. */
export async function listReferrers(
  client: RegistryClient,
  repo: Repository,
  imageDigest: string,
): Promise<{ descriptors: Descriptor[]; viaApi: boolean }> {
  const api = await client.getReferrers(repo, imageDigest);
  if (api) {
    return {
      descriptors: [...parseImageIndex(api, `referrers of ${imageDigest}`).manifests],
      viaApi: true,
    };
  }
  const fallback = await client.getManifest(repo, referrersTag(imageDigest), [OCI_INDEX]);
  if (!fallback) return { descriptors: [], viaApi: false };
  return {
    descriptors: [
      ...parseImageIndex(fallback.bytes, `${repo.repository}:${referrersTag(imageDigest)}`)
        .manifests,
    ],
    viaApi: false,
  };
}

/** The bundle blob of one referrer manifest (the single bundle layer). */
export async function fetchReferrerBundle(
  client: RegistryClient,
  repo: Repository,
  descriptor: Descriptor,
): Promise<{ manifest: ImageManifest; bundle: Buffer } | undefined> {
  const m = await client.getManifest(repo, descriptor.digest, [OCI_MANIFEST]);
  if (!m) return undefined;
  const manifest = parseImageManifest(m.bytes, `${repo.repository}@${descriptor.digest}`);
  const layer = manifest.layers.find(
    (l) =>
      l.mediaType === BUNDLE_V03_MEDIA_TYPE ||
      l.mediaType.startsWith('application/vnd.dev.sigstore.bundle'),
  );
  if (!layer) return undefined;
  return { manifest, bundle: await client.getBlob(repo, layer.digest) };
}

/**
 * Push one referrer (blobs, manifest by digest) and, without the referrers API, add it to the
 * fallback index by read-modify-write, re-reading to confirm (concurrent writers).
 */
export async function pushReferrer(
  client: RegistryClient,
  repo: Repository,
  imageDigest: string,
  manifest: ImageManifest,
  bundle: Buffer,
  options: { confirmDelay?: () => Promise<void>; maxRounds?: number } = {},
): Promise<string> {
  await client.pushBlob(repo, EMPTY_JSON);
  await client.pushBlob(repo, bundle);
  const bytes = serialize(manifest);
  const digest = await client.putManifest(repo, sha256Digest(bytes), bytes, OCI_MANIFEST);
  if (await client.getReferrers(repo, imageDigest)) return digest;
  const entry = referrerDescriptor(manifest, bytes);
  const tag = referrersTag(imageDigest);
  const delay =
    options.confirmDelay ??
    (() => new Promise<void>((r) => setTimeout(r, 100 + Math.random() * 200)));
  for (let round = 0; round < (options.maxRounds ?? 5); round++) {
    const current = await client.getManifest(repo, tag, [OCI_INDEX]);
    const index: ImageIndex = current
      ? parseImageIndex(current.bytes, `${repo.repository}:${tag}`)
      : { schemaVersion: 2, mediaType: OCI_INDEX, manifests: [] };
    if (!index.manifests.some((d) => d.digest === digest)) {
      const next: ImageIndex = {
        schemaVersion: 2,
        mediaType: OCI_INDEX,
        manifests: [...index.manifests, entry],
      };
      await client.putManifest(repo, tag, serialize(next), OCI_INDEX);
    } else if (round === 0) {
      return digest;
    }
    await delay();
    const check = await client.getManifest(repo, tag, [OCI_INDEX]);
    if (check && parseImageIndex(check.bytes, tag).manifests.some((d) => d.digest === digest)) {
      await delay();
      const again = await client.getManifest(repo, tag, [OCI_INDEX]);
      if (again && parseImageIndex(again.bytes, tag).manifests.some((d) => d.digest === digest))
        return digest;
    }
  }
  throw new GuardError(
    'SIGNING_FAILED',
    `${repo.registry}/${repo.repository}:${tag}: the referrers index kept being overwritten`,
    {
      remedy: 're-run the job; avoid signing the same image from parallel jobs',
    },
  );
}
