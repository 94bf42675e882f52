/**
 * Verification of what is in the registry, the way cosign and Kyverno do it: each legacy
 * `.sig`/`.att` layer or bundle referrer becomes a Sigstore bundle checked by @sigstore/verify
 * against the trusted root (chain, SET / inclusion, signature), plus cosign's own checks
 * (Rekor entry vs layer bytes, payload digest vs image) and the identity policy.
 */
import { X509Certificate, createHash } from 'node:crypto';
import { bundleFromJSON, type Bundle } from '@sigstore/bundle';
import { Verifier, toSignedEntity, type TrustMaterial } from '@sigstore/verify';
import { dig, isJsonObject } from '../json.js';
import { sha256Digest, type Descriptor } from '../oci/manifest.js';
import type { VerifiedRow } from '../render/signing.js';
import { certificateSubject } from './certificate.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_PREDICATE_TYPE,
  ANNOTATION_SIGNATURE,
} from './cosign-legacy.js';
import { IN_TOTO_PAYLOAD_TYPE } from './statement.js';

export const BUNDLE_V01_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle+json;version=0.1';

/** Who must have signed: cosign's `--certificate-identity-regexp` / `--certificate-oidc-issuer`. */
export interface IdentityPolicy {
  /** Matched against the certificate SAN (unanchored, like cosign and Kyverno's subjectRegExp). */
  readonly subjectRegExp: RegExp;
  readonly issuer: string;
}

export interface VerifiedItem extends VerifiedRow {
  /** Digest of the layer (legacy) or referrer manifest (bundle). */
  readonly digest: string;
}

class Rejected extends Error {}

function reject(reason: string): never {
  throw new Rejected(reason);
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return reject(`${what} is not JSON`);
  }
}

function pemToDer(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([^-]+)-----END CERTIFICATE-----/.exec(pem);
  if (!m?.[1]) reject('certificate annotation holds no PEM certificate');
  return Buffer.from(m[1].replace(/\s+/g, ''), 'base64');
}

interface LegacyRekorBundle {
  set: string;
  body: string;
  integratedTime: number;
  logIndex: number;
  logID: string;
}

/** cosign's bundle annotation, validated. */
export function parseRekorBundleAnnotation(text: string | undefined): LegacyRekorBundle {
  if (!text) reject('no Rekor bundle annotation (signed without a transparency log entry)');
  const json = parseJson(text, 'the Rekor bundle annotation');
  const payload = isJsonObject(json) ? json.Payload : undefined;
  if (
    !isJsonObject(json) ||
    typeof json.SignedEntryTimestamp !== 'string' ||
    !isJsonObject(payload)
  ) {
    reject('the Rekor bundle annotation lacks SignedEntryTimestamp/Payload');
  }
  const { body, integratedTime, logIndex, logID } = payload;
  if (
    typeof body !== 'string' ||
    typeof integratedTime !== 'number' ||
    typeof logIndex !== 'number' ||
    typeof logID !== 'string'
  ) {
    reject('the Rekor bundle annotation has a malformed Payload');
  }
  return { set: json.SignedEntryTimestamp, body, integratedTime, logIndex, logID };
}

function rekorBody(rb: LegacyRekorBundle): {
  kind: string;
  apiVersion: string;
  spec: Record<string, unknown>;
} {
  const body = parseJson(Buffer.from(rb.body, 'base64').toString('utf8'), 'the Rekor entry body');
  if (
    !isJsonObject(body) ||
    typeof body.kind !== 'string' ||
    typeof body.apiVersion !== 'string' ||
    !isJsonObject(body.spec)
  ) {
    reject('the Rekor entry body is not a Rekor entry');
  }
  return { kind: body.kind, apiVersion: body.apiVersion, spec: body.spec };
}

function tlogEntryJson(
  rb: LegacyRekorBundle,
  kind: string,
  version: string,
): Record<string, unknown> {
  return {
    logIndex: String(rb.logIndex),
    logId: { keyId: Buffer.from(rb.logID, 'hex').toString('base64') },
    kindVersion: { kind, version },
    integratedTime: String(rb.integratedTime),
    inclusionPromise: { signedEntryTimestamp: rb.set },
    canonicalizedBody: rb.body,
  };
}

function errorReason(err: unknown): string {
  if (err instanceof Rejected) return err.message;
  if (err instanceof Error) {
    const code = 'code' in err && typeof err.code === 'string' ? err.code : '';
    return code ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** @sigstore/verify plus the identity policy; returns the signer's SAN and issuer. */
function verifyBundle(
  bundle: Bundle,
  artifact: Buffer | undefined,
  trust: TrustMaterial,
  policy: IdentityPolicy | undefined,
): { subject: string; issuer: string } {
  const verifier = new Verifier(trust, {
    tlogThreshold: 1,
    ctlogThreshold: 1,
    timestampThreshold: 1,
  });
  const signer = verifier.verify(toSignedEntity(bundle, artifact));
  const subject = signer.identity?.subjectAlternativeName ?? '';
  const issuer = signer.identity?.extensions?.issuer ?? '';
  if (policy) {
    if (issuer !== policy.issuer)
      reject(`issuer "${issuer}" is not "${policy.issuer}" (signed by ${subject})`);
    if (!policy.subjectRegExp.test(subject)) {
      reject(`identity "${subject}" does not match ${String(policy.subjectRegExp)}`);
    }
  }
  return { subject, issuer };
}

/** The signer a certificate names, for a rejected item's report; nothing if unreadable. */
function certificateIdentity(pem: string): { subject?: string } {
  try {
    const subject = certificateSubject(pem);
    return subject ? { subject } : {};
  } catch {
    return {};
  }
}

interface LegacyContext {
  readonly imageDigest: string;
  readonly trust: TrustMaterial;
  readonly policy?: IdentityPolicy;
  /** `registry/repo:tag` the layer came from, for the report. */
  readonly source: string;
}

interface RekorEntry {
  readonly rb: LegacyRekorBundle;
  readonly body: ReturnType<typeof rekorBody>;
}

/** What a layer's own checks hand back: the bundle content to verify and the artifact. */
interface LegacyProof {
  readonly entry: RekorEntry;
  readonly content:
    | { readonly messageSignature: Record<string, unknown> }
    | { readonly dsseEnvelope: Record<string, unknown> };
  readonly artifact?: Buffer;
  readonly predicateType?: string;
}

/**
 * The frame both legacy layer kinds share: the certificate annotation, the layer's own checks
 * (`check`, which reads the Rekor entry through `readEntry` when it gets to it), then
 * @sigstore/verify on a v0.1 bundle assembled from the annotations. Never throws: a failure is
 * an item with the reason, the certificate's signer and the log index when they were read.
 */
function verifyLegacyLayer(
  base: Omit<VerifiedItem, 'ok' | 'reason'>,
  layer: Descriptor,
  ctx: LegacyContext,
  noCertificate: string,
  check: (certPem: string, readEntry: () => RekorEntry) => LegacyProof,
): VerifiedItem {
  const a = layer.annotations ?? {};
  const certPem = a[ANNOTATION_CERTIFICATE];
  let logIndex: number | undefined;
  const readEntry = (): RekorEntry => {
    const rb = parseRekorBundleAnnotation(a[ANNOTATION_BUNDLE]);
    logIndex = rb.logIndex;
    return { rb, body: rekorBody(rb) };
  };
  try {
    if (!certPem) reject(noCertificate);
    const proof = check(certPem, readEntry);
    const { rb, body } = proof.entry;
    const bundle = bundleFromJSON({
      mediaType: BUNDLE_V01_MEDIA_TYPE,
      verificationMaterial: {
        x509CertificateChain: {
          certificates: [{ rawBytes: pemToDer(certPem).toString('base64') }],
        },
        tlogEntries: [tlogEntryJson(rb, body.kind, body.apiVersion)],
      },
      ...proof.content,
    });
    const who = verifyBundle(bundle, proof.artifact, ctx.trust, ctx.policy);
    return {
      ...base,
      ...(proof.predicateType !== undefined && { predicateType: proof.predicateType }),
      subject: who.subject,
      issuer: who.issuer,
      rekorLogIndex: rb.logIndex,
      ok: true,
    };
  } catch (err) {
    return {
      ...base,
      ...(certPem ? certificateIdentity(certPem) : {}),
      ...(logIndex !== undefined && { rekorLogIndex: logIndex }),
      ok: false,
      reason: errorReason(err),
    };
  }
}

/** Verify one `.sig` layer (the simple-signing payload blob and its annotations). */
export function verifyLegacySignature(
  layer: Descriptor,
  payload: Buffer,
  ctx: LegacyContext,
): VerifiedItem {
  const a = layer.annotations ?? {};
  const base = {
    kind: 'signature' as const,
    format: 'legacy' as const,
    source: ctx.source,
    digest: layer.digest,
  };
  const noCertificate = 'no certificate annotation (a key-based signature, not keyless)';
  return verifyLegacyLayer(base, layer, ctx, noCertificate, (certPem, readEntry) => {
    const sig = a[ANNOTATION_SIGNATURE];
    if (!sig) reject('no signature annotation');
    const pj = parseJson(payload.toString('utf8'), 'the payload');
    const signed = dig(pj, ['critical', 'image', 'docker-manifest-digest']);
    if (dig(pj, ['critical', 'type']) !== 'cosign container image signature') {
      reject('the payload is not a cosign simple-signing payload');
    }
    if (signed !== ctx.imageDigest)
      reject(`the payload signs ${String(signed)}, not ${ctx.imageDigest}`);
    const entry = readEntry();
    const { body } = entry;
    if (body.kind !== 'hashedrekord')
      reject(`unexpected Rekor entry kind ${body.kind} for a signature`);
    const payloadHex = createHash('sha256').update(payload).digest('hex');
    if (dig(body.spec, ['data', 'hash', 'value']) !== payloadHex) {
      reject('the Rekor entry records another payload hash than the layer');
    }
    if (dig(body.spec, ['signature', 'content']) !== sig)
      reject('the Rekor entry holds another signature');
    const keyB64 = dig(body.spec, ['signature', 'publicKey', 'content']);
    if (
      typeof keyB64 !== 'string' ||
      !pemToDer(Buffer.from(keyB64, 'base64').toString('utf8')).equals(pemToDer(certPem))
    ) {
      reject("the Rekor entry's public key is not the certificate's");
    }
    return {
      entry,
      content: {
        messageSignature: {
          messageDigest: {
            algorithm: 'SHA2_256',
            digest: Buffer.from(payloadHex, 'hex').toString('base64'),
          },
          signature: sig,
        },
      },
      artifact: payload,
    };
  });
}

interface Statement {
  readonly predicateType: string;
  readonly subjectDigests: readonly string[];
}

function parseStatement(payload: Buffer): Statement {
  const st = parseJson(payload.toString('utf8'), 'the in-toto statement');
  if (!isJsonObject(st) || typeof st.predicateType !== 'string' || !Array.isArray(st.subject)) {
    reject('the DSSE payload is not an in-toto statement');
  }
  const subjectDigests = st.subject
    .map((s) => dig(s, ['digest', 'sha256']))
    .filter((d): d is string => typeof d === 'string')
    .map((d) => `sha256:${d}`);
  return { predicateType: st.predicateType, subjectDigests };
}

interface ParsedEnvelope {
  payload: Buffer;
  payloadType: string;
  json: Record<string, unknown>;
}

function parseEnvelope(blob: Buffer): ParsedEnvelope {
  const env = parseJson(blob.toString('utf8'), 'the DSSE envelope');
  if (
    !isJsonObject(env) ||
    typeof env.payload !== 'string' ||
    typeof env.payloadType !== 'string'
  ) {
    reject('the layer is not a DSSE envelope');
  }
  if (!Array.isArray(env.signatures) || env.signatures.length !== 1)
    reject('the envelope needs exactly one signature');
  return { payload: Buffer.from(env.payload, 'base64'), payloadType: env.payloadType, json: env };
}

/** Verify one `.att` layer (a DSSE envelope blob and its annotations). */
export function verifyLegacyAttestation(
  layer: Descriptor,
  blob: Buffer,
  ctx: LegacyContext,
): VerifiedItem {
  const predicateType = layer.annotations?.[ANNOTATION_PREDICATE_TYPE];
  const base = {
    kind: 'attestation' as const,
    format: 'legacy' as const,
    source: ctx.source,
    digest: layer.digest,
    ...(predicateType && { predicateType }),
  };
  const noCertificate = 'no certificate annotation (a key-based attestation, not keyless)';
  return verifyLegacyLayer(base, layer, ctx, noCertificate, (_certPem, readEntry) => {
    const env = parseEnvelope(blob);
    if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE)
      reject(`payload type ${env.payloadType} is not in-toto`);
    const st = parseStatement(env.payload);
    if (predicateType && st.predicateType !== predicateType) {
      reject(`the statement's predicate type ${st.predicateType} differs from the annotation`);
    }
    if (!st.subjectDigests.includes(ctx.imageDigest))
      reject(`the statement is about another image, not ${ctx.imageDigest}`);
    const entry = readEntry();
    const { body } = entry;
    if (body.kind !== 'dsse')
      reject(`unsupported Rekor entry kind ${body.kind} for an attestation`);
    const blobHex = createHash('sha256').update(blob).digest('hex');
    if (dig(body.spec, ['envelopeHash', 'value']) !== blobHex) {
      reject('the Rekor entry envelopeHash is not sha256 of the layer');
    }
    return { entry, content: { dsseEnvelope: env.json }, predicateType: st.predicateType };
  });
}

/**
 * Verify one Sigstore bundle referrer (its layer blob). A DSSE statement with cosign's sign
 * predicate is the image signature; other predicate types are attestations.
 */
export function verifySigstoreBundle(
  blob: Buffer,
  ctx: LegacyContext & { signaturePredicateType: string },
): VerifiedItem {
  let kind: 'signature' | 'attestation' = 'attestation';
  let predicateType: string | undefined;
  let logIndex: number | undefined;
  let subject: string | undefined;
  // What is known so far, for the item whether it verifies or not.
  const found = (): Pick<
    VerifiedItem,
    'kind' | 'format' | 'source' | 'digest' | 'rekorLogIndex'
  > => ({
    kind,
    format: 'bundle',
    source: ctx.source,
    digest: sha256Digest(blob),
    ...(logIndex !== undefined && { rekorLogIndex: logIndex }),
  });
  try {
    const json = parseJson(blob.toString('utf8'), 'the bundle');
    let bundle: Bundle;
    try {
      bundle = bundleFromJSON(json);
    } catch (err) {
      return reject(`not a Sigstore bundle: ${errorReason(err)}`);
    }
    const entry = bundle.verificationMaterial.tlogEntries[0];
    if (entry) logIndex = Number(entry.logIndex);
    if (bundle.content.$case !== 'dsseEnvelope') reject('bundle without a DSSE envelope');
    const st = parseStatement(bundle.content.dsseEnvelope.payload);
    predicateType = st.predicateType;
    kind = st.predicateType === ctx.signaturePredicateType ? 'signature' : 'attestation';
    const vm = bundle.verificationMaterial.content;
    const der =
      vm.$case === 'certificate'
        ? vm.certificate.rawBytes
        : vm.$case === 'x509CertificateChain'
          ? vm.x509CertificateChain.certificates[0]?.rawBytes
          : undefined;
    if (der) subject = certificateIdentity(new X509Certificate(der).toString()).subject;
    if (!st.subjectDigests.includes(ctx.imageDigest))
      reject(`the statement is about another image, not ${ctx.imageDigest}`);
    const who = verifyBundle(bundle, undefined, ctx.trust, ctx.policy);
    return { ...found(), predicateType, subject: who.subject, issuer: who.issuer, ok: true };
  } catch (err) {
    return {
      ...found(),
      ...(predicateType && { predicateType }),
      ...(subject && { subject }),
      ok: false,
      reason: errorReason(err),
    };
  }
}
