/**
 * A fake Trivy GitHub release on 127.0.0.1, laid out like the real one: the tarball (holding
 * the Trivy STAND-IN as `trivy` — a test double, not Trivy), the checksums file, and a Sigstore
 * bundle for each, made by loopback Fulcio/Rekor as Trivy's release workflow identity. The
 * trusted root the install must verify against comes with it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { releaseFiles, releaseIdentity, TRIVY_RELEASE_ISSUER } from '../../src/trivy/release.js';
import { trustedRootFromJSON, type TrustedRootDoc } from '../../src/trivy/signature.js';
import { startLoopbackSigstore } from './loopback-sigstore.js';
import { STAND_IN } from './stand-in-harness.js';
import { startStaticServer, type StaticServer } from './static-server.js';

export interface FakeTrivyRelease {
  readonly server: StaticServer;
  readonly trustedRoot: TrustedRootDoc;
  /** The release's asset for linux/x64. */
  readonly asset: string;
  /** URL path of each file, by role. */
  readonly paths: {
    tarball: string;
    checksums: string;
    tarballBundle: string;
    checksumsBundle: string;
  };
  /** The genuine files, path → bytes (copy it to tamper with one). */
  genuine(): Map<string, Buffer>;
  close(): Promise<void>;
}

export async function startFakeTrivyRelease(
  workDir: string,
  version: string,
): Promise<FakeTrivyRelease> {
  const content = path.join(workDir, 'release-content');
  await mkdir(content, { recursive: true });
  await copyFile(STAND_IN, path.join(content, 'trivy'));
  await chmod(path.join(content, 'trivy'), 0o755);
  const tarballFile = path.join(workDir, 'release.tar.gz');
  await promisify(execFile)('tar', ['-czf', tarballFile, '-C', content, 'trivy']);
  const tarball = await readFile(tarballFile);

  const asset = `trivy_${version}_Linux-64bit.tar.gz`;
  const checksums = Buffer.from(
    `${createHash('sha256').update(tarball).digest('hex')}  ${asset}\n`,
  );
  const signer = { identity: releaseIdentity(`v${version}`), issuer: TRIVY_RELEASE_ISSUER };
  const sigstore = await startLoopbackSigstore();
  let bundles: [Buffer, Buffer];
  try {
    const sign = async (data: Buffer) =>
      Buffer.from(JSON.stringify(await sigstore.signBlob(data, signer)));
    bundles = [await sign(tarball), await sign(checksums)];
  } finally {
    await sigstore.close();
  }

  const urls = releaseFiles('http://127.0.0.1', version, asset);
  const pathOf = (url: string) => new URL(url).pathname;
  const paths = {
    tarball: pathOf(urls.assetUrl),
    checksums: pathOf(urls.checksumsUrl),
    tarballBundle: pathOf(urls.assetBundleUrl),
    checksumsBundle: pathOf(urls.checksumsBundleUrl),
  };
  const genuine = () =>
    new Map<string, Buffer>([
      [paths.tarball, tarball],
      [paths.checksums, checksums],
      [paths.tarballBundle, bundles[0]],
      [paths.checksumsBundle, bundles[1]],
    ]);
  const server = await startStaticServer(genuine());
  return {
    server,
    trustedRoot: trustedRootFromJSON(sigstore.trustedRoot),
    asset,
    paths,
    genuine,
    close: () => server.close(),
  };
}
