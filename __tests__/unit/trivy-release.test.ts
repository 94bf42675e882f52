import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { parseChecksums } from '../../src/trivy/checksums.js';
import { parseVersionOutput } from '../../src/trivy/install.js';
import {
  assetName,
  DEFAULT_TRIVY_VERSION,
  hasSigstoreBundles,
  normalizeVersion,
  releaseFiles,
  releaseIdentity,
} from '../../src/trivy/release.js';

describe('assetName', () => {
  it.each([
    ['linux', 'x64', 'trivy_0.75.0_Linux-64bit.tar.gz'],
    ['linux', 'arm64', 'trivy_0.75.0_Linux-ARM64.tar.gz'],
    ['linux', 'arm', 'trivy_0.75.0_Linux-ARM.tar.gz'],
    ['linux', 's390x', 'trivy_0.75.0_Linux-s390x.tar.gz'],
    ['linux', 'ppc64', 'trivy_0.75.0_Linux-PPC64LE.tar.gz'],
    ['darwin', 'arm64', 'trivy_0.75.0_macOS-ARM64.tar.gz'],
    ['darwin', 'x64', 'trivy_0.75.0_macOS-64bit.tar.gz'],
    ['darwin', 'ia32', undefined],
    ['win32', 'x64', undefined],
  ] as const)('%s/%s → %s', (platform, arch, name) => {
    expect(assetName('0.75.0', platform, arch)).toBe(name);
  });
});

describe('normalizeVersion', () => {
  it.each([
    ['', DEFAULT_TRIVY_VERSION],
    [undefined, DEFAULT_TRIVY_VERSION],
    ['v0.68.1', '0.68.1'],
    [' 0.75.0 ', '0.75.0'],
  ])('%j → %s', (input, expected) => {
    expect(normalizeVersion(input)).toBe(expected);
  });

  it.each(['latest', '0.75', '>=0.70.0', 'v0.75.0-rc1'])(
    'refuses %j, naming trivy-version',
    (input) => {
      expect(() => normalizeVersion(input)).toThrow(ConfigError);
      expect(() => normalizeVersion(input)).toThrow(
        /^trivy-version: .*not a Trivy release version/,
      );
    },
  );

  it('refuses the known-malicious 0.69.4 release outright', () => {
    expect(() => normalizeVersion('v0.69.4')).toThrow(/known-malicious/);
  });
});

describe('release facts', () => {
  it('names the release workflow identity for the tag', () => {
    expect(releaseIdentity('v0.75.0')).toBe(
      'https://github.com/aquasecurity/trivy/.github/workflows/reusable-release.yaml@refs/tags/v0.75.0',
    );
  });

  it('knows which releases carry Sigstore bundles', () => {
    expect(hasSigstoreBundles('0.68.0')).toBe(false);
    expect(hasSigstoreBundles('0.68.1')).toBe(true);
    expect(hasSigstoreBundles('0.100.0')).toBe(true);
  });

  it('builds the URLs of the asset, the checksums file and both bundles', () => {
    const f = releaseFiles('https://example.test/dl/', '0.75.0', 'trivy_0.75.0_Linux-64bit.tar.gz');
    expect(f).toEqual({
      tag: 'v0.75.0',
      asset: 'trivy_0.75.0_Linux-64bit.tar.gz',
      assetUrl: 'https://example.test/dl/v0.75.0/trivy_0.75.0_Linux-64bit.tar.gz',
      assetBundleUrl:
        'https://example.test/dl/v0.75.0/trivy_0.75.0_Linux-64bit.tar.gz.sigstore.json',
      checksums: 'trivy_0.75.0_checksums.txt',
      checksumsUrl: 'https://example.test/dl/v0.75.0/trivy_0.75.0_checksums.txt',
      checksumsBundleUrl:
        'https://example.test/dl/v0.75.0/trivy_0.75.0_checksums.txt.sigstore.json',
    });
  });
});

describe('parseChecksums', () => {
  it('reads GoReleaser lines and ignores anything else', () => {
    const a = 'A'.repeat(64);
    const b = 'b'.repeat(64);
    const map = parseChecksums(
      `${a}  trivy_0.75.0_Linux-64bit.tar.gz\r\n# comment\n${b} *bom.json\nshort  x\n`,
    );
    expect([...map]).toEqual([
      ['trivy_0.75.0_Linux-64bit.tar.gz', 'a'.repeat(64)],
      ['bom.json', b],
    ]);
  });
});

describe('parseVersionOutput', () => {
  it.each([
    ['Version: 0.75.0\nVulnerability DB:\n  Version: 2\n', '0.75.0'],
    ['Version: v0.68.1\n', '0.68.1'],
    ['trivy 0.75.0\n', undefined],
  ])('%j → %s', (out, v) => {
    expect(parseVersionOutput(out)).toBe(v);
  });
});
