import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  cosignVerifyCommands,
  escapeCell,
  identityPatterns,
  kyvernoPolicy,
  renderSigningSummary,
  renderVerifySummary,
  shellQuote,
  type SigningSummary,
} from '../../src/render/signing.js';

const SAN = 'https://github.com/octo/app/.github/workflows/release.yml@refs/tags/v1.2.0';
const DIGEST = `sha256:${'ab'.repeat(32)}`;
const base: SigningSummary = {
  imageRef: `ghcr.io/octo/app@${DIGEST}`,
  imageDigest: DIGEST,
  signatureRef: `ghcr.io/octo/app:sha256-${'ab'.repeat(32)}.sig`,
  attestationRefs: [`ghcr.io/octo/app:sha256-${'ab'.repeat(32)}.att`],
  rekorLogIndex: 123456,
  identity: { subject: SAN, issuer: 'https://token.actions.githubusercontent.com' },
  format: 'legacy',
  predicateTypes: ['https://cyclonedx.org/bom', 'https://cosign.sigstore.dev/attestation/vuln/v1'],
};

describe('identityPatterns', () => {
  it('matches the same workflow at any ref, with a regexp that accepts the SAN and rejects a look-alike', () => {
    const { regexp, glob } = identityPatterns(SAN);
    expect(glob).toBe('https://github.com/octo/app/.github/workflows/release.yml@*');
    const re = new RegExp(regexp);
    expect(re.test(SAN)).toBe(true);
    expect(
      re.test('https://github.com/octo/app/.github/workflows/release.yml@refs/heads/main'),
    ).toBe(true);
    expect(
      re.test('https://github.com/octo/app/.github/workflows/releaseXyml@refs/heads/main'),
    ).toBe(false);
    expect(
      re.test(
        'https://github.com/evil/x?https://github.com/octo/app/.github/workflows/release.yml@',
      ),
    ).toBe(false);
  });
});

describe('cosign commands', () => {
  it('quotes for the shell so the command runs as printed', () => {
    const [verify, sbom, vuln] = cosignVerifyCommands(base);
    expect(verify).toContain(
      "--certificate-identity-regexp '^https://github\\.com/octo/app/\\.github/workflows/release\\.yml@'",
    );
    expect(verify).toContain(
      '--certificate-oidc-issuer https://token.actions.githubusercontent.com',
    );
    expect(verify?.endsWith(`ghcr.io/octo/app@${DIGEST}`)).toBe(true);
    expect(sbom).toContain('--type cyclonedx');
    expect(vuln).toContain('--type vuln');
    // The shell sees exactly the regexp (run through sh's own parser).
    const r = spawnSync('sh', ['-c', `printf %s ${shellQuote("a'b $x")}`], { encoding: 'utf8' });
    expect(r.stdout).toBe("a'b $x");
  });

  it('adds --rekor-url only for a private instance', () => {
    expect(cosignVerifyCommands(base)[0]).not.toContain('--rekor-url');
    expect(cosignVerifyCommands({ ...base, rekorUrl: 'https://rekor.internal' })[0]).toContain(
      '--rekor-url https://rekor.internal',
    );
  });
});

describe('kyvernoPolicy', () => {
  it.each([
    [
      'legacy',
      'Cosign',
      { subject: 'https://github.com/octo/app/.github/workflows/release.yml@*' },
    ],
    [
      'bundle',
      'SigstoreBundle',
      { subjectRegExp: '^https://github\\.com/octo/app/\\.github/workflows/release\\.yml@' },
    ],
  ] as const)('%s → type %s with the matching subject field', (format, type, subject) => {
    const doc = parse(kyvernoPolicy({ ...base, format })) as {
      apiVersion: string;
      kind: string;
      spec: { rules: { verifyImages: Record<string, unknown>[] }[] };
    };
    expect(doc.apiVersion).toBe('kyverno.io/v1');
    expect(doc.kind).toBe('ClusterPolicy');
    const vi = doc.spec.rules[0]?.verifyImages[0] as {
      type: string;
      imageReferences: string[];
      attestors: { entries: { keyless: Record<string, string> }[] }[];
      attestations: { type: string }[];
    };
    expect(vi.type).toBe(type);
    expect(vi.imageReferences).toEqual(['ghcr.io/octo/app*']);
    expect(vi.attestors[0]?.entries[0]?.keyless).toEqual({
      ...subject,
      issuer: 'https://token.actions.githubusercontent.com',
    });
    expect(vi.attestations.map((a) => a.type)).toEqual(base.predicateTypes);
  });
});

describe('summaries', () => {
  it('shows digest, references, a search link for the public-good log index', () => {
    const md = renderSigningSummary(base);
    expect(md).toContain(`| Digest | \`${DIGEST}\` |`);
    expect(md).toContain(`| Signature | \`${base.signatureRef}\` |`);
    expect(md).toContain('[123456](https://search.sigstore.dev/?logIndex=123456)');
    expect(md).toContain('```yaml\napiVersion: kyverno.io/v1');
    expect(renderSigningSummary({ ...base, rekorUrl: 'https://rekor.internal' })).toContain(
      '| Rekor log index | 123456 |',
    );
  });

  it('lists each signature found with its reason, escaping what came from the registry', () => {
    const md = renderVerifySummary({
      imageRef: `ghcr.io/octo/app@${DIGEST}`,
      identity: '^https://github\\.com/octo/',
      issuer: 'https://token.actions.githubusercontent.com',
      passed: false,
      signatures: [
        {
          kind: 'signature',
          format: 'legacy',
          source: 'x',
          subject: 'https://evil|<img src=x>',
          ok: false,
          reason: 'identity "https://evil" does not match /^x/',
        },
      ],
      attestations: [],
      missingAttestations: ['https://cyclonedx.org/bom'],
    });
    expect(md).toContain('### Signature verification: failed');
    expect(md).toContain('https://evil\\|&lt;img src=x&gt;');
    expect(md).not.toContain('<img');
    expect(md).toContain('No signature matches the identity and issuer.');
    expect(md).toContain('No verified attestation of type `https://cyclonedx.org/bom`.');
  });

  it('escapes Markdown and HTML in cells', () => {
    expect(escapeCell('a|b\n<c>*d*')).toBe('a\\|b &lt;c&gt;\\*d\\*');
  });
});
