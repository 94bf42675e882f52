/**
 * Read-modify-write of a cosign `.sig`/`.att` tag: append our layers to whatever is there,
 * push blobs, config and manifest, then re-read to confirm our layers survived a concurrent
 * writer (registries have no conditional PUT). Retries the cycle when they did not.
 */
import type { Repository, RegistryClient } from '../oci/client.js';
import { GuardError } from '../errors.js';
import { parseImageManifest, serialize, type Descriptor } from '../oci/manifest.js';
import { OCI_MANIFEST } from '../oci/media-types.js';
import {
  ANNOTATION_CERTIFICATE,
  ANNOTATION_SIGNATURE,
  signatureManifest,
  type LegacyLayer,
} from './cosign-legacy.js';

export interface AppendOptions {
  /** Rounds of read-modify-write before giving up. @default 5 */
  readonly maxRounds?: number;
  /** Wait before each confirming re-read; jittered so two writers interleave. */
  readonly confirmDelay?: () => Promise<void>;
}

export interface AppendResult {
  /** Digest of the manifest now at the tag. */
  readonly manifestDigest: string;
  readonly layerCount: number;
}

interface TagState {
  readonly digest?: string;
  readonly layers: readonly Descriptor[];
}

async function readTag(client: RegistryClient, repo: Repository, tag: string): Promise<TagState> {
  const existing = await client.getManifest(repo, tag, [OCI_MANIFEST]);
  if (!existing) return { layers: [] };
  const m = parseImageManifest(existing.bytes, `${repo.registry}/${repo.repository}:${tag}`);
  return { digest: existing.digest, layers: m.layers };
}

/** The layers at a cosign tag (empty when the tag does not exist). */
export async function readTagLayers(
  client: RegistryClient,
  repo: Repository,
  tag: string,
): Promise<Descriptor[]> {
  return [...(await readTag(client, repo, tag)).layers];
}

/** Two signers of the same image share the payload digest: tell layers apart by signature too. */
function layerKey(d: Descriptor): string {
  return `${d.digest}|${d.annotations?.[ANNOTATION_SIGNATURE] ?? ''}|${d.annotations?.[ANNOTATION_CERTIFICATE] ?? ''}`;
}

function contains(layers: readonly Descriptor[], o: LegacyLayer): boolean {
  const key = layerKey(o.descriptor);
  return layers.some((l) => layerKey(l) === key);
}

function hasAll(layers: readonly Descriptor[], ours: readonly LegacyLayer[]): boolean {
  return ours.every((o) => contains(layers, o));
}

function isBlobUnknown(err: unknown): boolean {
  return err instanceof GuardError && /BLOB_UNKNOWN/.test(err.message);
}

const defaultDelay = (): Promise<void> =>
  new Promise((r) => setTimeout(r, 100 + Math.random() * 200));

/** Append `layers` (skipping ones whose digest is already in the tag) and confirm. */
export async function appendToTag(
  client: RegistryClient,
  repo: Repository,
  tag: string,
  layers: readonly LegacyLayer[],
  options: AppendOptions = {},
): Promise<AppendResult> {
  const maxRounds = options.maxRounds ?? 5;
  const delay = options.confirmDelay ?? defaultDelay;
  // Blobs first: a manifest never points at a missing blob, so a reader never trips.
  for (const l of layers) await client.pushBlob(repo, l.blob);
  for (let round = 0; round < maxRounds; round++) {
    const readAt = Date.now();
    const current = await readTag(client, repo, tag);
    if (hasAll(current.layers, layers) && current.digest) {
      if (round === 0) return { manifestDigest: current.digest, layerCount: current.layers.length };
    } else {
      const missing = layers.filter((o) => !contains(current.layers, o));
      const { manifest, config } = signatureManifest([
        ...current.layers,
        ...missing.map((o) => o.descriptor),
      ]);
      await client.pushBlob(repo, config);
      try {
        await client.putManifest(repo, tag, serialize(manifest), OCI_MANIFEST);
      } catch (err) {
        // Two signers of one image upload the same config blob (same payload digest); while
        // the other's upload of it commits, the registry may briefly not know it. Go round
        // again, pushing it anew, rather than fail the signature.
        if (!isBlobUnknown(err) || round === maxRounds - 1) throw err;
        await delay();
        continue;
      }
    }
    // Confirm twice after pauses: a concurrent writer that read before our PUT may still
    // overwrite it, and then we go round again. Its read-to-PUT gap is likely as long as ours
    // (same registry, same load), so each pause lasts at least twice ours.
    const gap = Date.now() - readAt;
    const pause = async (): Promise<void> => {
      await delay();
      if (gap > 50) {
        await new Promise((r) => setTimeout(r, 2 * gap));
      }
    };
    await pause();
    const first = await readTag(client, repo, tag);
    if (!hasAll(first.layers, layers)) continue;
    await pause();
    const second = await readTag(client, repo, tag);
    if (hasAll(second.layers, layers) && second.digest) {
      return { manifestDigest: second.digest, layerCount: second.layers.length };
    }
  }
  throw new GuardError(
    'SIGNING_FAILED',
    `${repo.registry}/${repo.repository}:${tag}: our layers kept being overwritten by concurrent writers`,
    { remedy: 're-run the job; avoid signing the same image from parallel jobs' },
  );
}
