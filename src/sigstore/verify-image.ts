/**
 * Verify mode: find every signature and attestation of an image in both layouts (legacy
 * `.sig`/`.att` tags and bundle referrers), verify each against the trusted root and the
 * identity policy, and say why each rejected one was rejected.
 */
import { GuardError } from '../errors.js';
import type { RegistryClient, Repository } from '../oci/client.js';
import { parseImageReference, type ImageReference } from '../oci/reference.js';
import { attestationTag, signatureTag } from './cosign-legacy.js';
import { BUNDLE_V03_MEDIA_TYPE, fetchReferrerBundle, listReferrers } from './referrers.js';
import { PREDICATE_COSIGN_SIGN } from './statement.js';
import { readTagLayers } from './tag-append.js';
import { trustMaterialOf, type TrustedRoot } from './trusted-root.js';
import {
  verifyLegacyAttestation,
  verifyLegacySignature,
  verifySigstoreBundle,
  type IdentityPolicy,
  type VerifiedItem,
} from './verify.js';

export type { IdentityPolicy, VerifiedItem };

export interface VerifyImageResult {
  readonly imageDigest: string;
  readonly signatures: readonly VerifiedItem[];
  readonly attestations: readonly VerifiedItem[];
}

export interface VerifyDeps {
  readonly registry: RegistryClient;
  readonly trustedRoot: TrustedRoot;
}

/** Read both layouts of an already-resolved image and verify every item found. */
export async function collectVerifications(
  input: { ref: ImageReference; imageDigest: string; policy?: IdentityPolicy },
  deps: VerifyDeps,
): Promise<VerifyImageResult> {
  const repo: Repository = { registry: input.ref.registry, repository: input.ref.repository };
  const where = `${repo.registry}/${repo.repository}`;
  const trust = trustMaterialOf(deps.trustedRoot);
  const signatures: VerifiedItem[] = [];
  const attestations: VerifiedItem[] = [];
  const ctx = (source: string) => ({
    imageDigest: input.imageDigest,
    trust,
    source,
    ...(input.policy && { policy: input.policy }),
  });

  const sigTag = signatureTag(input.imageDigest);
  for (const layer of await readTagLayers(deps.registry, repo, sigTag)) {
    const blob = await deps.registry.getBlob(repo, layer.digest);
    signatures.push(verifyLegacySignature(layer, blob, ctx(`${where}:${sigTag}`)));
  }
  const attTag = attestationTag(input.imageDigest);
  for (const layer of await readTagLayers(deps.registry, repo, attTag)) {
    const blob = await deps.registry.getBlob(repo, layer.digest);
    attestations.push(verifyLegacyAttestation(layer, blob, ctx(`${where}:${attTag}`)));
  }
  const referrers = await listReferrers(deps.registry, repo, input.imageDigest);
  for (const d of referrers.descriptors) {
    if (d.artifactType !== BUNDLE_V03_MEDIA_TYPE) continue;
    const fetched = await fetchReferrerBundle(deps.registry, repo, d);
    if (!fetched) continue;
    const item = verifySigstoreBundle(fetched.bundle, {
      ...ctx(`${where}@${d.digest}`),
      signaturePredicateType: PREDICATE_COSIGN_SIGN,
    });
    (item.kind === 'signature' ? signatures : attestations).push(item);
  }
  return { imageDigest: input.imageDigest, signatures, attestations };
}

export interface VerifyImageInput {
  readonly image: string;
  /** `verify-identity`: a regexp over the certificate SAN. */
  readonly identity: string;
  /** `verify-issuer`. */
  readonly issuer: string;
  /** Predicate types that must also have a verified attestation (e.g. the SBOM's). */
  readonly requiredPredicateTypes?: readonly string[];
}

export interface VerifyImageOutcome extends VerifyImageResult {
  readonly imageRef: string;
  /** True when a signature matches and every required attestation does too. */
  readonly passed: boolean;
  /** Required predicate types without a verified attestation. */
  readonly missingAttestations: readonly string[];
}

/** Compile `verify-identity`; an invalid pattern is a config error naming the input. */
export function identityPolicy(identity: string, issuer: string): IdentityPolicy {
  try {
    return { subjectRegExp: new RegExp(identity), issuer };
  } catch (cause) {
    throw new GuardError(
      'CONFIG_INVALID',
      `verify-identity: "${identity}" is not a valid regular expression`,
      {
        cause,
        remedy:
          'e.g. ^https://github\\.com/org/repo/\\.github/workflows/release\\.yml@refs/heads/main$',
      },
    );
  }
}

/** Verify mode: the gate passes when a signature (and each required attestation) matches. */
export async function verifyImage(
  input: VerifyImageInput,
  deps: VerifyDeps,
): Promise<VerifyImageOutcome> {
  const policy = identityPolicy(input.identity, input.issuer);
  const ref = parseImageReference(input.image);
  const manifest = await deps.registry.resolveDigest(ref);
  const result = await collectVerifications({ ref, imageDigest: manifest.digest, policy }, deps);
  const signed = result.signatures.some((s) => s.ok);
  const missingAttestations = (input.requiredPredicateTypes ?? []).filter(
    (t) => !result.attestations.some((a) => a.ok && a.predicateType === t),
  );
  return {
    ...result,
    imageRef: `${ref.registry}/${ref.repository}@${manifest.digest}`,
    passed: signed && missingAttestations.length === 0,
    missingAttestations,
  };
}
