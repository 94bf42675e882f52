/**
 * Facts about Trivy's GitHub releases: the pinned version, asset names, where the checksums
 * and Sigstore bundles live, and the identity that signs them. Pure.
 *
 * Since v0.68.1 every release asset has a `<asset>.sigstore.json` bundle signed keylessly by
 * Trivy's release workflow (https://trivy.dev/docs/latest/getting-started/signature-verification/).
 */
import { ConfigError } from '../errors.js';

/** The Trivy release installed when `trivy-version` is empty. Bumping it is this one line. */
export const DEFAULT_TRIVY_VERSION = '0.75.0';

export const TRIVY_RELEASES_URL = 'https://github.com/aquasecurity/trivy/releases/download';

/** The first release whose assets carry `.sigstore.json` bundles. */
export const FIRST_BUNDLED_VERSION = '0.68.1';

/**
 * Releases published by an attacker with Trivy's own release automation in March 2026
 * (GHSA-69fq-xp46-6x23). Signed by the genuine workflow identity, so no signature check can
 * catch them: they are refused by version, with no opt-out.
 */
export const COMPROMISED_VERSIONS: readonly string[] = ['0.69.4', '0.69.5', '0.69.6'];

export const TRIVY_RELEASE_ISSUER = 'https://token.actions.githubusercontent.com';

/** The SAN of the certificate that signs release `tag` (e.g. `v0.75.0`). */
export function releaseIdentity(tag: string): string {
  return `https://github.com/aquasecurity/trivy/.github/workflows/reusable-release.yaml@refs/tags/${tag}`;
}

/** `v0.75.0` / `0.75.0` → `0.75.0`; '' → the pinned default. Throws naming `trivy-version`. */
export function normalizeVersion(input: string | undefined): string {
  const raw = (input ?? '').trim();
  if (raw === '') return DEFAULT_TRIVY_VERSION;
  const m = /^v?(\d+\.\d+\.\d+)$/.exec(raw);
  if (!m?.[1]) {
    throw new ConfigError(
      'trivy-version',
      `"${raw}" is not a Trivy release version`,
      `use an exact version such as ${DEFAULT_TRIVY_VERSION} (ranges and "latest" are not accepted: the binary must be pinned)`,
    );
  }
  const version = m[1];
  if (COMPROMISED_VERSIONS.includes(version)) {
    throw new ConfigError(
      'trivy-version',
      `Trivy ${version} is a known-malicious release (GHSA-69fq-xp46-6x23) and is never installed`,
      `use ${DEFAULT_TRIVY_VERSION}`,
    );
  }
  return version;
}

/** Numeric comparison of `x.y.z` versions. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function hasSigstoreBundles(version: string): boolean {
  return compareVersions(version, FIRST_BUNDLED_VERSION) >= 0;
}

const OS_NAMES: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'Linux',
  darwin: 'macOS',
  freebsd: 'FreeBSD',
};
const ARCH_NAMES: Record<string, string> = {
  x64: '64bit',
  arm64: 'ARM64',
  ia32: '32bit',
  arm: 'ARM',
  ppc64: 'PPC64LE',
  s390x: 's390x',
};

/** `trivy_0.75.0_Linux-64bit.tar.gz`, or undefined for a platform Trivy ships no tarball for. */
export function assetName(
  version: string,
  platform: NodeJS.Platform,
  arch: string,
): string | undefined {
  const os = OS_NAMES[platform];
  const a = ARCH_NAMES[arch];
  if (os === undefined || a === undefined) return undefined;
  if (os === 'macOS' && a !== '64bit' && a !== 'ARM64') return undefined;
  if (os === 'FreeBSD' && a !== '64bit') return undefined;
  return `trivy_${version}_${os}-${a}.tar.gz`;
}

export interface ReleaseFiles {
  readonly tag: string;
  readonly asset: string;
  readonly assetUrl: string;
  readonly assetBundleUrl: string;
  readonly checksums: string;
  readonly checksumsUrl: string;
  readonly checksumsBundleUrl: string;
}

export function releaseFiles(baseUrl: string, version: string, asset: string): ReleaseFiles {
  const tag = `v${version}`;
  const base = `${baseUrl.replace(/\/+$/, '')}/${tag}`;
  const checksums = `trivy_${version}_checksums.txt`;
  return {
    tag,
    asset,
    assetUrl: `${base}/${asset}`,
    assetBundleUrl: `${base}/${asset}.sigstore.json`,
    checksums,
    checksumsUrl: `${base}/${checksums}`,
    checksumsBundleUrl: `${base}/${checksums}.sigstore.json`,
  };
}
