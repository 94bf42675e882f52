/**
 * Keyless signing end to end: docker-registry on loopback, Fulcio/Rekor/TSA from @sigstore/mock
 * in a child process, our registry client, signer and verifier.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { RegistryClient } from '../../src/oci/client.js';
import { staticCredentials } from '../../src/oci/credentials.js';
import { parseImageManifest } from '../../src/oci/manifest.js';
import { OCI_MANIFEST } from '../../src/oci/media-types.js';
import { repositoryName } from '../../src/oci/reference.js';
import {
  ANNOTATION_BUNDLE,
  ANNOTATION_CERTIFICATE,
  ANNOTATION_CHAIN,
  ANNOTATION_PREDICATE_TYPE,
  ANNOTATION_SIGNATURE,
  DSSE_MEDIA_TYPE,
  SIMPLE_SIGNING_MEDIA_TYPE,
  attestationTag,
  signatureConfig,
  signatureTag,
  simpleSigningPayload,
} from '../../src/sigstore/cosign-legacy.js';
import { referrersTag, BUNDLE_V03_MEDIA_TYPE } from '../../src/sigstore/referrers.js';
import { signImage, type SignImageDeps } from '../../src/sigstore/sign-image.js';
import { createRunSigner, type RunSigner } from '../../src/sigstore/signer.js';
import { PREDICATE_CYCLONEDX, PREDICATE_VULN } from '../../src/sigstore/statement.js';
import { loadTrustedRootFile, type TrustedRoot } from '../../src/sigstore/trusted-root.js';
import {
  hasRegistry,
  pushTinyImage,
  startRegistry,
  type TestRegistry,
} from '../helpers/registry.js';
import { fakeIdToken, startSigstore, type TestSigstore } from '../helpers/sigstore.js';

const WORKFLOW = 'https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main';
const OTHER = 'https://github.com/octo/other/.github/workflows/ci.yml@refs/heads/main';
const ISSUER = 'https://token.actions.githubusercontent.com';
const SBOM = {
  predicateType: PREDICATE_CYCLONEDX,
  predicate: { bomFormat: 'CycloneDX', specVersion: '1.6', components: [] },
};
const VULN = {
  predicateType: PREDICATE_VULN,
  predicate: { scanner: { uri: 'https://github.com/aquasecurity/trivy' } },
};

describe.skipIf(!hasRegistry)(
  `signImage${hasRegistry ? '' : ' (SKIPPED: /usr/bin/docker-registry missing)'}`,
  () => {
    let reg: TestRegistry;
    let sig: TestSigstore;
    let trustedRoot: TrustedRoot;
    const registry = new RegistryClient({ credentials: { get: () => Promise.resolve(undefined) } });
    const logs: string[] = [];

    beforeAll(async () => {
      [reg, sig] = await Promise.all([startRegistry(), startSigstore()]);
      trustedRoot = await loadTrustedRootFile(sig.trustedRootFile);
    });
    afterAll(async () => {
      await Promise.all([reg?.stop(), sig?.stop()]);
    });

    function signer(sub = WORKFLOW, tsa = true): RunSigner {
      return createRunSigner({
        identity: { getToken: () => Promise.resolve(fakeIdToken({ sub })) },
        fulcioUrl: sig.url,
        rekorUrl: sig.url,
        ...(tsa && { tsaUrl: sig.url }),
        retry: { retries: 2, minTimeout: 5, maxTimeout: 20 },
      });
    }

    function deps(s: RunSigner): SignImageDeps {
      return {
        registry,
        signer: s,
        trustedRoot,
        log: (m) => logs.push(m),
        append: { confirmDelay: () => new Promise((r) => setTimeout(r, 5 + Math.random() * 20)) },
      };
    }

    const repoOf = (name: string) => ({ registry: reg.host, repository: name });

    async function manifestAt(name: string, tag: string) {
      const m = await registry.getManifest(repoOf(name), tag, [OCI_MANIFEST]);
      if (!m) throw new Error(`no manifest at ${name}:${tag}`);
      return parseImageManifest(m.bytes, tag);
    }

    it('writes the cosign .sig layout field by field, with one Fulcio certificate for the signature and two attestations', async () => {
      const digest = await pushTinyImage(reg, 'octo/app', 'v1');
      const before = await sig.stats();
      const s = signer();
      const result = await signImage(
        {
          image: `${reg.host}/octo/app:v1`,
          signing: { format: 'legacy' },
          attestations: [SBOM, VULN],
        },
        deps(s),
      );
      const after = await sig.stats();
      expect(after.fulcio - before.fulcio).toBe(1);
      expect(after.rekor - before.rekor).toBe(3);
      expect(result.certificateRequests).toBe(1);
      expect(result.imageDigest).toBe(digest);
      expect(result.signatureRef).toBe(`${reg.host}/octo/app:${signatureTag(digest)}`);
      expect(result.attestationRefs).toEqual([`${reg.host}/octo/app:${attestationTag(digest)}`]);
      expect(result.identity).toEqual({ subject: WORKFLOW, issuer: ISSUER });
      expect(typeof result.rekorLogIndex).toBe('number');

      const m = await manifestAt('octo/app', signatureTag(digest));
      expect(m.mediaType).toBe(OCI_MANIFEST);
      expect(m.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
      expect(m.layers).toHaveLength(1);
      const layer = m.layers[0]!;
      expect(layer.mediaType).toBe(SIMPLE_SIGNING_MEDIA_TYPE);
      expect(Object.keys(layer.annotations ?? {})).toEqual([
        ANNOTATION_SIGNATURE,
        ANNOTATION_BUNDLE,
        ANNOTATION_CERTIFICATE,
        ANNOTATION_CHAIN,
      ]);
      const payload = await registry.getBlob(repoOf('octo/app'), layer.digest);
      expect(
        payload.equals(
          simpleSigningPayload(
            repositoryName({ registry: reg.host, repository: 'octo/app' }),
            digest,
          ),
        ),
      ).toBe(true);
      const config = await registry.getBlob(repoOf('octo/app'), m.config.digest);
      expect(config.equals(signatureConfig([layer.digest]))).toBe(true);
      const bundle = JSON.parse(layer.annotations?.[ANNOTATION_BUNDLE] ?? '') as {
        Payload: { body: string; logIndex: number };
      };
      expect(bundle.Payload.logIndex).toBe(result.rekorLogIndex);
      const body = JSON.parse(Buffer.from(bundle.Payload.body, 'base64').toString()) as {
        kind: string;
        spec: { data: { hash: { value: string } }; signature: { content: string } };
      };
      expect(body.kind).toBe('hashedrekord');
      expect(`sha256:${body.spec.data.hash.value}`).toBe(layer.digest);
      expect(body.spec.signature.content).toBe(layer.annotations?.[ANNOTATION_SIGNATURE]);

      const att = await manifestAt('octo/app', attestationTag(digest));
      expect(att.layers.map((l) => l.annotations?.[ANNOTATION_PREDICATE_TYPE])).toEqual([
        PREDICATE_CYCLONEDX,
        PREDICATE_VULN,
      ]);
      for (const l of att.layers) {
        expect(l.mediaType).toBe(DSSE_MEDIA_TYPE);
        expect(l.annotations?.[ANNOTATION_SIGNATURE]).toBe('');
        const blob = await registry.getBlob(repoOf('octo/app'), l.digest);
        const b = JSON.parse(l.annotations?.[ANNOTATION_BUNDLE] ?? '') as {
          Payload: { body: string };
        };
        const entry = JSON.parse(Buffer.from(b.Payload.body, 'base64').toString()) as {
          kind: string;
          spec: { envelopeHash: { value: string } };
        };
        expect(entry.kind).toBe('dsse');
        // cosign: sha256(layer bytes) must equal the dsse entry's envelopeHash.
        expect(entry.spec.envelopeHash.value).toBe(createHash('sha256').update(blob).digest('hex'));
        const env = JSON.parse(blob.toString()) as { payloadType: string; payload: string };
        expect(env.payloadType).toBe('application/vnd.in-toto+json');
        const st = JSON.parse(Buffer.from(env.payload, 'base64').toString()) as {
          _type: string;
          subject: { name: string; digest: { sha256: string } }[];
        };
        expect(st._type).toBe('https://in-toto.io/Statement/v1');
        expect(st.subject).toEqual([
          { name: `${reg.host}/octo/app`, digest: { sha256: digest.slice(7) } },
        ]);
      }
      expect(result.verification.signatures.filter((v) => v.ok)).toHaveLength(1);
      expect(result.verification.attestations.filter((v) => v.ok)).toHaveLength(2);
    });

    it('does not duplicate layers or log again when re-run by the same identity', async () => {
      const digest = await pushTinyImage(reg, 'octo/rerun', 'v1');
      const first = await signImage(
        { image: `${reg.host}/octo/rerun:v1`, signing: { format: 'legacy' }, attestations: [SBOM] },
        deps(signer()),
      );
      const before = await sig.stats();
      const second = await signImage(
        {
          image: `${reg.host}/octo/rerun@${digest}`,
          signing: { format: 'legacy' },
          attestations: [SBOM],
        },
        deps(signer()),
      );
      const after = await sig.stats();
      expect(after.rekor - before.rekor).toBe(0);
      expect(second.reused).toBe(2);
      expect(second.rekorLogIndex).toBe(first.rekorLogIndex);
      expect((await manifestAt('octo/rerun', signatureTag(digest))).layers).toHaveLength(1);
      expect((await manifestAt('octo/rerun', attestationTag(digest))).layers).toHaveLength(1);
    });

    it('keeps both signatures when two signers append to the same tag concurrently', async () => {
      const digest = await pushTinyImage(reg, 'octo/race', 'v1');
      const image = `${reg.host}/octo/race:v1`;
      const results = await Promise.all([
        signImage(
          { image, signing: { format: 'legacy' }, attestations: [SBOM] },
          deps(signer(WORKFLOW)),
        ),
        signImage(
          { image, signing: { format: 'legacy' }, attestations: [SBOM] },
          deps(signer(OTHER)),
        ),
      ]);
      expect(results.map((r) => r.identity.subject)).toEqual([WORKFLOW, OTHER]);
      const sigLayers = (await manifestAt('octo/race', signatureTag(digest))).layers;
      expect(sigLayers).toHaveLength(2);
      expect((await manifestAt('octo/race', attestationTag(digest))).layers).toHaveLength(2);
      // Same payload, two signatures: the layers share a digest and differ by annotations.
      expect(new Set(sigLayers.map((l) => l.digest)).size).toBe(1);
    });

    it('writes bundle referrers with the fallback index (artifactType + annotations), never legacy tags', async () => {
      const digest = await pushTinyImage(reg, 'octo/bundle', 'v1');
      const before = await sig.stats();
      const result = await signImage(
        {
          image: `${reg.host}/octo/bundle:v1`,
          signing: { format: 'bundle' },
          attestations: [SBOM],
        },
        deps(signer()),
      );
      expect((await sig.stats()).fulcio - before.fulcio).toBe(1);
      const index = await registry.getManifest(repoOf('octo/bundle'), referrersTag(digest), [
        'application/vnd.oci.image.index.v1+json',
      ]);
      const entries = (
        JSON.parse(index?.bytes.toString() ?? '{}') as {
          manifests: {
            artifactType?: string;
            digest: string;
            annotations?: Record<string, string>;
          }[];
        }
      ).manifests;
      expect(entries).toHaveLength(2);
      for (const e of entries) {
        expect(e.artifactType).toBe(BUNDLE_V03_MEDIA_TYPE);
        expect(e.annotations?.['dev.sigstore.bundle.content']).toBe('dsse-envelope');
      }
      expect(
        entries.map((e) => e.annotations?.['dev.sigstore.bundle.predicateType']).sort(),
      ).toEqual([PREDICATE_CYCLONEDX, 'https://sigstore.dev/cosign/sign/v1']);
      const referrer = await registry.getManifest(
        repoOf('octo/bundle'),
        result.signatureRef.split('@')[1] ?? '',
        [OCI_MANIFEST],
      );
      const rm = parseImageManifest(referrer?.bytes ?? Buffer.from('{}'), 'referrer');
      expect(rm.subject?.digest).toBe(digest);
      expect(rm.config.digest).toBe(
        'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      );
      expect(rm.artifactType).toBe(BUNDLE_V03_MEDIA_TYPE);
      expect(
        await registry.getManifest(repoOf('octo/bundle'), signatureTag(digest)),
      ).toBeUndefined();

      // Re-run: nothing new; then a legacy signature on the same image is refused.
      await signImage(
        {
          image: `${reg.host}/octo/bundle:v1`,
          signing: { format: 'bundle' },
          attestations: [SBOM],
        },
        deps(signer()),
      );
      const again = await registry.getManifest(repoOf('octo/bundle'), referrersTag(digest), [
        'application/vnd.oci.image.index.v1+json',
      ]);
      expect(
        (JSON.parse(again?.bytes.toString() ?? '{}') as { manifests: unknown[] }).manifests,
      ).toHaveLength(2);
      await expect(
        signImage(
          { image: `${reg.host}/octo/bundle:v1`, signing: { format: 'legacy' }, attestations: [] },
          deps(signer()),
        ),
      ).rejects.toThrow(/already has Sigstore bundle referrers/);
    });

    describe('faults', () => {
      it('retries a Fulcio 503 and still asks for one certificate', async () => {
        await pushTinyImage(reg, 'octo/fulcio-retry', 'v1');
        await sig.fault('fulcio', 503, 1);
        const s = signer();
        const r = await signImage(
          {
            image: `${reg.host}/octo/fulcio-retry:v1`,
            signing: { format: 'legacy' },
            attestations: [],
          },
          deps(s),
        );
        expect(r.certificateRequests).toBe(1);
      });

      it('fails clearly when Fulcio keeps failing, with nothing pushed', async () => {
        const digest = await pushTinyImage(reg, 'octo/fulcio-down', 'v1');
        await sig.fault('fulcio', 500, 3);
        const err = await signImage(
          {
            image: `${reg.host}/octo/fulcio-down:v1`,
            signing: { format: 'legacy' },
            attestations: [SBOM],
          },
          deps(signer()),
        ).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GuardError);
        expect((err as GuardError).code).toBe('SIGNING_FAILED');
        expect((err as GuardError).message).toContain(`Fulcio (${sig.url}) failed`);
        expect(
          await registry.getManifest(repoOf('octo/fulcio-down'), signatureTag(digest)),
        ).toBeUndefined();
      });

      it('fails clearly when Rekor keeps failing on an attestation, leaving neither .sig nor .att', async () => {
        const digest = await pushTinyImage(reg, 'octo/rekor-down', 'v1');
        const s = signer();
        await s.certificate();
        // The signature gets logged; the attestation's entry then fails three times.
        await sig.fault('rekor', 0, 0);
        const run = signImage(
          {
            image: `${reg.host}/octo/rekor-down:v1`,
            signing: { format: 'legacy' },
            attestations: [SBOM],
          },
          {
            ...deps(s),
            signer: {
              ...s,
              certificate: () => s.certificate(),
              signBlob: (d) => s.signBlob(d),
              certificateRequests: s.certificateRequests,
              signDsse: async (p, t) => {
                await sig.fault('rekor', 502, 3);
                return s.signDsse(p, t);
              },
            },
          },
        );
        const err = await run.catch((e: unknown) => e);
        expect((err as GuardError).message).toContain(`Rekor (${sig.url}) failed`);
        expect(
          await registry.getManifest(repoOf('octo/rekor-down'), signatureTag(digest)),
        ).toBeUndefined();
        expect(
          await registry.getManifest(repoOf('octo/rekor-down'), attestationTag(digest)),
        ).toBeUndefined();
      });

      it('stops at a registry 401 (wrong password) before asking Fulcio or Rekor for anything', async () => {
        const locked = await startRegistry({ username: 'ci', password: 'right-pw' });
        try {
          await pushTinyImage(locked, 'octo/locked', 'v1');
          const before = await sig.stats();
          const wrong = new RegistryClient({ credentials: staticCredentials('ci', 'wrong-pw') });
          const err = await signImage(
            {
              image: `${locked.host}/octo/locked:v1`,
              signing: { format: 'legacy' },
              attestations: [SBOM],
            },
            { ...deps(signer()), registry: wrong },
          ).catch((e: unknown) => e);
          expect((err as GuardError).code).toBe('REGISTRY_FAILED');
          expect((err as GuardError).message).toContain(
            `${locked.host}/octo/locked: manifest v1: authentication failed (401)`,
          );
          expect(await sig.stats()).toEqual(before);
        } finally {
          await locked.stop();
        }
      });

      it('retries a Rekor 500 then succeeds', async () => {
        await pushTinyImage(reg, 'octo/rekor-retry', 'v1');
        await sig.fault('rekor', 500, 2);
        const r = await signImage(
          {
            image: `${reg.host}/octo/rekor-retry:v1`,
            signing: { format: 'legacy' },
            attestations: [],
          },
          deps(signer()),
        );
        expect(r.verification.signatures.some((v) => v.ok)).toBe(true);
      });
    });
  },
);
