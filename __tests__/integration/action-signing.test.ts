/**
 * Issue 6's "Done when", through the action itself: `node dist/index.js` under Node 24 with
 * INPUT_* as the runner sets them, against Debian's docker-registry, Fulcio/Rekor/TSA from
 * @sigstore/mock and a loopback Actions OIDC token service, all on 127.0.0.1. The image "scan"
 * is the Trivy STAND-IN on PATH (a test double that replays a corpus report), so the SBOM and
 * the vuln predicate have content. A first workflow signs and attests; a second one gates on
 * `verify-identity`.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { chmod, copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { node24Path, runBundle, type BundleRun } from '../helpers/bundle.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { startOidc, type OidcRequest, type TestOidc } from '../helpers/oidc-server.js';
import {
  hasRegistry,
  pushTinyImage,
  startRegistry,
  type TestRegistry,
} from '../helpers/registry.js';
import { startSigstore, type TestSigstore } from '../helpers/sigstore.js';
import { createHarness, STAND_IN, type Harness } from '../helpers/stand-in-harness.js';

const WORKFLOW = 'https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main';
const IDENTITY_REGEXP = '^https://github\\.com/acme/app/\\.github/workflows/release\\.yml@';
const ISSUER = 'https://token.actions.githubusercontent.com';
const CYCLONEDX = 'https://cyclonedx.org/bom';
const VULN = 'https://cosign.sigstore.dev/attestation/vuln/v1';
const BUNDLE_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const USER = 'ci-bot';
const PASSWORD = 's3cret-Pa55word-for-the-registry';
const REPORT = 'trivy-json/image/alpine-39.json';
const EPOCH = '1767225600';

interface Manifest {
  mediaType?: string;
  artifactType?: string;
  config: { mediaType: string; digest: string };
  layers: { mediaType: string; digest: string; annotations?: Record<string, string> }[];
  subject?: { digest: string };
}

const ready = hasRegistry && HAS_CORPUS;
const skipNote = ready ? '' : ' (SKIPPED: needs /usr/bin/docker-registry and ../shared/corpus)';

describe.skipIf(!ready)(`the action signs, attests and verifies${skipNote}`, () => {
  let reg: TestRegistry;
  let authReg: TestRegistry;
  let sig: TestSigstore;
  let oidc: TestOidc;
  let h: Harness;
  let pathEnv: string;
  const digests: Record<string, string> = {};
  /** Each run's RUNNER_TEMP / HOME, removed at the end. */
  const runDirs: string[] = [];
  /** The release workflow's run on acme/app, made once in beforeAll; later tests build on it. */
  let release: {
    run: BundleRun;
    tokenRequests: OidcRequest[];
    requests: { fulcio: number; rekor: number; tsa: number };
  };

  beforeAll(async () => {
    [reg, authReg, sig, oidc, h] = await Promise.all([
      startRegistry(),
      startRegistry({ username: USER, password: PASSWORD }),
      startSigstore(),
      startOidc(WORKFLOW),
      createHarness(),
    ]);
    const bin = path.join(h.root, 'bin');
    await mkdir(bin);
    await copyFile(STAND_IN, path.join(bin, 'trivy'));
    await chmod(path.join(bin, 'trivy'), 0o755);
    pathEnv = [bin, process.env['PATH'] ?? ''].join(path.delimiter);
    const images: [TestRegistry, string][] = [
      [reg, 'acme/app'],
      [reg, 'acme/bundled'],
      [reg, 'acme/no-oidc'],
      [authReg, 'acme/private'],
    ];
    for (const [r, repo] of images) digests[repo] = await pushTinyImage(r, repo, '1.0', repo);
    await h.configure({
      version: '0.75.0',
      targets: Object.fromEntries(
        images.map(([r, repo]) => [`${r.host}/${repo}:1.0`, { report: corpusPath(REPORT) }]),
      ),
    });
    // The release workflow: scan the pushed tag, sign it, attest SBOM and vulnerabilities.
    const before = await sig.stats();
    const run = await action(
      { image: `${reg.host}/acme/app:1.0`, sign: 'true', 'attest-vuln': 'true' },
      { env: { SOURCE_DATE_EPOCH: EPOCH } },
    );
    const after = await sig.stats();
    release = {
      run,
      tokenRequests: [...oidc.requests],
      requests: {
        fulcio: after.fulcio - before.fulcio,
        rekor: after.rekor - before.rekor,
        tsa: after.tsa - before.tsa,
      },
    };
  }, 60_000);
  afterAll(async () => {
    await Promise.all([reg?.stop(), authReg?.stop(), sig?.stop(), oidc?.stop(), h?.cleanup()]);
    await Promise.all(runDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  /** The action as a release workflow would run it: scan the pushed tag, sign, attest. */
  async function action(
    inputs: Record<string, string>,
    opts: { oidc?: boolean; env?: Record<string, string> } = {},
  ): Promise<BundleRun> {
    const run = await runBundle(
      {
        'fail-on': 'none',
        sbom: 'cyclonedx',
        'upload-sarif': 'false',
        'pr-comment': 'false',
        'upload-artifact': 'false',
        'dependency-snapshot': 'false',
        cache: 'false',
        'trivy-version': '0.75.0',
        'fulcio-url': sig.url,
        'rekor-url': sig.url,
        'trusted-root': sig.trustedRootFile,
        ...inputs,
      },
      {
        // The runtime action.yml declares.
        node: node24Path(),
        workspace: h.workspace,
        env: {
          PATH: pathEnv,
          TRIVY_STAND_IN_CONFIG: h.env['TRIVY_STAND_IN_CONFIG']!,
          GITHUB_REPOSITORY: 'acme/app',
          GITHUB_RUN_ID: '4242',
          GITHUB_SERVER_URL: 'https://github.com',
          GITHUB_WORKFLOW_REF: 'acme/app/.github/workflows/release.yml@refs/heads/main',
          ...(opts.oidc !== false && {
            ACTIONS_ID_TOKEN_REQUEST_URL: oidc.requestUrl,
            ACTIONS_ID_TOKEN_REQUEST_TOKEN: oidc.requestToken,
          }),
          ...opts.env,
        },
      },
    );
    runDirs.push(run.tempDir);
    return run;
  }

  function hexOf(digest: string): string {
    return digest.replace(/^sha256:/, '');
  }

  /** Registry reads independent of the action's client (plain fetch, basic auth when set). */
  async function get(r: TestRegistry, repo: string, ref: string, accept: string) {
    const headers: Record<string, string> = { accept };
    if (r.username && r.password) {
      headers['authorization'] =
        `Basic ${Buffer.from(`${r.username}:${r.password}`).toString('base64')}`;
    }
    const kind = ref.startsWith('sha256:') && accept === '' ? 'blobs' : 'manifests';
    return fetch(`http://${r.host}/v2/${repo}/${kind}/${ref}`, { headers });
  }
  async function manifest(r: TestRegistry, repo: string, ref: string): Promise<Manifest> {
    const res = await get(r, repo, ref, `${OCI_MANIFEST}, ${OCI_INDEX}`);
    expect(res.status, `${repo}:${ref}`).toBe(200);
    return (await res.json()) as Manifest;
  }
  async function blob(r: TestRegistry, repo: string, digest: string): Promise<Buffer> {
    const res = await get(r, repo, digest, '');
    expect(res.status, `${repo}@${digest}`).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(digest);
    return bytes;
  }
  const has = async (r: TestRegistry, repo: string, tag: string) =>
    (await get(r, repo, tag, OCI_MANIFEST)).status === 200;

  it('the release signs keyless and attests the SBOM and the vulnerability report in the cosign layout', async () => {
    const r = release.run;
    expect(r.code, r.stdout).toBe(0);
    const digest = digests['acme/app']!;
    const hex = hexOf(digest);
    expect(r.outputs).toMatchObject({
      verdict: 'pass',
      'image-digest': digest,
      'signature-ref': `${reg.host}/acme/app:sha256-${hex}.sig`,
      'attestation-refs': `${reg.host}/acme/app:sha256-${hex}.att`,
    });
    expect(r.outputs['rekor-log-index']).toMatch(/^\d+$/);

    // One token (audience sigstore, the runner's bearer), one certificate for all three entries.
    expect(release.tokenRequests).toEqual([{ audience: 'sigstore', authorized: true }]);
    expect(release.requests).toEqual({ fulcio: 1, rekor: 3, tsa: 0 });

    // .sig: simple-signing payload for this digest, certificate for the workflow identity.
    const sigManifest = await manifest(reg, 'acme/app', `sha256-${hex}.sig`);
    expect(sigManifest.config.mediaType).toBe('application/vnd.oci.image.config.v1+json');
    expect(sigManifest.layers).toHaveLength(1);
    const layer = sigManifest.layers[0]!;
    expect(layer.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    expect(Object.keys(layer.annotations ?? {}).sort()).toEqual([
      'dev.cosignproject.cosign/signature',
      'dev.sigstore.cosign/bundle',
      'dev.sigstore.cosign/certificate',
      'dev.sigstore.cosign/chain',
    ]);
    const payload = JSON.parse((await blob(reg, 'acme/app', layer.digest)).toString()) as {
      critical: { identity: Record<string, string>; image: Record<string, string>; type: string };
    };
    expect(payload.critical).toEqual({
      identity: { 'docker-reference': `${reg.host}/acme/app` },
      image: { 'docker-manifest-digest': digest },
      type: 'cosign container image signature',
    });
    const cert = new X509Certificate(layer.annotations!['dev.sigstore.cosign/certificate']!);
    expect(cert.subjectAltName).toBe(`URI:${WORKFLOW}`);
    const rekorBundle = JSON.parse(layer.annotations!['dev.sigstore.cosign/bundle']!) as {
      Payload: { logIndex: number };
    };
    expect(String(rekorBundle.Payload.logIndex)).toBe(r.outputs['rekor-log-index']);

    // .att: one DSSE in-toto statement per predicate, about this digest, with content.
    const attManifest = await manifest(reg, 'acme/app', `sha256-${hex}.att`);
    expect(attManifest.layers.map((l) => l.mediaType)).toEqual([
      'application/vnd.dsse.envelope.v1+json',
      'application/vnd.dsse.envelope.v1+json',
    ]);
    const statements = new Map<string, Record<string, unknown>>();
    for (const l of attManifest.layers) {
      const envelope = JSON.parse((await blob(reg, 'acme/app', l.digest)).toString()) as {
        payloadType: string;
        payload: string;
      };
      expect(envelope.payloadType).toBe('application/vnd.in-toto+json');
      const statement = JSON.parse(Buffer.from(envelope.payload, 'base64').toString()) as {
        subject: { digest: { sha256: string } }[];
        predicateType: string;
        predicate: Record<string, unknown>;
      };
      expect(statement.subject[0]?.digest.sha256).toBe(hex);
      expect(l.annotations?.['predicateType']).toBe(statement.predicateType);
      statements.set(statement.predicateType, statement.predicate);
    }
    expect([...statements.keys()].sort()).toEqual([CYCLONEDX, VULN].sort());
    const bom = statements.get(CYCLONEDX) as { bomFormat: string; components: unknown[] };
    expect(bom.bomFormat).toBe('CycloneDX');
    expect(bom.components.length).toBeGreaterThan(0);
    const vuln = statements.get(VULN) as {
      invocation: Record<string, string>;
      scanner: {
        uri: string;
        result: { Results: { Vulnerabilities: { VulnerabilityID: string }[] }[] };
      };
    };
    expect(vuln.invocation['uri']).toBe('https://github.com/acme/app/actions/runs/4242');
    expect(vuln.invocation['builder.id']).toBe(
      'acme/app/.github/workflows/release.yml@refs/heads/main',
    );
    expect(vuln.scanner.uri).toBe('https://github.com/aquasecurity/trivy');
    expect(
      vuln.scanner.result.Results.flatMap((r) => r.Vulnerabilities.map((v) => v.VulnerabilityID)),
    ).toContain('CVE-2019-14697');

    // The summary tells the next workflow how to check it.
    expect(r.summary).toContain('### Signed image');
    expect(r.summary).toContain(digest);
    expect(r.summary).toContain('cosign verify \\');
    expect(r.summary).toContain('cosign verify-attestation \\');
    expect(r.summary).toContain(`--certificate-oidc-issuer ${ISSUER}`);
    expect(r.summary).toContain('kind: ClusterPolicy');
    // Plain YAML a reviewer can read and edit: no &anchors / *aliases.
    expect(r.summary).not.toMatch(/: [&*]a\d+$/m);
    expect(r.summary).toContain('verifyImages:');
    expect(r.summary).toContain(
      'subject: https://github.com/acme/app/.github/workflows/release.yml@*',
    );
  });

  it('re-running the release signs nothing twice; only a new scan result is appended', async () => {
    const hex = hexOf(digests['acme/app']!);
    const before = await sig.stats();
    const r = await action(
      { image: `${reg.host}/acme/app:1.0`, sign: 'true', 'attest-vuln': 'true' },
      { env: { SOURCE_DATE_EPOCH: EPOCH } },
    );
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain("already holds this identity's signature; not signing again");
    expect((await manifest(reg, 'acme/app', `sha256-${hex}.sig`)).layers).toHaveLength(1);
    // The reproducible SBOM (SOURCE_DATE_EPOCH, same report) is the layer already there; the
    // vulnerability predicate of this scan has its own scan time, so it is a new statement.
    const att = await manifest(reg, 'acme/app', `sha256-${hex}.att`);
    const types = att.layers.map((l) => l.annotations?.['predicateType']);
    expect(types.filter((t) => t === CYCLONEDX)).toHaveLength(1);
    expect(types.filter((t) => t === VULN)).toHaveLength(2);
    const after = await sig.stats();
    expect(after.fulcio - before.fulcio).toBe(1);
    expect(after.rekor - before.rekor).toBe(1);
  });

  it('a deploy workflow gates on verify-identity: the release identity passes', async () => {
    // A deploy job needs no id-token permission to verify.
    const tokensBefore = oidc.requests.length;
    const r = await action(
      {
        image: `${reg.host}/acme/app:1.0`,
        'verify-identity': IDENTITY_REGEXP,
        'attest-sbom': 'true',
        'attest-vuln': 'true',
      },
      { oidc: false },
    );
    expect(r.code, r.stdout).toBe(0);
    expect(oidc.requests.length).toBe(tokensBefore);
    expect(r.outputs['verdict']).toBe('pass');
    expect(r.outputs['image-digest']).toBe(digests['acme/app']);
    expect(r.outputs['signature-ref']).toBeUndefined();
    expect(r.stdout).toMatch(
      /gate passed: .*a signature of .*acme\/app@sha256:[0-9a-f]{64} matches/,
    );
    expect(r.summary).toContain('### Signature verification: passed');
    expect(r.summary).toMatch(/\| ✅ \| signature \| legacy \|/);
    expect(r.summary).toContain(`| ✅ | attestation \`${CYCLONEDX}\` | legacy |`);
    expect(r.summary).toContain(`| ✅ | attestation \`${VULN}\` | legacy |`);
  });

  it('a signer, issuer or Sigstore instance other than the expected one fails the gate', async () => {
    const cases = [
      {
        name: 'another workflow',
        inputs: {
          'verify-identity': '^https://github\\.com/acme/app/\\.github/workflows/deploy\\.yml@',
        },
        reason:
          /identity "https:\/\/github\.com\/acme\/app\/\.github\/workflows\/release\.yml@refs\/heads\/main" does not match/,
      },
      {
        name: 'another issuer',
        inputs: { 'verify-identity': IDENTITY_REGEXP, 'verify-issuer': 'https://gitlab.com' },
        reason:
          /issuer "https:\/\/token\.actions\.githubusercontent\.com" is not "https:\/\/gitlab\.com"/,
      },
      {
        name: 'another trusted root',
        inputs: { 'verify-identity': IDENTITY_REGEXP, 'trusted-root': sig.foreignTrustedRootFile },
        reason: /CERTIFICATE_ERROR: Failed to verify certificate chain/,
      },
    ];
    // Read-only runs: side by side.
    const runs = await Promise.all(
      cases.map((c) =>
        action({ image: `${reg.host}/acme/app:1.0`, sbom: 'none', ...c.inputs }, { oidc: false }),
      ),
    );
    runs.forEach((r, i) => {
      const c = cases[i]!;
      expect(r.code, c.name).toBe(1);
      expect(r.outputs['verdict'], c.name).toBe('fail');
      // The error line (what an annotation or a PR check shows) carries the rejection reason.
      const error = r.stdout.split('\n').find((l) => l.startsWith('::error::')) ?? '';
      expect(error, c.name).toMatch(
        /^::error::gate failed: no signature of .*acme\/app@sha256:[0-9a-f]{64} matches the identity \(1 found, rejected: /,
      );
      expect(error, c.name).toMatch(c.reason);
      expect(r.summary, c.name).toContain('### Signature verification: failed');
      const row = r.summary.split('\n').find((l) => l.startsWith('| ❌ | signature | legacy |'));
      // Table cells escape Markdown (`\_`); compare the text.
      expect(row?.replace(/\\(.)/g, '$1'), c.name).toMatch(c.reason);
      expect(r.summary, c.name).toContain('No signature matches the identity and issuer.');
    });
  });

  it('signature-format bundle with a TSA: signs as referrers, then verifies', async () => {
    const digest = digests['acme/bundled']!;
    const hex = hexOf(digest);
    const tsaBefore = (await sig.stats()).tsa;
    const signed = await action({
      image: `${reg.host}/acme/bundled:1.0`,
      sign: 'true',
      'attest-vuln': 'true',
      'signature-format': 'bundle',
      'tsa-url': sig.url,
    });
    expect(signed.code, signed.stdout + signed.stderr).toBe(0);
    expect(signed.outputs['image-digest']).toBe(digest);
    expect(signed.outputs['signature-ref']).toMatch(
      new RegExp(`^${reg.host}/acme/bundled@sha256:[0-9a-f]{64}$`),
    );
    expect(signed.outputs['attestation-refs']?.split('\n')).toHaveLength(2);
    expect(signed.outputs['rekor-log-index']).toMatch(/^\d+$/);
    expect((await sig.stats()).tsa - tsaBefore).toBe(3);
    // No legacy tags; the referrers fallback index lists three bundles.
    expect(await has(reg, 'acme/bundled', `sha256-${hex}.sig`)).toBe(false);
    expect(await has(reg, 'acme/bundled', `sha256-${hex}.att`)).toBe(false);
    const index = (await manifest(reg, 'acme/bundled', `sha256-${hex}`)) as unknown as {
      manifests: { artifactType: string }[];
    };
    expect(index.manifests.map((m) => m.artifactType)).toEqual([
      BUNDLE_TYPE,
      BUNDLE_TYPE,
      BUNDLE_TYPE,
    ]);
    const referrer = await manifest(
      reg,
      'acme/bundled',
      signed.outputs['signature-ref']!.split('@')[1]!,
    );
    expect(referrer.subject?.digest).toBe(digest);
    expect(signed.summary).toContain('type: SigstoreBundle');

    const verified = await action(
      {
        image: `${reg.host}/acme/bundled:1.0`,
        'verify-identity': IDENTITY_REGEXP,
        'attest-sbom': 'true',
        'attest-vuln': 'true',
      },
      { oidc: false },
    );
    expect(verified.code, verified.stdout).toBe(0);
    expect(verified.summary).toMatch(/\| ✅ \| signature \| bundle \|/);
  });

  it('without id-token: write it fails before any work, naming the permission', async () => {
    const scansBefore = (await h.records()).length;
    const r = await action(
      { image: `${reg.host}/acme/no-oidc:1.0`, sign: 'true', 'attest-vuln': 'true' },
      { oidc: false },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /::error::sign: keyless signing needs a GitHub OIDC token.*`id-token: write`/,
    );
    expect(r.outputs).toEqual({});
    // Nothing ran: no Trivy process, nothing pushed.
    expect((await h.records()).length).toBe(scansBefore);
    const hex = hexOf(digests['acme/no-oidc']!);
    expect(await has(reg, 'acme/no-oidc', `sha256-${hex}.sig`)).toBe(false);
  });

  it('signs on a registry with basic auth, and the credentials never reach the log', async () => {
    const hex = hexOf(digests['acme/private']!);
    const r = await action({
      image: `${authReg.host}/acme/private:1.0`,
      sign: 'true',
      // No SBOM wanted: attest-sbom (default: the value of sign) follows, nothing to attest.
      sbom: 'none',
      'attest-vuln': 'true',
      'registry-username': USER,
      'registry-password': PASSWORD,
    });
    expect(r.code, r.stdout).toBe(0);
    expect(await has(authReg, 'acme/private', `sha256-${hex}.sig`)).toBe(true);
    expect(await has(authReg, 'acme/private', `sha256-${hex}.att`)).toBe(true);
    const basic = Buffer.from(`${USER}:${PASSWORD}`).toString('base64');
    // The runner swallows `::add-mask::` commands (and masks those values from then on).
    expect(r.stdout).toContain(`::add-mask::${PASSWORD}\n`);
    const log = r.stdout.replace(/^::add-mask::.*$/gm, '');
    for (const secret of [PASSWORD, basic, oidc.requestToken]) {
      expect(log).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
      expect(r.summary).not.toContain(secret);
    }

    // Signed, but without an SBOM attestation: a gate that requires one fails and says so.
    const noSbom = await action({
      image: `${authReg.host}/acme/private:1.0`,
      'verify-identity': IDENTITY_REGEXP,
      'attest-sbom': 'true',
      'attest-vuln': 'true',
      'registry-username': USER,
      'registry-password': PASSWORD,
    });
    expect(noSbom.code).toBe(1);
    expect(noSbom.stdout).toMatch(
      new RegExp(
        `::error::gate failed: no verified attestation of type ${CYCLONEDX} for .*acme/private@sha256:${hex}`,
      ),
    );
    expect(noSbom.summary).toContain(`No verified attestation of type \`${CYCLONEDX}\`.`);
    expect(noSbom.summary).toContain(`| ✅ | attestation \`${VULN}\` | legacy |`);

    const wrong = await action({
      image: `${authReg.host}/acme/private:1.0`,
      sbom: 'none',
      'verify-identity': IDENTITY_REGEXP,
      'registry-username': USER,
      'registry-password': 'not-the-password',
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(
      `::error::${authReg.host}/acme/private: manifest 1.0: authentication failed (401)`,
    );
    expect(wrong.stdout).toContain('check registry-username / registry-password');
    expect(wrong.stdout.replace(/^::add-mask::.*$/gm, '')).not.toContain('not-the-password');
  });
});
