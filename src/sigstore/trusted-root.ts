/**
 * The Sigstore trusted root: a `trusted_root.json` file (private instances, tests) or
 * public-good's through sigstore-js's TUF client. Also picks the certificate chain for cosign's
 * `dev.sigstore.cosign/chain` annotation.
 */
import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { getTrustedRoot } from '@sigstore/tuf';
import { toTrustMaterial, type TrustMaterial } from '@sigstore/verify';
import { GuardError } from '../errors.js';
import { derToPem } from './cosign-legacy.js';

export type { TrustedRoot };

/** Load `trusted-root` (a trusted_root.json); errors name the input and the file. */
export async function loadTrustedRootFile(file: string): Promise<TrustedRoot> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new GuardError('VERIFY_FAILED', `trusted-root: cannot read ${file}`, { cause });
  }
  try {
    const root = TrustedRoot.fromJSON(JSON.parse(text));
    if (root.certificateAuthorities.length === 0 && root.tlogs.length === 0) {
      throw new Error('no certificate authorities and no transparency logs');
    }
    return root;
  } catch (cause) {
    throw new GuardError(
      'VERIFY_FAILED',
      `trusted-root: ${file} is not a Sigstore trusted_root.json`,
      {
        cause,
        remedy:
          'use the trusted_root.json of your Sigstore instance (e.g. from `cosign trusted-root create`)',
      },
    );
  }
}

/** Public-good's trusted root, fetched and verified through TUF (cached under `cachePath`). */
export async function publicGoodTrustedRoot(cachePath?: string): Promise<TrustedRoot> {
  try {
    return await getTrustedRoot(cachePath ? { cachePath } : {});
  } catch (cause) {
    throw new GuardError(
      'VERIFY_FAILED',
      'cannot fetch the public-good Sigstore trusted root (TUF)',
      {
        cause,
        remedy: 'check network access to tuf-repo-cdn.sigstore.dev, or pass a trusted-root file',
      },
    );
  }
}

export function trustMaterialOf(root: TrustedRoot): TrustMaterial {
  return toTrustMaterial(root);
}

/**
 * The issuing CA's chain (intermediate(s) then root) as PEMs, for the chain annotation: the
 * CA whose first certificate signed the leaf and whose validity covers the leaf's notBefore.
 */
export function certificateChainFor(root: TrustedRoot, leafPem: string): string {
  const leaf = new X509Certificate(leafPem);
  const issued = Date.parse(leaf.validFrom);
  for (const ca of root.certificateAuthorities) {
    const certs = ca.certChain?.certificates ?? [];
    const first = certs[0];
    if (!first) continue;
    const start = ca.validFor?.start?.getTime() ?? 0;
    const end = ca.validFor?.end?.getTime() ?? Number.POSITIVE_INFINITY;
    if (issued < start || issued > end) continue;
    const issuer = new X509Certificate(first.rawBytes);
    if (leaf.checkIssued(issuer) && leaf.verify(issuer.publicKey)) {
      return certs.map((c) => derToPem(c.rawBytes).trimEnd()).join('\n');
    }
  }
  throw new GuardError(
    'SIGNING_FAILED',
    'no certificate authority in the trusted root issued the signing certificate',
    {
      remedy: 'fulcio-url and trusted-root must belong to the same Sigstore instance',
    },
  );
}
