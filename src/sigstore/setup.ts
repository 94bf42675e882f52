/**
 * Builds the signing phase's collaborators from the validated SigningConfig, so main.ts only
 * wires: preflight (before any work), registry client, trusted root, run signer, attestations.
 */
import type { SigningConfig } from '../config.js';
import { ConfigError, GuardError } from '../errors.js';
import {
  githubOidcProvider,
  requireIdTokenAccess,
  type IdTokenEnvironment,
  type IdentityProvider,
} from '../github/oidc.js';
import type { ScanReport } from '../model.js';
import { RegistryClient } from '../oci/client.js';
import {
  chainCredentials,
  dockerConfigCredentials,
  staticCredentials,
  type CredentialSource,
} from '../oci/credentials.js';
import { parseImageReference } from '../oci/reference.js';
import {
  PUBLIC_GOOD_FULCIO,
  PUBLIC_GOOD_REKOR,
  createRunSigner,
  type RunSigner,
} from './signer.js';
import {
  PREDICATE_VULN,
  sbomPredicateType,
  vulnPredicate,
  type Attestation,
  type VulnInvocation,
} from './statement.js';
import { loadTrustedRootFile, publicGoodTrustedRoot, type TrustedRoot } from './trusted-root.js';
import { identityPolicy } from './verify-image.js';

/** What the signing phase will do for this config. */
export type SigningMode = 'off' | 'sign' | 'verify';

export function signingMode(signing: SigningConfig): SigningMode {
  if (signing.sign) return 'sign';
  if (signing.verifyIdentity) return 'verify';
  return 'off';
}

/**
 * Checks that need no network, run before any scan: an image to sign, the OIDC permission,
 * a trusted root for a private instance, a valid verify-identity regexp.
 */
export function preflightSigning(
  signing: SigningConfig,
  image: string | undefined,
  env: IdTokenEnvironment,
): SigningMode {
  const mode = signingMode(signing);
  if (mode === 'off') return mode;
  if (!image) {
    throw new ConfigError(
      mode === 'sign' ? 'sign' : 'verify-identity',
      'needs the image input',
      'set image to the pushed image (tag or digest)',
    );
  }
  parseImageReference(image);
  const privateInstance =
    (signing.fulcioUrl !== undefined && signing.fulcioUrl !== PUBLIC_GOOD_FULCIO) ||
    (signing.rekorUrl !== undefined && signing.rekorUrl !== PUBLIC_GOOD_REKOR);
  if (privateInstance && !signing.trustedRoot) {
    throw new ConfigError(
      'trusted-root',
      'is required with a private fulcio-url / rekor-url',
      'pass the trusted_root.json of that Sigstore instance',
    );
  }
  if (mode === 'sign') requireIdTokenAccess(env);
  if (signing.verifyIdentity) identityPolicy(signing.verifyIdentity, signing.verifyIssuer);
  return mode;
}

/** Credentials: the inputs when given, else docker's config.json (auths, helpers). */
export function registryClient(signing: SigningConfig, dockerConfigDir: string): RegistryClient {
  const sources: CredentialSource[] = [];
  if (signing.registryUsername && signing.registryPassword) {
    sources.push(staticCredentials(signing.registryUsername, signing.registryPassword));
  } else if (signing.registryUsername || signing.registryPassword) {
    throw new ConfigError(
      'registry-password',
      'registry-username and registry-password go together',
      'set both or neither',
    );
  }
  sources.push(dockerConfigCredentials({ configDir: dockerConfigDir }));
  return new RegistryClient({
    credentials: chainCredentials(...sources),
    userAgent: 'supply-chain-guard',
  });
}

/** The `trusted-root` file, else public-good's via TUF (cached under `cacheDir`). */
export async function trustedRoot(signing: SigningConfig, cacheDir?: string): Promise<TrustedRoot> {
  return signing.trustedRoot
    ? loadTrustedRootFile(signing.trustedRoot)
    : publicGoodTrustedRoot(cacheDir);
}

/** One run signer (one key, one certificate) with the Actions OIDC token as identity. */
export function runSigner(
  signing: SigningConfig,
  env: IdTokenEnvironment,
  identity?: IdentityProvider,
): RunSigner {
  return createRunSigner({
    identity: identity ?? githubOidcProvider(env),
    fulcioUrl: signing.fulcioUrl ?? PUBLIC_GOOD_FULCIO,
    rekorUrl: signing.rekorUrl ?? PUBLIC_GOOD_REKOR,
    ...(signing.tsaUrl && { tsaUrl: signing.tsaUrl }),
  });
}

/**
 * The attestations for this run: the SBOM document as it is (with attest-sbom) and the vuln
 * predicate of the image's report (with attest-vuln). Missing inputs are errors, not skips.
 */
export function attestationsFor(
  signing: SigningConfig,
  inputs: {
    sbom?: { format: 'cyclonedx' | 'spdx'; document: unknown };
    imageReport?: ScanReport;
    invocation: VulnInvocation;
    now: Date;
  },
): Attestation[] {
  const out: Attestation[] = [];
  if (signing.attestSbom) {
    if (!inputs.sbom) {
      throw new GuardError('SBOM_INVALID', 'attest-sbom: no SBOM was produced for the image', {
        remedy: 'set sbom to cyclonedx or spdx, or attest-sbom: false',
      });
    }
    const doc = inputs.sbom.document;
    if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
      throw new GuardError('SBOM_INVALID', 'attest-sbom: the SBOM is not a JSON object');
    }
    out.push({ predicateType: sbomPredicateType(inputs.sbom.format), predicate: doc });
  }
  if (signing.attestVuln) {
    if (!inputs.imageReport) {
      throw new GuardError(
        'SIGNING_FAILED',
        'attest-vuln: there is no vulnerability report for the image',
        {
          remedy: 'scan the image (image input) or pass its report in trivy-reports',
        },
      );
    }
    out.push({
      predicateType: PREDICATE_VULN,
      predicate: vulnPredicate(
        inputs.imageReport,
        inputs.invocation,
        inputs.now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      ),
    });
  }
  return out;
}
