/**
 * cosign's legacy layout (`sha256-<hex>.sig` / `.att` tags), pure: the simple-signing payload,
 * the go-containerregistry config blob, layer annotations and the Rekor bundle annotation.
 * Byte-exact against a real keyless signature (corpus/cosign/legacy-sig-github-actions).
 * https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
 */
import type { Bundle, TransparencyLogEntry } from '@sigstore/bundle';
import { GuardError } from '../errors.js';
import { dig } from '../json.js';
import type { Descriptor, ImageManifest } from '../oci/manifest.js';
import { sha256Digest } from '../oci/manifest.js';
import { OCI_CONFIG, OCI_MANIFEST } from '../oci/media-types.js';
import { digestTagPrefix } from '../oci/reference.js';

export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';
export const ANNOTATION_SIGNATURE = 'dev.cosignproject.cosign/signature';
export const ANNOTATION_CERTIFICATE = 'dev.sigstore.cosign/certificate';
export const ANNOTATION_CHAIN = 'dev.sigstore.cosign/chain';
export const ANNOTATION_BUNDLE = 'dev.sigstore.cosign/bundle';
export const ANNOTATION_PREDICATE_TYPE = 'predicateType';
/** cosign and Kyverno refuse signature manifests with more layers than this. */
export const MAX_LAYERS = 1000;

const ZERO_TIME = '0001-01-01T00:00:00Z';

export function signatureTag(imageDigest: string): string {
  return `${digestTagPrefix(imageDigest)}.sig`;
}

export function attestationTag(imageDigest: string): string {
  return `${digestTagPrefix(imageDigest)}.att`;
}

/** The simple-signing payload cosign signs: `docker-reference` is the repository without tag. */
export function simpleSigningPayload(dockerReference: string, imageDigest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': imageDigest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

/** The config blob go-containerregistry writes for a signature image with these layers. */
export function signatureConfig(layerDigests: readonly string[]): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: '',
      created: ZERO_TIME,
      history: layerDigests.map(() => ({ created: ZERO_TIME })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layerDigests },
      config: {},
    }),
  );
}

/** cosign's `dev.sigstore.cosign/bundle` annotation from a Rekor v1 entry with a SET. */
export function rekorBundleAnnotation(entry: TransparencyLogEntry): string {
  const set = entry.inclusionPromise?.signedEntryTimestamp;
  if (!set) {
    throw new GuardError(
      'SIGNING_FAILED',
      'the Rekor entry has no signed entry timestamp (Rekor v1 needed)',
      {
        remedy: 'point rekor-url at a Rekor v1 API; the legacy cosign layout needs a SET',
      },
    );
  }
  return JSON.stringify({
    SignedEntryTimestamp: set.toString('base64'),
    Payload: {
      body: entry.canonicalizedBody.toString('base64'),
      integratedTime: Number(entry.integratedTime),
      logIndex: Number(entry.logIndex),
      logID: entry.logId.keyId.toString('hex'),
    },
  });
}

export function derToPem(der: Buffer): string {
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64.replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
}

/** The one tlog entry of a bundle we just made. */
export function tlogEntryOf(bundle: Bundle): TransparencyLogEntry {
  const entry = bundle.verificationMaterial.tlogEntries[0];
  if (!entry) throw new GuardError('SIGNING_FAILED', 'the Sigstore bundle has no Rekor entry');
  return entry;
}

/** Sorted like Go's map marshalling, so our manifests look like cosign's. */
function sortedAnnotations(a: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(a).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
}

export interface LegacyLayer {
  readonly descriptor: Descriptor;
  readonly blob: Buffer;
}

/** A `.sig` layer: the payload blob and its annotations. */
export function signatureLayer(input: {
  payload: Buffer;
  signature: Buffer;
  certificatePem: string;
  chainPem: string;
  tlogEntry: TransparencyLogEntry;
}): LegacyLayer {
  return {
    blob: input.payload,
    descriptor: {
      mediaType: SIMPLE_SIGNING_MEDIA_TYPE,
      size: input.payload.length,
      digest: sha256Digest(input.payload),
      annotations: sortedAnnotations({
        [ANNOTATION_SIGNATURE]: input.signature.toString('base64'),
        [ANNOTATION_CERTIFICATE]: input.certificatePem,
        [ANNOTATION_CHAIN]: input.chainPem,
        [ANNOTATION_BUNDLE]: rekorBundleAnnotation(input.tlogEntry),
      }),
    } as Descriptor,
  };
}

/** An `.att` layer: the DSSE envelope exactly as sent to Rekor. */
export function attestationLayer(input: {
  envelope: Buffer;
  predicateType: string;
  certificatePem: string;
  chainPem: string;
  tlogEntry: TransparencyLogEntry;
}): LegacyLayer {
  return {
    blob: input.envelope,
    descriptor: {
      mediaType: DSSE_MEDIA_TYPE,
      size: input.envelope.length,
      digest: sha256Digest(input.envelope),
      annotations: sortedAnnotations({
        [ANNOTATION_SIGNATURE]: '',
        [ANNOTATION_PREDICATE_TYPE]: input.predicateType,
        [ANNOTATION_CERTIFICATE]: input.certificatePem,
        [ANNOTATION_CHAIN]: input.chainPem,
        [ANNOTATION_BUNDLE]: rekorBundleAnnotation(input.tlogEntry),
      }),
    } as Descriptor,
  };
}

/** Descriptor with cosign's key order (mediaType, size, digest, annotations). */
function ordered(d: Descriptor): Descriptor {
  return {
    mediaType: d.mediaType,
    size: d.size,
    digest: d.digest,
    ...(d.annotations && { annotations: d.annotations }),
  } as Descriptor;
}

/** The signature image manifest for these layers, with its config blob. */
export function signatureManifest(layers: readonly Descriptor[]): {
  manifest: ImageManifest;
  config: Buffer;
} {
  if (layers.length > MAX_LAYERS) {
    throw new GuardError(
      'SIGNING_FAILED',
      `the signature tag would hold ${layers.length} layers (max ${MAX_LAYERS})`,
      {
        remedy: 'prune old signatures from the .sig/.att tag (cosign clean) and re-run',
      },
    );
  }
  const config = signatureConfig(layers.map((l) => l.digest));
  return {
    config,
    manifest: {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: {
        mediaType: OCI_CONFIG,
        size: config.length,
        digest: sha256Digest(config),
      } as Descriptor,
      layers: layers.map(ordered),
    },
  };
}

/**
 * Check, before pushing, that the layer is what Rekor logged (cosign compares these): for a
 * hashedrekord entry the data hash and signature; for a dsse entry the envelope hash.
 */
export function checkRekorEntryMatchesLayer(
  entry: TransparencyLogEntry,
  layer: Buffer,
  signature?: Buffer,
): void {
  let body: unknown;
  try {
    body = JSON.parse(entry.canonicalizedBody.toString('utf8'));
  } catch (cause) {
    throw new GuardError('SIGNING_FAILED', 'the Rekor entry body is not JSON', { cause });
  }
  const layerHex = sha256Digest(layer).slice('sha256:'.length);
  const spec = dig(body, ['spec']);
  const kind = dig(body, ['kind']);
  let logged: unknown;
  if (kind === 'hashedrekord') {
    logged = dig(spec, ['data', 'hash', 'value']);
    if (signature && dig(spec, ['signature', 'content']) !== signature.toString('base64')) {
      throw new GuardError(
        'SIGNING_FAILED',
        'the Rekor entry holds another signature than the one to be pushed',
      );
    }
  } else if (kind === 'dsse') {
    logged = dig(spec, ['envelopeHash', 'value']);
  } else {
    throw new GuardError('SIGNING_FAILED', `unexpected Rekor entry kind ${String(kind)}`);
  }
  if (logged !== layerHex) {
    throw new GuardError(
      'SIGNING_FAILED',
      `the Rekor ${String(kind)} entry records sha256 ${String(logged)} but the layer is ${layerHex}; cosign would reject it`,
      { remedy: 'nothing was pushed; report this as a bug' },
    );
  }
}
