/**
 * Sign an image and attach attestations in the chosen layout, then verify what the registry
 * now holds. Everything is signed (Fulcio, Rekor) before anything is pushed, so a Sigstore
 * failure leaves the registry untouched; layers are checked against their Rekor entries
 * before the push; re-runs do not duplicate layers.
 */
import { X509Certificate } from 'node:crypto';
import { bundleToJSON, envelopeToJSON, type Bundle } from '@sigstore/bundle';
import type { SigningConfig } from '../config.js';
import { GuardError } from '../errors.js';
import type { RegistryClient, Repository } from '../oci/client.js';
import { sha256Digest, type Descriptor } from '../oci/manifest.js';
import { parseImageReference, repositoryName, type ImageReference } from '../oci/reference.js';
import { escapeRegExp } from '../policy/match.js';
import { certificateIssuer, certificateSubject } from './certificate.js';
import {
  ANNOTATION_CERTIFICATE,
  ANNOTATION_PREDICATE_TYPE,
  attestationLayer,
  attestationTag,
  checkRekorEntryMatchesLayer,
  signatureLayer,
  signatureTag,
  simpleSigningPayload,
  tlogEntryOf,
  type LegacyLayer,
} from './cosign-legacy.js';
import {
  bundleReferrerManifest,
  fetchReferrerBundle,
  listReferrers,
  pushReferrer,
  BUNDLE_V03_MEDIA_TYPE,
  ANNOTATION_BUNDLE_PREDICATE_TYPE,
} from './referrers.js';
import type { RunSigner } from './signer.js';
import {
  IN_TOTO_PAYLOAD_TYPE,
  PREDICATE_COSIGN_SIGN,
  inTotoStatement,
  type Attestation,
} from './statement.js';
import { appendToTag, readTagLayers, type AppendOptions } from './tag-append.js';
import { certificateChainFor, type TrustedRoot } from './trusted-root.js';
import { collectVerifications, type VerifyImageResult } from './verify-image.js';

export interface SignImageInput {
  /** The `image` input: a tag is resolved to a digest first. */
  readonly image: string;
  readonly signing: Pick<SigningConfig, 'format'>;
  readonly attestations: readonly Attestation[];
  /** Time for the bundle format's `org.opencontainers.image.created`. @default now */
  readonly now?: Date;
}

export interface SignImageDeps {
  readonly registry: RegistryClient;
  readonly signer: RunSigner;
  /** Used for the chain annotation and the self-check. */
  readonly trustedRoot: TrustedRoot;
  readonly log: (message: string) => void;
  readonly append?: AppendOptions;
}

export interface SignImageResult {
  /** `sha256:…` of the signed manifest. */
  readonly imageDigest: string;
  /** `registry/repo@sha256:…` */
  readonly imageRef: string;
  /** `registry/repo:sha256-….sig`, or the referrer manifest `registry/repo@sha256:…`. */
  readonly signatureRef: string;
  readonly attestationRefs: readonly string[];
  /** Rekor log index of the image signature (of the existing one on an idempotent re-run). */
  readonly rekorLogIndex?: number;
  /** SAN and issuer of the run's certificate. */
  readonly identity: { readonly subject: string; readonly issuer: string };
  /** Layers/referrers already present from an earlier run and not signed again. */
  readonly reused: number;
  readonly certificateRequests: number;
  /** The self-check: what a verifier finds for our identity. */
  readonly verification: VerifyImageResult;
}

function sameIdentity(pem: string | undefined, subject: string, issuer: string): boolean {
  if (!pem) return false;
  try {
    return certificateSubject(pem) === subject && certificateIssuer(pem) === issuer;
  } catch {
    return false;
  }
}

function messageSignatureOf(bundle: Bundle): Buffer {
  if (bundle.content.$case !== 'messageSignature')
    throw new GuardError('INTERNAL', 'expected a message signature');
  return bundle.content.messageSignature.signature;
}

/** The envelope exactly as sigstore-js sent it to Rekor (the bytes cosign hashes). */
export function envelopeBytes(bundle: Bundle): Buffer {
  if (bundle.content.$case !== 'dsseEnvelope')
    throw new GuardError('INTERNAL', 'expected a DSSE envelope');
  return Buffer.from(JSON.stringify(envelopeToJSON(bundle.content.dsseEnvelope)));
}

/** Sign `image` and attach `attestations`; see the module comment for the guarantees. */
export async function signImage(
  input: SignImageInput,
  deps: SignImageDeps,
): Promise<SignImageResult> {
  const ref = parseImageReference(input.image);
  const manifest = await deps.registry.resolveDigest(ref);
  const imageDigest = manifest.digest;
  const repo: Repository = { registry: ref.registry, repository: ref.repository };
  const where = `${ref.registry}/${ref.repository}`;
  deps.log(`Signing ${where}@${imageDigest}${ref.tag ? ` (tag ${ref.tag})` : ''}`);

  const certificatePem = await deps.signer.certificate();
  const chainPem = certificateChainFor(deps.trustedRoot, certificatePem);
  const subject = certificateSubject(certificatePem);
  const issuer = certificateIssuer(certificatePem);
  deps.log(`Signing identity: ${subject} (issuer ${issuer})`);

  const common = { ref, repo, imageDigest, certificatePem, chainPem, subject, issuer };
  const outcome =
    input.signing.format === 'bundle'
      ? await signBundleFormat(input, deps, {
          ...common,
          subjectDescriptor: {
            mediaType: manifest.mediaType,
            digest: imageDigest,
            size: manifest.bytes.length,
          },
        })
      : await signLegacyFormat(input, deps, common);

  // A concurrent writer that read a tag before our write can still overwrite it after our
  // confirmation; then our layers are simply absent. Put them back (no new signing) and check
  // again, a few times, before calling it a failure.
  let verification = await selfCheck(ref, imageDigest, subject, issuer, deps);
  for (let round = 0; round < SELF_CHECK_REPAIRS && outcome.repair; round++) {
    const absent = absentDigests(outcome.digests, verification);
    if (absent.length === 0) break;
    deps.log(
      `Self-check: ${absent.length} of our layer(s) were overwritten by a concurrent writer; appending again`,
    );
    await outcome.repair();
    verification = await selfCheck(ref, imageDigest, subject, issuer, deps);
  }
  // Each of our digests must have a verifying item (another signer may share a payload digest).
  const all = [...verification.signatures, ...verification.attestations];
  const missing = outcome.digests.filter((d) => !all.some((v) => v.digest === d && v.ok));
  if (missing.length > 0) {
    const reasons = missing
      .map((d) => {
        const found = all.filter((v) => v.digest === d);
        return `${d}: ${found.map((f) => f.reason ?? '').join(', ') || 'not found in the registry'}`;
      })
      .join('; ');
    throw new GuardError(
      'VERIFY_FAILED',
      `self-check after signing ${where}@${imageDigest} failed: ${reasons || 'our signatures are not in the registry'}`,
      {
        remedy:
          'the signatures in the registry would not verify with cosign; re-run, and report it if it persists',
      },
    );
  }
  deps.log(
    `Self-check passed: ${outcome.digests.length} signature(s)/attestation(s) verify for ${subject}`,
  );
  return {
    imageDigest,
    imageRef: `${where}@${imageDigest}`,
    signatureRef: outcome.signatureRef,
    attestationRefs: outcome.attestationRefs,
    ...(outcome.rekorLogIndex !== undefined && { rekorLogIndex: outcome.rekorLogIndex }),
    identity: { subject, issuer },
    reused: outcome.reused,
    certificateRequests: deps.signer.certificateRequests,
    verification,
  };
}

const SELF_CHECK_REPAIRS = 3;

function selfCheck(
  ref: ImageReference,
  imageDigest: string,
  subject: string,
  issuer: string,
  deps: SignImageDeps,
): ReturnType<typeof collectVerifications> {
  return collectVerifications(
    {
      ref,
      imageDigest,
      policy: { subjectRegExp: new RegExp(`^${escapeRegExp(subject)}$`), issuer },
    },
    { registry: deps.registry, trustedRoot: deps.trustedRoot },
  );
}

/** Our digests that the registry does not hold at all (as opposed to holding but rejecting). */
function absentDigests(
  digests: readonly string[],
  v: Awaited<ReturnType<typeof collectVerifications>>,
): string[] {
  const all = [...v.signatures, ...v.attestations];
  return digests.filter((d) => !all.some((x) => x.digest === d));
}

interface Common {
  readonly ref: ImageReference;
  readonly repo: Repository;
  readonly imageDigest: string;
  readonly certificatePem: string;
  readonly chainPem: string;
  readonly subject: string;
  readonly issuer: string;
}

interface Outcome {
  readonly signatureRef: string;
  readonly attestationRefs: string[];
  readonly rekorLogIndex?: number;
  /** Digests of our layers / referrer bundles, for the self-check. */
  readonly digests: string[];
  readonly reused: number;
  /** Append our (already signed) layers again, after a concurrent writer dropped them. */
  readonly repair?: () => Promise<void>;
}

function logIndexOfLegacy(layer: Descriptor): number | undefined {
  const text = layer.annotations?.['dev.sigstore.cosign/bundle'];
  if (!text) return undefined;
  try {
    const v: unknown = JSON.parse(text);
    const idx =
      typeof v === 'object' && v !== null && 'Payload' in v
        ? (v.Payload as { logIndex?: unknown }).logIndex
        : undefined;
    return typeof idx === 'number' ? idx : undefined;
  } catch {
    return undefined;
  }
}

async function signLegacyFormat(
  input: SignImageInput,
  deps: SignImageDeps,
  c: Common,
): Promise<Outcome> {
  const { registry } = deps;
  const where = `${c.repo.registry}/${c.repo.repository}`;
  const referrers = await listReferrers(registry, c.repo, c.imageDigest);
  if (
    referrers.descriptors.some((d) =>
      d.artifactType?.startsWith('application/vnd.dev.sigstore.bundle'),
    )
  ) {
    throw new GuardError(
      'SIGNING_FAILED',
      `${where}@${c.imageDigest} already has Sigstore bundle referrers`,
      {
        remedy:
          'use signature-format: bundle for this image: cosign v3 ignores .sig/.att tags once a bundle referrer exists',
      },
    );
  }
  const dockerReference = repositoryName(c.ref);
  const sigTag = signatureTag(c.imageDigest);
  const attTag = attestationTag(c.imageDigest);
  const payload = simpleSigningPayload(dockerReference, c.imageDigest);
  const payloadDigest = sha256Digest(payload);

  // Idempotence: an identical payload signed by the same identity is already there.
  const existingSig = await readTagLayers(registry, c.repo, sigTag);
  const previous = existingSig.find(
    (l) =>
      l.digest === payloadDigest &&
      sameIdentity(l.annotations?.[ANNOTATION_CERTIFICATE], c.subject, c.issuer),
  );
  const existingAtt =
    input.attestations.length > 0 ? await readTagLayers(registry, c.repo, attTag) : [];

  // 1. Sign everything (nothing pushed yet).
  const sigLayers: LegacyLayer[] = [];
  let rekorLogIndex = previous ? logIndexOfLegacy(previous) : undefined;
  if (!previous) {
    const bundle = await deps.signer.signBlob(payload);
    const entry = tlogEntryOf(bundle);
    const signature = messageSignatureOf(bundle);
    checkRekorEntryMatchesLayer(entry, payload, signature);
    sigLayers.push(
      signatureLayer({
        payload,
        signature,
        certificatePem: c.certificatePem,
        chainPem: c.chainPem,
        tlogEntry: entry,
      }),
    );
    rekorLogIndex = Number(entry.logIndex);
  }
  const attLayers: LegacyLayer[] = [];
  const digests: string[] = [payloadDigest];
  let reused = previous ? 1 : 0;
  for (const att of input.attestations) {
    const statement = inTotoStatement(dockerReference, c.imageDigest, att);
    const same = await findSameAttestation(
      registry,
      c.repo,
      existingAtt,
      att.predicateType,
      statement,
      c,
    );
    if (same) {
      digests.push(same);
      reused++;
      continue;
    }
    const bundle = await deps.signer.signDsse(statement, IN_TOTO_PAYLOAD_TYPE);
    const entry = tlogEntryOf(bundle);
    const envelope = envelopeBytes(bundle);
    checkRekorEntryMatchesLayer(entry, envelope);
    const layer = attestationLayer({
      envelope,
      predicateType: att.predicateType,
      certificatePem: c.certificatePem,
      chainPem: c.chainPem,
      tlogEntry: entry,
    });
    attLayers.push(layer);
    digests.push(layer.descriptor.digest);
  }

  // 2. Push: attestations first, so the signature never appears without them.
  if (attLayers.length > 0) {
    const r = await appendToTag(registry, c.repo, attTag, attLayers, deps.append);
    deps.log(
      `Pushed ${attLayers.length} attestation(s) to ${where}:${attTag} (${r.layerCount} layer(s))`,
    );
  }
  if (sigLayers.length > 0) {
    const r = await appendToTag(registry, c.repo, sigTag, sigLayers, deps.append);
    deps.log(`Pushed the signature to ${where}:${sigTag} (${r.layerCount} layer(s))`);
  } else {
    deps.log(`${where}:${sigTag} already holds this identity's signature; not signing again`);
  }
  return {
    signatureRef: `${where}:${sigTag}`,
    attestationRefs: input.attestations.length > 0 ? [`${where}:${attTag}`] : [],
    ...(rekorLogIndex !== undefined && { rekorLogIndex }),
    digests,
    reused,
    repair: async () => {
      if (attLayers.length > 0) await appendToTag(registry, c.repo, attTag, attLayers, deps.append);
      if (sigLayers.length > 0) await appendToTag(registry, c.repo, sigTag, sigLayers, deps.append);
    },
  };
}

/** An `.att` layer with the same statement and identity: returns its digest. */
async function findSameAttestation(
  registry: RegistryClient,
  repo: Repository,
  layers: readonly Descriptor[],
  predicateType: string,
  statement: Buffer,
  c: Common,
): Promise<string | undefined> {
  for (const l of layers) {
    if (l.annotations?.[ANNOTATION_PREDICATE_TYPE] !== predicateType) continue;
    if (!sameIdentity(l.annotations[ANNOTATION_CERTIFICATE], c.subject, c.issuer)) continue;
    try {
      const env: unknown = JSON.parse((await registry.getBlob(repo, l.digest)).toString('utf8'));
      const payload =
        typeof env === 'object' && env !== null && 'payload' in env ? env.payload : undefined;
      if (typeof payload === 'string' && Buffer.from(payload, 'base64').equals(statement))
        return l.digest;
    } catch {
      // unreadable layer: not ours to reuse
    }
  }
  return undefined;
}

async function signBundleFormat(
  input: SignImageInput,
  deps: SignImageDeps,
  c: Common & { subjectDescriptor: Descriptor },
): Promise<Outcome> {
  const { registry } = deps;
  const where = `${c.repo.registry}/${c.repo.repository}`;
  const dockerReference = repositoryName(c.ref);
  const existing = (await listReferrers(registry, c.repo, c.imageDigest)).descriptors.filter(
    (d) => d.artifactType === BUNDLE_V03_MEDIA_TYPE,
  );
  const wanted: Attestation[] = [
    { predicateType: PREDICATE_COSIGN_SIGN, predicate: {} },
    ...input.attestations,
  ];
  const created = input.now ?? new Date();
  const toPush: {
    manifest: ReturnType<typeof bundleReferrerManifest>;
    bundle: Buffer;
    predicateType: string;
  }[] = [];
  const refs = new Map<string, string>();
  const digests: string[] = [];
  let reused = 0;
  let rekorLogIndex: number | undefined;

  for (const att of wanted) {
    const statement = inTotoStatement(dockerReference, c.imageDigest, att);
    const same = await findSameReferrer(
      registry,
      c.repo,
      existing,
      att.predicateType,
      statement,
      c,
    );
    if (same) {
      refs.set(att.predicateType, `${where}@${same.manifestDigest}`);
      digests.push(same.bundleDigest);
      if (att.predicateType === PREDICATE_COSIGN_SIGN) rekorLogIndex = same.logIndex;
      reused++;
      continue;
    }
    const bundle = await deps.signer.signDsse(statement, IN_TOTO_PAYLOAD_TYPE);
    const entry = tlogEntryOf(bundle);
    checkRekorEntryMatchesLayer(entry, envelopeBytes(bundle));
    const bytes = Buffer.from(JSON.stringify(bundleToJSON(bundle)));
    if (att.predicateType === PREDICATE_COSIGN_SIGN) rekorLogIndex = Number(entry.logIndex);
    toPush.push({
      manifest: bundleReferrerManifest({
        bundle: bytes,
        subject: c.subjectDescriptor,
        predicateType: att.predicateType,
        created,
      }),
      bundle: bytes,
      predicateType: att.predicateType,
    });
    digests.push(sha256Digest(bytes));
  }
  // Attestations first, the signature last (a verifier sees the signature only when all are there).
  const ordered = [
    ...toPush.filter((p) => p.predicateType !== PREDICATE_COSIGN_SIGN),
    ...toPush.filter((p) => p.predicateType === PREDICATE_COSIGN_SIGN),
  ];
  for (const p of ordered) {
    const digest = await pushReferrer(registry, c.repo, c.imageDigest, p.manifest, p.bundle, {
      ...(deps.append?.confirmDelay && { confirmDelay: deps.append.confirmDelay }),
    });
    refs.set(p.predicateType, `${where}@${digest}`);
    deps.log(`Pushed a ${p.predicateType} bundle referrer ${where}@${digest}`);
  }
  return {
    signatureRef: refs.get(PREDICATE_COSIGN_SIGN) ?? '',
    attestationRefs: input.attestations.map((a) => refs.get(a.predicateType) ?? '').filter(Boolean),
    ...(rekorLogIndex !== undefined && { rekorLogIndex }),
    digests,
    reused,
  };
}

async function findSameReferrer(
  registry: RegistryClient,
  repo: Repository,
  existing: readonly Descriptor[],
  predicateType: string,
  statement: Buffer,
  c: Common,
): Promise<{ manifestDigest: string; bundleDigest: string; logIndex?: number } | undefined> {
  for (const d of existing) {
    if (d.annotations?.[ANNOTATION_BUNDLE_PREDICATE_TYPE] !== predicateType) continue;
    const fetched = await fetchReferrerBundle(registry, repo, d);
    if (!fetched) continue;
    try {
      const json: unknown = JSON.parse(fetched.bundle.toString('utf8'));
      const b = json as {
        dsseEnvelope?: { payload?: unknown };
        verificationMaterial?: {
          certificate?: { rawBytes?: unknown };
          tlogEntries?: { logIndex?: unknown }[];
        };
      };
      const payload = b.dsseEnvelope?.payload;
      const raw = b.verificationMaterial?.certificate?.rawBytes;
      if (typeof payload !== 'string' || typeof raw !== 'string') continue;
      if (!Buffer.from(payload, 'base64').equals(statement)) continue;
      const pem = new X509Certificate(Buffer.from(raw, 'base64')).toString();
      if (!sameIdentity(pem, c.subject, c.issuer)) continue;
      const idx = b.verificationMaterial?.tlogEntries?.[0]?.logIndex;
      return {
        manifestDigest: d.digest,
        bundleDigest: sha256Digest(fetched.bundle),
        ...(typeof idx === 'string' && { logIndex: Number(idx) }),
      };
    } catch {
      // not a bundle we can compare: ignore
    }
  }
  return undefined;
}
