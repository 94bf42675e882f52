/**
 * The cosign legacy layout, field by field against a real keyless signature made by cosign in
 * GitHub Actions (corpus/cosign/legacy-sig-github-actions) and public-good's trusted root.
 */
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleFromJSON, type TransparencyLogEntry } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { describe, expect, it } from 'vitest';
import { parseImageManifest, sha256Digest } from '../../src/oci/manifest.js';
import { parseImageReference, repositoryName } from '../../src/oci/reference.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_SIGNATURE,
  attestationTag,
  checkRekorEntryMatchesLayer,
  rekorBundleAnnotation,
  signatureConfig,
  signatureLayer,
  signatureManifest,
  signatureTag,
  simpleSigningPayload,
} from '../../src/sigstore/cosign-legacy.js';
import { certificateChainFor, trustMaterialOf } from '../../src/sigstore/trusted-root.js';
import { verifyLegacySignature, verifySigstoreBundle } from '../../src/sigstore/verify.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const corpus = path.resolve(root, '../shared/corpus/cosign');
const sigDir = path.join(corpus, 'legacy-sig-github-actions');
const read = (...p: string[]): Buffer => readFileSync(path.join(corpus, ...p));

interface Expected {
  image: string;
  signature_tag: string;
  rekor: { logIndex: number; integratedTime: number; logID: string };
  certificate: { san_uri: string; oid_1_1_issuer: string };
}

describe.skipIf(!existsSync(sigDir))(
  `cosign legacy .sig layout vs a real keyless signature${existsSync(sigDir) ? '' : ' (SKIPPED: ../shared/corpus/cosign missing)'}`,
  () => {
    const expected = JSON.parse(
      read('legacy-sig-github-actions', 'expected.json').toString(),
    ) as Expected;
    const manifest = parseImageManifest(
      read('legacy-sig-github-actions', 'sig-manifest.json'),
      'corpus',
    );
    const layer = manifest.layers[0];
    const ann = layer?.annotations ?? {};
    const imageRef = parseImageReference(expected.image);
    const imageDigest = imageRef.digest ?? '';
    const pgi = TrustedRoot.fromJSON(
      JSON.parse(read('cosign-testdata', 'trusted_root_pgi.json').toString()),
    );

    /** The Rekor entry as sigstore-js would hand it to us, rebuilt from the annotation. */
    function entryFromAnnotation(): TransparencyLogEntry {
      const b = JSON.parse(ann[ANNOTATION_BUNDLE] ?? '') as {
        SignedEntryTimestamp: string;
        Payload: { body: string; integratedTime: number; logIndex: number; logID: string };
      };
      return {
        logIndex: String(b.Payload.logIndex),
        logId: { keyId: Buffer.from(b.Payload.logID, 'hex') },
        kindVersion: { kind: 'hashedrekord', version: '0.0.1' },
        integratedTime: String(b.Payload.integratedTime),
        inclusionPromise: { signedEntryTimestamp: Buffer.from(b.SignedEntryTimestamp, 'base64') },
        inclusionProof: undefined,
        canonicalizedBody: Buffer.from(b.Payload.body, 'base64'),
      };
    }

    it('builds the simple-signing payload byte for byte (docker-reference = index.docker.io/<repo>)', () => {
      const payload = simpleSigningPayload(repositoryName(imageRef), imageDigest);
      expect(payload.equals(read('legacy-sig-github-actions', 'payload-blob.json'))).toBe(true);
      expect(sha256Digest(payload)).toBe(layer?.digest);
      expect(payload.length).toBe(257);
    });

    it('builds the one-layer config blob byte for byte (233 bytes)', () => {
      const config = signatureConfig([layer?.digest ?? '']);
      expect(config.equals(read('legacy-sig-github-actions', 'config-blob.json'))).toBe(true);
      expect(sha256Digest(config)).toBe(manifest.config.digest);
      expect(config.length).toBe(manifest.config.size);
    });

    it('adds one diff_id and one history entry per extra layer', () => {
      const two = JSON.parse(signatureConfig(['sha256:a', 'sha256:b']).toString()) as {
        history: unknown[];
        rootfs: { diff_ids: string[] };
      };
      expect(two.history).toEqual([
        { created: '0001-01-01T00:00:00Z' },
        { created: '0001-01-01T00:00:00Z' },
      ]);
      expect(two.rootfs.diff_ids).toEqual(['sha256:a', 'sha256:b']);
    });

    it('names the tags after the signed digest', () => {
      expect(signatureTag(imageDigest)).toBe(expected.signature_tag);
      expect(attestationTag(imageDigest)).toBe(expected.signature_tag.replace(/\.sig$/, '.att'));
    });

    it('writes the Rekor bundle annotation exactly as cosign does', () => {
      expect(rekorBundleAnnotation(entryFromAnnotation())).toBe(ann[ANNOTATION_BUNDLE]);
    });

    it('produces the same layer descriptor and annotation keys in the same order', () => {
      const built = signatureLayer({
        payload: read('legacy-sig-github-actions', 'payload-blob.json'),
        signature: Buffer.from(ann[ANNOTATION_SIGNATURE] ?? '', 'base64'),
        certificatePem: ann[ANNOTATION_CERTIFICATE] ?? '',
        chainPem: ann[ANNOTATION_CHAIN] ?? '',
        tlogEntry: entryFromAnnotation(),
      });
      expect(built.descriptor).toEqual(layer);
      expect(Object.keys(built.descriptor.annotations ?? {})).toEqual(Object.keys(ann));
      const { manifest: m } = signatureManifest([built.descriptor]);
      expect(m.config).toEqual(manifest.config);
      expect(m.mediaType).toBe(manifest.mediaType);
    });

    it('takes the chain annotation (intermediate then root) from the trusted root', () => {
      const chain = certificateChainFor(pgi, ann[ANNOTATION_CERTIFICATE] ?? '');
      expect(chain).toBe(ann[ANNOTATION_CHAIN]);
      expect(chain.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    });

    it('accepts the layer against its own Rekor entry and refuses another payload', () => {
      const payload = read('legacy-sig-github-actions', 'payload-blob.json');
      const sig = Buffer.from(ann[ANNOTATION_SIGNATURE] ?? '', 'base64');
      expect(() => checkRekorEntryMatchesLayer(entryFromAnnotation(), payload, sig)).not.toThrow();
      expect(() =>
        checkRekorEntryMatchesLayer(
          entryFromAnnotation(),
          Buffer.from(`${payload.toString()} `),
          sig,
        ),
      ).toThrow(/records sha256 d8a03071/);
    });

    it('verifies the real signature with @sigstore/verify and public-good trust, identity included', () => {
      const payload = read('legacy-sig-github-actions', 'payload-blob.json');
      const ctx = { imageDigest, trust: trustMaterialOf(pgi), source: 'corpus' };
      const ok = verifyLegacySignature(layer!, payload, {
        ...ctx,
        policy: {
          subjectRegExp: /^https:\/\/github\.com\/salrashid123\/go-bazel-github-workflow\//,
          issuer: expected.certificate.oid_1_1_issuer,
        },
      });
      expect(ok).toMatchObject({
        ok: true,
        subject: expected.certificate.san_uri,
        rekorLogIndex: expected.rekor.logIndex,
      });

      const wrongIdentity = verifyLegacySignature(layer!, payload, {
        ...ctx,
        policy: {
          subjectRegExp: /github\.com\/someone-else\//,
          issuer: expected.certificate.oid_1_1_issuer,
        },
      });
      expect(wrongIdentity.ok).toBe(false);
      expect(wrongIdentity.reason).toContain('does not match');

      const otherImage = verifyLegacySignature(layer!, payload, {
        ...ctx,
        imageDigest: `sha256:${'0'.repeat(64)}`,
      });
      expect(otherImage.reason).toMatch(/payload signs sha256:c05263d2.*, not sha256:0000/);

      const tampered = Buffer.from(payload.toString().replace('server_image', 'server_imagf'));
      expect(verifyLegacySignature(layer!, tampered, ctx).reason).toMatch(/another payload hash/);
    });

    it('verifies cosign’s own bundle referrer test vector (dsse 0.0.1, public-good)', () => {
      const blob = read('cosign-testdata', 'oci-attestation.sigstore.json');
      const b = bundleFromJSON(JSON.parse(blob.toString()));
      const statement =
        b.content.$case === 'dsseEnvelope'
          ? JSON.parse(b.content.dsseEnvelope.payload.toString())
          : {};
      const digest = `sha256:${(statement as { subject: { digest: { sha256: string } }[] }).subject[0]?.digest.sha256 ?? ''}`;
      const item = verifySigstoreBundle(blob, {
        imageDigest: digest,
        trust: trustMaterialOf(pgi),
        source: 'corpus',
        signaturePredicateType: 'https://sigstore.dev/cosign/sign/v1',
        policy: { subjectRegExp: /^cody@soyland\.com$/, issuer: 'https://github.com/login/oauth' },
      });
      expect(item).toMatchObject({ ok: true, kind: 'attestation', subject: 'cody@soyland.com' });
    });
  },
);
