/**
 * Verify mode round trips in both formats: what passes, and each way a signature is rejected
 * with its reason (another identity, issuer or trusted root, a tampered payload, another image).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../src/oci/client.js';
import { parseImageManifest, serialize, sha256Digest } from '../../src/oci/manifest.js';
import { OCI_INDEX, OCI_MANIFEST } from '../../src/oci/media-types.js';
import { signatureManifest, signatureTag } from '../../src/sigstore/cosign-legacy.js';
import { referrersTag } from '../../src/sigstore/referrers.js';
import { signImage } from '../../src/sigstore/sign-image.js';
import { createRunSigner } from '../../src/sigstore/signer.js';
import { PREDICATE_CYCLONEDX, PREDICATE_SPDX } from '../../src/sigstore/statement.js';
import { loadTrustedRootFile, type TrustedRoot } from '../../src/sigstore/trusted-root.js';
import { verifyImage, type VerifyImageInput } from '../../src/sigstore/verify-image.js';
import {
  hasRegistry,
  pushTinyImage,
  startRegistry,
  type TestRegistry,
} from '../helpers/registry.js';
import { fakeIdToken, startSigstore, type TestSigstore } from '../helpers/sigstore.js';

const WORKFLOW = 'https://github.com/octo/app/.github/workflows/release.yml@refs/tags/v1.0.0';
const ISSUER = 'https://token.actions.githubusercontent.com';
const SBOM = {
  predicateType: PREDICATE_CYCLONEDX,
  predicate: { bomFormat: 'CycloneDX', specVersion: '1.6' },
};

describe.skipIf(!hasRegistry)(
  `verifyImage${hasRegistry ? '' : ' (SKIPPED: /usr/bin/docker-registry missing)'}`,
  () => {
    let reg: TestRegistry;
    let sig: TestSigstore;
    let root: TrustedRoot;
    let foreign: TrustedRoot;
    const registry = new RegistryClient({ credentials: { get: () => Promise.resolve(undefined) } });
    const digests: Record<string, string> = {};

    beforeAll(async () => {
      [reg, sig] = await Promise.all([startRegistry(), startSigstore()]);
      root = await loadTrustedRootFile(sig.trustedRootFile);
      foreign = await loadTrustedRootFile(sig.foreignTrustedRootFile);
      const signer = createRunSigner({
        identity: { getToken: () => Promise.resolve(fakeIdToken({ sub: WORKFLOW })) },
        fulcioUrl: sig.url,
        rekorUrl: sig.url,
      });
      const deps = {
        registry,
        signer,
        trustedRoot: root,
        log: () => undefined,
        append: { confirmDelay: () => Promise.resolve() },
      };
      for (const [name, format] of [
        ['legacy', 'legacy'],
        ['bundle', 'bundle'],
      ] as const) {
        digests[name] = await pushTinyImage(reg, `octo/${name}`, 'v1', name);
        await signImage(
          { image: `${reg.host}/octo/${name}:v1`, signing: { format }, attestations: [SBOM] },
          deps,
        );
      }
      digests.unsigned = await pushTinyImage(reg, 'octo/unsigned', 'v1', 'unsigned');
    });
    afterAll(async () => {
      await Promise.all([reg?.stop(), sig?.stop()]);
    });

    const input = (name: string, over: Partial<VerifyImageInput> = {}): VerifyImageInput => ({
      image: `${reg.host}/octo/${name}:v1`,
      identity: '^https://github\\.com/octo/app/\\.github/workflows/release\\.yml@refs/tags/v',
      issuer: ISSUER,
      ...over,
    });

    describe.each(['legacy', 'bundle'])('%s format', (name) => {
      it('passes for the signing identity, with the SBOM attestation', async () => {
        const r = await verifyImage(
          input(name, { requiredPredicateTypes: [PREDICATE_CYCLONEDX] }),
          {
            registry,
            trustedRoot: root,
          },
        );
        expect(r.passed).toBe(true);
        expect(r.imageDigest).toBe(digests[name]);
        expect(r.signatures).toEqual([
          expect.objectContaining({ ok: true, format: name, subject: WORKFLOW, issuer: ISSUER }),
        ]);
        expect(r.attestations).toEqual([
          expect.objectContaining({ ok: true, predicateType: PREDICATE_CYCLONEDX }),
        ]);
      });

      it.each([
        ['another identity', { identity: '^https://github\\.com/octo/other/' }, /does not match/],
        [
          'another issuer',
          { issuer: 'https://accounts.google.com' },
          /issuer "https:\/\/token\.actions\.githubusercontent\.com" is not/,
        ],
      ])('rejects %s and says why', async (_label, over, reason) => {
        const r = await verifyImage(input(name, over), { registry, trustedRoot: root });
        expect(r.passed).toBe(false);
        expect(r.signatures).toHaveLength(1);
        expect(r.signatures[0]).toMatchObject({ ok: false, subject: WORKFLOW });
        expect(r.signatures[0]?.reason).toMatch(reason);
      });

      it('rejects a signature that another trusted root does not vouch for', async () => {
        const r = await verifyImage(input(name), { registry, trustedRoot: foreign });
        expect(r.passed).toBe(false);
        expect(r.signatures[0]?.reason).toMatch(/CERTIFICATE_ERROR|TLOG/);
      });

      it('fails the gate when a required attestation is missing', async () => {
        const r = await verifyImage(input(name, { requiredPredicateTypes: [PREDICATE_SPDX] }), {
          registry,
          trustedRoot: root,
        });
        expect(r.passed).toBe(false);
        expect(r.missingAttestations).toEqual([PREDICATE_SPDX]);
      });
    });

    it('finds nothing on an unsigned image and fails', async () => {
      const r = await verifyImage(input('unsigned'), { registry, trustedRoot: root });
      expect(r).toMatchObject({ passed: false, signatures: [], attestations: [] });
    });

    it('rejects an invalid verify-identity regexp naming the input', async () => {
      await expect(
        verifyImage(input('legacy', { identity: '(' }), { registry, trustedRoot: root }),
      ).rejects.toThrow(/^verify-identity: /);
    });

    it('rejects a tampered legacy payload', async () => {
      const repo = { registry: reg.host, repository: 'octo/tampered' };
      const digest = await pushTinyImage(reg, 'octo/tampered', 'v1', 'tampered');
      const signer = createRunSigner({
        identity: { getToken: () => Promise.resolve(fakeIdToken({ sub: WORKFLOW })) },
        fulcioUrl: sig.url,
        rekorUrl: sig.url,
      });
      await signImage(
        { image: `${reg.host}/octo/tampered:v1`, signing: { format: 'legacy' }, attestations: [] },
        {
          registry,
          signer,
          trustedRoot: root,
          log: () => undefined,
          append: { confirmDelay: () => Promise.resolve() },
        },
      );
      const m = await registry.getManifest(repo, signatureTag(digest), [OCI_MANIFEST]);
      const layer = parseImageManifest(m!.bytes, 'sig').layers[0]!;
      const payload = await registry.getBlob(repo, layer.digest);
      const evil = Buffer.from(
        payload.toString().replace('"optional":null', '"optional":{"evil":"yes"}'),
      );
      await registry.pushBlob(repo, evil);
      const { manifest, config } = signatureManifest([
        { ...layer, digest: sha256Digest(evil), size: evil.length },
      ]);
      await registry.pushBlob(repo, config);
      await registry.putManifest(repo, signatureTag(digest), serialize(manifest), OCI_MANIFEST);
      const r = await verifyImage(input('tampered'), { registry, trustedRoot: root });
      expect(r.passed).toBe(false);
      expect(r.signatures[0]?.reason).toMatch(/another payload hash/);
    });

    it('rejects signatures copied from another image (legacy tag and bundle index)', async () => {
      const legacyRepo = { registry: reg.host, repository: 'octo/legacy' };
      const target = await pushTinyImage(reg, 'octo/legacy', 'copy', 'copy-target');
      const sigM = await registry.getManifest(legacyRepo, signatureTag(digests.legacy ?? ''), [
        OCI_MANIFEST,
      ]);
      await registry.putManifest(legacyRepo, signatureTag(target), sigM!.bytes, OCI_MANIFEST);
      const legacy = await verifyImage(input('legacy', { image: `${reg.host}/octo/legacy:copy` }), {
        registry,
        trustedRoot: root,
      });
      expect(legacy.passed).toBe(false);
      expect(legacy.signatures[0]?.reason).toMatch(
        /the payload signs sha256:[0-9a-f]{64}, not sha256:/,
      );

      const bundleRepo = { registry: reg.host, repository: 'octo/bundle' };
      const target2 = await pushTinyImage(reg, 'octo/bundle', 'copy', 'copy-target-2');
      const idx = await registry.getManifest(bundleRepo, referrersTag(digests.bundle ?? ''), [
        OCI_INDEX,
      ]);
      await registry.putManifest(bundleRepo, referrersTag(target2), idx!.bytes, OCI_INDEX);
      const bundle = await verifyImage(input('bundle', { image: `${reg.host}/octo/bundle:copy` }), {
        registry,
        trustedRoot: root,
      });
      expect(bundle.passed).toBe(false);
      expect(bundle.signatures[0]?.reason).toMatch(/the statement is about another image/);
    });
  },
);
