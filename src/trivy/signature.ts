/**
 * Verifies a keyless Sigstore bundle over a downloaded file with sigstore-js: the certificate
 * chains to the trusted root's Fulcio, the transparency-log entry is valid, the signature is
 * over exactly these bytes, and the certificate names the expected workflow identity and OIDC
 * issuer. Each failure becomes a GuardError that says which check failed and for which file.
 */
import { bundleFromJSON, isBundleWithMessageSignature, type Bundle } from '@sigstore/bundle';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { PolicyError, toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';
import { GuardError, errorMessage } from '../errors.js';
import { escapeRegExp } from '../policy/match.js';

export type TrustedRootDoc = Parameters<typeof toTrustMaterial>[0];

/** A `trusted_root.json` document → the form sigstore-js verifies against. */
export function trustedRootFromJSON(json: unknown): TrustedRootDoc {
  return TrustedRoot.fromJSON(json);
}

export interface SignerIdentity {
  /** Exact certificate SAN (not a pattern). */
  readonly identity: string;
  readonly issuer: string;
}

/**
 * Throws a GuardError (TRIVY_VERIFY_FAILED) unless `bundleJson` is a valid Sigstore bundle
 * over `artifact`, signed by `signer`, verifiable against `trustedRoot`.
 */
export function verifyBundle(opts: {
  artifact: Buffer;
  bundleJson: unknown;
  fileName: string;
  signer: SignerIdentity;
  trustedRoot: TrustedRootDoc;
}): void {
  const { fileName, signer } = opts;
  let bundle: Bundle;
  try {
    bundle = bundleFromJSON(opts.bundleJson);
  } catch (err) {
    throw new GuardError(
      'TRIVY_VERIFY_FAILED',
      `${fileName}.sigstore.json is not a Sigstore bundle`,
      {
        cause: err,
      },
    );
  }
  // Trivy signs blobs (`cosign sign-blob --bundle`): a message signature over the file's
  // digest. A DSSE envelope would sign a statement *about* a file, checked differently.
  if (!isBundleWithMessageSignature(bundle)) {
    throw new GuardError(
      'TRIVY_VERIFY_FAILED',
      `${fileName}.sigstore.json does not hold a message signature over the file`,
      { remedy: 'do not use this file: it is not how Trivy signs its releases' },
    );
  }
  const verifier = new Verifier(toTrustMaterial(opts.trustedRoot));
  try {
    verifier.verify(toSignedEntity(bundle, opts.artifact), {
      subjectAlternativeName: `^${escapeRegExp(signer.identity)}$`,
      extensions: { issuer: signer.issuer },
    });
  } catch (err) {
    if (err instanceof PolicyError) {
      throw new GuardError(
        'TRIVY_VERIFY_FAILED',
        `${fileName} is signed by another identity: ${err.message}; expected ${signer.identity} from ${signer.issuer}`,
        {
          cause: err,
          remedy: "do not use this file: it was not signed by Trivy's release workflow",
        },
      );
    }
    throw new GuardError(
      'TRIVY_VERIFY_FAILED',
      `${fileName}: the Sigstore signature does not verify (${errorMessage(err)})`,
      {
        cause: err,
        remedy: "do not use this file: it is not what Trivy's release workflow signed",
      },
    );
  }
}
