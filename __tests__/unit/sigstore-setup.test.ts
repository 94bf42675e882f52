import { describe, expect, it } from 'vitest';
import type { SigningConfig } from '../../src/config.js';
import { attestationsFor, preflightSigning } from '../../src/sigstore/setup.js';

const base: SigningConfig = {
  sign: false,
  attestSbom: false,
  attestVuln: false,
  format: 'legacy',
  verifyIssuer: 'https://token.actions.githubusercontent.com',
};
const withToken = { idTokenRequestUrl: 'https://t.example/x', idTokenRequestToken: 'tok' };
const invocation = { uri: 'u', eventId: '1', builderId: 'b' };

describe('preflightSigning', () => {
  it.each([
    ['off', base, undefined, {}, 'off'],
    ['sign', { ...base, sign: true }, 'ghcr.io/o/a:1', withToken, 'sign'],
    [
      'verify',
      { ...base, verifyIdentity: '^https://github\\.com/o/' },
      'ghcr.io/o/a:1',
      {},
      'verify',
    ],
  ] as const)('%s', (_l, signing, image, env, mode) => {
    expect(preflightSigning(signing, image, env)).toBe(mode);
  });

  it.each([
    [
      'sign without image',
      { ...base, sign: true },
      undefined,
      withToken,
      /^sign: needs the image input/,
    ],
    [
      'sign without id-token: write',
      { ...base, sign: true },
      'ghcr.io/o/a:1',
      {},
      /`id-token: write`/,
    ],
    [
      'a private Fulcio without trusted-root',
      { ...base, sign: true, fulcioUrl: 'https://fulcio.internal' },
      'ghcr.io/o/a',
      withToken,
      /^trusted-root: /,
    ],
    [
      'an invalid verify-identity',
      { ...base, verifyIdentity: '[' },
      'ghcr.io/o/a',
      {},
      /^verify-identity: /,
    ],
    ['an invalid image', { ...base, sign: true }, 'ghcr.io/O/a', withToken, /^image: /],
  ] as const)('fails before any work: %s', (_l, signing, image, env, message) => {
    expect(() => preflightSigning(signing, image, env)).toThrow(message);
  });
});

describe('attestationsFor', () => {
  it('attests the SBOM document as it is, under its predicate type', () => {
    const doc = { bomFormat: 'CycloneDX', specVersion: '1.6' };
    expect(
      attestationsFor(
        { ...base, attestSbom: true },
        { sbom: { format: 'cyclonedx', document: doc }, invocation, now: new Date(0) },
      ),
    ).toEqual([{ predicateType: 'https://cyclonedx.org/bom', predicate: doc }]);
  });

  it('refuses attest-sbom without an SBOM and attest-vuln without a report', () => {
    expect(() =>
      attestationsFor({ ...base, attestSbom: true }, { invocation, now: new Date(0) }),
    ).toThrow(/^attest-sbom: /);
    expect(() =>
      attestationsFor({ ...base, attestVuln: true }, { invocation, now: new Date(0) }),
    ).toThrow(/^attest-vuln: /);
  });
});
