/**
 * Puts a Trivy binary the action can trust on disk. In order:
 *  1. a `trivy` on PATH whose version is exactly the requested one (the workflow installed it);
 *  2. the tool cache (a binary this action verified earlier in the job);
 *  3. the release from GitHub, verified BEFORE it ever runs:
 *     a. the checksums file's Sigstore bundle verifies for Trivy's release workflow identity;
 *     b. the tarball's sha256 is the one in that checksums file;
 *     c. the tarball's own `<asset>.sigstore.json` bundle verifies for the same identity.
 *     A release without bundles (before v0.68.1) is refused unless the user opts out
 *     explicitly (`trivy-allow-unsigned`), and then only the sha256 check is made, with a
 *     warning in the log.
 * Any mismatch is a hard failure naming the check that failed.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GuardError, errorMessage } from '../errors.js';
import type { Exec } from '../exec.js';
import { parseChecksums } from './checksums.js';
import {
  assetName,
  FIRST_BUNDLED_VERSION,
  hasSigstoreBundles,
  normalizeVersion,
  releaseFiles,
  releaseIdentity,
  TRIVY_RELEASE_ISSUER,
  TRIVY_RELEASES_URL,
  type ReleaseFiles,
} from './release.js';
import {
  trustedRootFromJSON,
  verifyBundle,
  type SignerIdentity,
  type TrustedRootDoc,
} from './signature.js';

export const TOOL_NAME = 'trivy';
/** The input that lets an unsigned (pre-0.68.1) release be installed. */
export const ALLOW_UNSIGNED_INPUT = 'trivy-allow-unsigned';

export interface InstallOptions {
  /** The `trivy-version` input; '' or undefined for the pinned default. */
  readonly version?: string;
  readonly platform: NodeJS.Platform;
  /** Node's `process.arch` naming. */
  readonly arch: string;
  /** `trivy-allow-unsigned`: accept a release without Sigstore bundles (sha256 only). */
  readonly allowUnsigned: boolean;
  /** Where releases are downloaded from. @default TRIVY_RELEASES_URL */
  readonly baseUrl?: string;
  /** The PATH to look for an installed `trivy` on; '' to never use one. */
  readonly pathEnv: string;
  /** Environment for running `trivy --version`. */
  readonly env: Readonly<Record<string, string>>;
  /** Scratch space for downloads (under $RUNNER_TEMP). */
  readonly tempDir: string;
}

export interface ToolCacheLike {
  /** The cached directory, or '' when absent. */
  find(tool: string, version: string, arch: string): string;
  cacheDir(sourceDir: string, tool: string, version: string, arch: string): Promise<string>;
}

export interface InstallDeps {
  readonly exec: Exec;
  /** Downloads `url` to `dest`; resolves false when the server answers 404. */
  download(url: string, dest: string): Promise<boolean>;
  /** Extracts a .tar.gz into `dest`, resolving with the directory. */
  extract(tarball: string, dest: string): Promise<string>;
  readonly toolCache: ToolCacheLike;
  /** The Sigstore trusted root (public-good via TUF on a runner; a test root in tests). */
  trustedRoot(): Promise<TrustedRootDoc>;
  readonly logger: { info(message: string): void; warning(message: string): void };
}

export type InstallSource = 'path' | 'tool-cache' | 'download';

export interface InstalledTrivy {
  /** Absolute path of the executable. */
  readonly path: string;
  readonly version: string;
  readonly source: InstallSource;
  /** What was verified: both signatures and the sha256, or only the sha256 (opt-out). */
  readonly verification: 'sigstore+sha256' | 'sha256-only' | 'earlier' | 'not-by-this-action';
}

function installError(message: string, remedy: string, cause?: unknown): GuardError {
  return new GuardError('TRIVY_INSTALL_FAILED', message, {
    remedy,
    ...(cause !== undefined && { cause }),
  });
}

function verifyError(message: string, remedy: string): GuardError {
  return new GuardError('TRIVY_VERIFY_FAILED', message, { remedy });
}

async function isFile(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** The first `trivy` on `pathEnv`, or undefined. */
export async function whichTrivy(pathEnv: string): Promise<string | undefined> {
  for (const dir of pathEnv.split(path.delimiter)) {
    if (dir === '') continue;
    const candidate = path.join(dir, TOOL_NAME);
    if (await isFile(candidate)) return candidate;
  }
  return undefined;
}

/** `Version: 0.75.0` (the first line of `trivy --version`) → `0.75.0`. */
export function parseVersionOutput(stdout: string): string | undefined {
  return /^Version:\s*v?(\d+\.\d+\.\d+)\s*$/m.exec(stdout)?.[1];
}

async function fromPath(
  version: string,
  opts: InstallOptions,
  deps: InstallDeps,
): Promise<InstalledTrivy | undefined> {
  const found = await whichTrivy(opts.pathEnv);
  if (found === undefined) return undefined;
  const result = await deps
    .exec({ command: found, args: ['--version'], env: opts.env, timeoutMs: 30_000 })
    .catch(() => undefined);
  const onPath = result?.exitCode === 0 ? parseVersionOutput(result.stdout) : undefined;
  if (onPath !== version) {
    deps.logger.info(
      `Ignoring ${found} (version ${onPath ?? 'unknown'}): trivy-version asks for ${version}`,
    );
    return undefined;
  }
  deps.logger.info(
    `Using Trivy ${version} already on PATH at ${found} (installed by the workflow; not verified by this action)`,
  );
  return { path: found, version, source: 'path', verification: 'not-by-this-action' };
}

async function fetchTo(url: string, dest: string, deps: InstallDeps): Promise<Buffer | undefined> {
  let found: boolean;
  try {
    found = await deps.download(url, dest);
  } catch (err) {
    throw installError(
      `could not download ${url}: ${errorMessage(err)}`,
      'check network access to github.com, or put a trusted trivy of the requested version on PATH',
      err,
    );
  }
  return found ? readFile(dest) : undefined;
}

function parseJson(buf: Buffer, file: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8')) as unknown;
  } catch {
    throw verifyError(
      `${file} is not JSON`,
      'the release bundle is corrupt; do not use this release',
    );
  }
}

async function downloadVerified(
  version: string,
  asset: string,
  opts: InstallOptions,
  deps: InstallDeps,
  work: string,
): Promise<{ tarball: string; verification: InstalledTrivy['verification'] }> {
  const files: ReleaseFiles = releaseFiles(opts.baseUrl ?? TRIVY_RELEASES_URL, version, asset);
  const signer: SignerIdentity = {
    identity: releaseIdentity(files.tag),
    issuer: TRIVY_RELEASE_ISSUER,
  };

  const checksumsText = await fetchTo(files.checksumsUrl, path.join(work, files.checksums), deps);
  if (checksumsText === undefined) {
    throw installError(
      `Trivy ${files.tag} has no checksums file at ${files.checksumsUrl}`,
      'check that trivy-version names a published release',
    );
  }
  const tarballPath = path.join(work, asset);
  const tarball = await fetchTo(files.assetUrl, tarballPath, deps);
  if (tarball === undefined) {
    throw installError(
      `Trivy ${files.tag} has no ${asset} at ${files.assetUrl}`,
      'check that trivy-version names a published release for this runner',
    );
  }
  const checksumsBundle = await fetchTo(
    files.checksumsBundleUrl,
    path.join(work, `${files.checksums}.sigstore.json`),
    deps,
  );
  const assetBundle = await fetchTo(files.assetBundleUrl, `${tarballPath}.sigstore.json`, deps);

  const signed = checksumsBundle !== undefined && assetBundle !== undefined;
  if (!signed && !opts.allowUnsigned) {
    const missing = assetBundle === undefined ? files.assetBundleUrl : files.checksumsBundleUrl;
    throw verifyError(
      `Trivy ${files.tag} has no Sigstore signature bundle (${missing} is missing), so the binary cannot be verified`,
      hasSigstoreBundles(version)
        ? "the release is incomplete or the download location is not Trivy's; do not use it"
        : `use trivy-version ${FIRST_BUNDLED_VERSION} or later (signed releases), or set ${ALLOW_UNSIGNED_INPUT}: true to accept a sha256-only check`,
    );
  }
  let trustedRoot: TrustedRootDoc | undefined;
  if (signed) {
    trustedRoot = await deps.trustedRoot();
    // (a) the checksums file is the one Trivy's release workflow signed
    verifyBundle({
      artifact: checksumsText,
      bundleJson: parseJson(checksumsBundle, `${files.checksums}.sigstore.json`),
      fileName: files.checksums,
      signer,
      trustedRoot,
    });
  } else {
    deps.logger.warning(
      `${ALLOW_UNSIGNED_INPUT} is set: Trivy ${files.tag} has no Sigstore bundles, so only its sha256 against the release checksums file is checked. The checksums file itself is NOT authenticated.`,
    );
  }

  // (b) the tarball is the one the checksums file names
  const expected = parseChecksums(checksumsText.toString('utf8')).get(asset);
  if (expected === undefined) {
    throw verifyError(
      `${files.checksums} lists no checksum for ${asset}`,
      'the release is incomplete; do not use it',
    );
  }
  const actual = createHash('sha256').update(tarball).digest('hex');
  if (actual !== expected) {
    throw verifyError(
      `sha256 mismatch for ${asset}: downloaded ${actual}, ${files.checksums} says ${expected}`,
      'the download was altered or corrupted; do not use it (retry; if it persists, report it)',
    );
  }

  // (c) the tarball's own signature
  if (signed && trustedRoot !== undefined) {
    verifyBundle({
      artifact: tarball,
      bundleJson: parseJson(assetBundle, `${asset}.sigstore.json`),
      fileName: asset,
      signer,
      trustedRoot,
    });
    deps.logger.info(
      `Verified ${asset}: sha256 ${actual} matches ${files.checksums}; both Sigstore bundles verify for ${signer.identity}`,
    );
    return { tarball: tarballPath, verification: 'sigstore+sha256' };
  }
  return { tarball: tarballPath, verification: 'sha256-only' };
}

/** Installs (or finds) Trivy; see the file comment for the order and the checks. */
export async function installTrivy(
  opts: InstallOptions,
  deps: InstallDeps,
): Promise<InstalledTrivy> {
  const version = normalizeVersion(opts.version);
  const onPath = opts.pathEnv === '' ? undefined : await fromPath(version, opts, deps);
  if (onPath) return onPath;

  const cached = deps.toolCache.find(TOOL_NAME, version, opts.arch);
  if (cached !== '' && (await isFile(path.join(cached, TOOL_NAME)))) {
    deps.logger.info(`Using Trivy ${version} from the tool cache (verified when it was cached)`);
    return {
      path: path.join(cached, TOOL_NAME),
      version,
      source: 'tool-cache',
      verification: 'earlier',
    };
  }

  const asset = assetName(version, opts.platform, opts.arch);
  if (asset === undefined) {
    throw installError(
      `Trivy publishes no release tarball for ${opts.platform}/${opts.arch}`,
      'run on a Linux or macOS runner, or put a trusted trivy of the requested version on PATH',
    );
  }
  await mkdir(opts.tempDir, { recursive: true });
  const work = await mkdtemp(path.join(opts.tempDir, 'trivy-download-'));
  try {
    const { tarball, verification } = await downloadVerified(version, asset, opts, deps, work);
    const extracted = await deps.extract(tarball, path.join(work, 'extracted'));
    if (!(await isFile(path.join(extracted, TOOL_NAME)))) {
      throw installError(`${asset} holds no ${TOOL_NAME} executable`, 'do not use this release');
    }
    const dir = await deps.toolCache.cacheDir(extracted, TOOL_NAME, version, opts.arch);
    deps.logger.info(`Installed Trivy ${version} into ${dir}`);
    return { path: path.join(dir, TOOL_NAME), version, source: 'download', verification };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The runner implementation: @actions/tool-cache for download, extraction and caching. */
export async function toolCacheInstallDeps(
  exec: Exec,
  logger: InstallDeps['logger'],
  trustedRoot: () => Promise<TrustedRootDoc>,
  /** Where verified binaries are kept. @default the runner's tool cache ($RUNNER_TOOL_CACHE) */
  toolCache?: ToolCacheLike,
): Promise<InstallDeps> {
  const tc = await import('@actions/tool-cache');
  return {
    exec,
    logger,
    trustedRoot,
    async download(url, dest) {
      try {
        await tc.downloadTool(url, dest);
        return true;
      } catch (err) {
        if (err instanceof tc.HTTPError && err.httpStatusCode === 404) return false;
        throw err;
      }
    },
    extract: (tarball, dest) => tc.extractTar(tarball, dest),
    toolCache: toolCache ?? {
      find: (tool, version, arch) => tc.find(tool, version, arch),
      cacheDir: (dir, tool, version, arch) => tc.cacheDir(dir, tool, version, arch),
    },
  };
}

/**
 * A tool cache in a plain directory, for the CLI (no runner, no $RUNNER_TOOL_CACHE), laid out
 * like the runner's: `<root>/<tool>/<version>/<arch>/`, with a `.complete` marker written
 * last so an interrupted copy is never used.
 */
export function directoryToolCache(root: string): ToolCacheLike {
  const dirOf = (tool: string, version: string, arch: string) =>
    path.join(root, tool, version, arch);
  return {
    find(tool, version, arch) {
      const dir = dirOf(tool, version, arch);
      return existsSync(`${dir}.complete`) ? dir : '';
    },
    async cacheDir(sourceDir, tool, version, arch) {
      const dir = dirOf(tool, version, arch);
      await rm(dir, { recursive: true, force: true });
      await rm(`${dir}.complete`, { force: true });
      await mkdir(dir, { recursive: true });
      await cp(sourceDir, dir, { recursive: true });
      await writeFile(`${dir}.complete`, '');
      return dir;
    },
  };
}

/** The public-good Sigstore trusted root, via TUF; or a `trusted_root.json` file. */
export async function loadTrustedRoot(opts: {
  file?: string;
  tufCacheDir: string;
}): Promise<TrustedRootDoc> {
  if (opts.file !== undefined) {
    return trustedRootFromJSON(JSON.parse(await readFile(opts.file, 'utf8')) as unknown);
  }
  const { getTrustedRoot } = await import('@sigstore/tuf');
  await mkdir(opts.tufCacheDir, { recursive: true });
  return getTrustedRoot({ cachePath: opts.tufCacheDir });
}
