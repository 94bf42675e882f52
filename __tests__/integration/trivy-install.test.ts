/**
 * The verified install against a fake Trivy release served on 127.0.0.1: a tarball holding the
 * Trivy STAND-IN (a test double), the checksums file, and Sigstore bundles made by real
 * (mock) Fulcio and Rekor services on loopback, verified against their trusted root.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmod,
  copyFile,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  writeFile,
} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { exec } from '../../src/exec.js';
import {
  directoryToolCache,
  installTrivy,
  loadTrustedRoot,
  toolCacheInstallDeps,
  type InstallOptions,
} from '../../src/trivy/install.js';
import { releaseIdentity, TRIVY_RELEASE_ISSUER } from '../../src/trivy/release.js';
import { trustedRootFromJSON } from '../../src/trivy/signature.js';
import { startLoopbackSigstore } from '../helpers/loopback-sigstore.js';
import { memoryLogger, STAND_IN } from '../helpers/stand-in-harness.js';
import { startStaticServer, type StaticServer } from '../helpers/static-server.js';

const run = promisify(execFile);

interface FakeRelease {
  version: string;
  tarball: Buffer;
  checksums: Buffer;
  tarballBundle: Buffer;
  checksumsBundle: Buffer;
}

const GENUINE = { identity: releaseIdentity('v0.75.0'), issuer: TRIVY_RELEASE_ISSUER };
const IMPOSTOR = {
  identity:
    'https://github.com/someone-else/trivy/.github/workflows/reusable-release.yaml@refs/tags/v0.75.0',
  issuer: TRIVY_RELEASE_ISSUER,
};
const ASSET = (v: string) => `trivy_${v}_Linux-64bit.tar.gz`;

let root: string;
let trustedRoot: Record<string, unknown>;
let foreignTrustedRoot: Record<string, unknown>;
let genuine: FakeRelease;
let impostor: FakeRelease;
let server: StaticServer;

async function tarballWithStandIn(dir: string): Promise<Buffer> {
  const content = path.join(dir, 'content');
  await mkdir(content, { recursive: true });
  await copyFile(STAND_IN, path.join(content, 'trivy'));
  await chmod(path.join(content, 'trivy'), 0o755);
  const out = path.join(dir, 'release.tar.gz');
  await run('tar', ['-czf', out, '-C', content, 'trivy']);
  return readFile(out);
}

function checksumsFor(version: string, tarball: Buffer): Buffer {
  const sha = createHash('sha256').update(tarball).digest('hex');
  return Buffer.from(
    `${'1'.repeat(64)}  trivy_${version}_macOS-ARM64.tar.gz\n${sha}  ${ASSET(version)}\n`,
  );
}

function serveRelease(r: FakeRelease, omit: string[] = []): Map<string, Buffer> {
  const base = `/v${r.version}`;
  const files = new Map<string, Buffer>([
    [`${base}/${ASSET(r.version)}`, r.tarball],
    [`${base}/${ASSET(r.version)}.sigstore.json`, r.tarballBundle],
    [`${base}/trivy_${r.version}_checksums.txt`, r.checksums],
    [`${base}/trivy_${r.version}_checksums.txt.sigstore.json`, r.checksumsBundle],
  ]);
  for (const o of omit) files.delete(`${base}/${o}`);
  return files;
}

beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'scg-install-'));
  const tarball = await tarballWithStandIn(root);
  const checksums = checksumsFor('0.75.0', tarball);
  const sigstore = await startLoopbackSigstore();
  const foreign = await startLoopbackSigstore();
  try {
    trustedRoot = sigstore.trustedRoot;
    foreignTrustedRoot = foreign.trustedRoot;
    const sign = async (data: Buffer, who: typeof GENUINE) =>
      Buffer.from(JSON.stringify(await sigstore.signBlob(data, who)));
    genuine = {
      version: '0.75.0',
      tarball,
      checksums,
      tarballBundle: await sign(tarball, GENUINE),
      checksumsBundle: await sign(checksums, GENUINE),
    };
    impostor = {
      ...genuine,
      tarballBundle: await sign(tarball, IMPOSTOR),
      checksumsBundle: await sign(checksums, IMPOSTOR),
    };
  } finally {
    await Promise.all([sigstore.close(), foreign.close()]);
  }
  server = await startStaticServer(serveRelease(genuine));
});

afterAll(async () => {
  await server.close();
  await rm(root, { recursive: true, force: true });
});

let toolCache: string;
let temp: string;
beforeEach(async () => {
  toolCache = await mkdtemp(path.join(root, 'toolcache-'));
  temp = await mkdtemp(path.join(root, 'temp-'));
  // @actions/tool-cache reads these itself; on a runner they are set by the runner.
  process.env.RUNNER_TOOL_CACHE = toolCache;
  process.env.RUNNER_TEMP = temp;
  server.files = serveRelease(genuine);
  server.requests.length = 0;
});
afterEach(() => {
  delete process.env.RUNNER_TOOL_CACHE;
  delete process.env.RUNNER_TEMP;
});

function options(extra: Partial<InstallOptions> = {}): InstallOptions {
  return {
    version: '0.75.0',
    platform: 'linux',
    arch: 'x64',
    allowUnsigned: false,
    baseUrl: `${server.url}/`,
    pathEnv: '',
    env: { PATH: process.env.PATH ?? '' },
    tempDir: temp,
    ...extra,
  };
}

async function deps(logger = memoryLogger(), rootDoc = trustedRoot) {
  return toolCacheInstallDeps(exec, logger, () => Promise.resolve(trustedRootFromJSON(rootDoc)));
}

async function refusal(p: Promise<unknown>): Promise<GuardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GuardError);
  expect(await readdir(toolCache)).toEqual([]);
  return err as GuardError;
}

describe('installTrivy from a release', () => {
  it('installs a correctly signed release, runs it, and reuses the tool cache afterwards', async () => {
    const logger = memoryLogger();
    const installed = await installTrivy(options(), await deps(logger));
    expect(installed).toMatchObject({
      version: '0.75.0',
      source: 'download',
      verification: 'sigstore+sha256',
    });
    expect(installed.path).toBe(path.join(toolCache, 'trivy', '0.75.0', 'x64', 'trivy'));
    const ran = await exec({ command: installed.path, args: ['--version'], env: options().env });
    expect(ran.stdout).toBe('Version: 0.75.0\n');
    expect(logger.lines.join('\n')).toContain(
      `both Sigstore bundles verify for ${GENUINE.identity}`,
    );

    server.requests.length = 0;
    const again = await installTrivy(options(), await deps());
    expect(again).toMatchObject({ path: installed.path, source: 'tool-cache' });
    expect(server.requests).toEqual([]);
  });

  it('verifies against a trusted_root.json file (the trusted-root input)', async () => {
    const file = path.join(temp, 'trusted_root.json');
    await writeFile(file, JSON.stringify(trustedRoot));
    const installed = await installTrivy(
      options(),
      await toolCacheInstallDeps(exec, memoryLogger(), () =>
        loadTrustedRoot({ file, tufCacheDir: path.join(temp, 'tuf') }),
      ),
    );
    expect(installed.verification).toBe('sigstore+sha256');
  });

  it('caches in a plain directory for the CLI, where there is no runner tool cache', async () => {
    delete process.env.RUNNER_TOOL_CACHE;
    const cliCache = directoryToolCache(path.join(temp, 'cli-tools'));
    const cliDeps = await toolCacheInstallDeps(
      exec,
      memoryLogger(),
      () => Promise.resolve(trustedRootFromJSON(trustedRoot)),
      cliCache,
    );
    const first = await installTrivy(options(), cliDeps);
    expect(first.path).toBe(path.join(temp, 'cli-tools', 'trivy', '0.75.0', 'x64', 'trivy'));
    const again = await installTrivy(options(), cliDeps);
    expect(again).toMatchObject({ path: first.path, source: 'tool-cache' });
  });

  it('refuses a tampered tarball (sha256 mismatch)', async () => {
    const tampered = Buffer.from(genuine.tarball);
    tampered.writeUInt8(tampered.readUInt8(100) ^ 0xff, 100);
    server.files = serveRelease({ ...genuine, tarball: tampered });
    const err = await refusal(installTrivy(options(), await deps()));
    expect(err.code).toBe('TRIVY_VERIFY_FAILED');
    expect(err.message).toMatch(
      /^sha256 mismatch for trivy_0\.75\.0_Linux-64bit\.tar\.gz: downloaded [0-9a-f]{64}, trivy_0\.75\.0_checksums\.txt says [0-9a-f]{64}$/,
    );
  });

  it('refuses a tampered checksums file (its signature does not verify)', async () => {
    const tampered = checksumsFor('0.75.0', Buffer.from('a different tarball'));
    server.files = serveRelease({ ...genuine, checksums: tampered });
    const err = await refusal(installTrivy(options(), await deps()));
    expect(err.code).toBe('TRIVY_VERIFY_FAILED');
    expect(err.message).toMatch(
      /^trivy_0\.75\.0_checksums\.txt: the Sigstore signature does not verify/,
    );
  });

  it('refuses a release signed by another identity', async () => {
    server.files = serveRelease(impostor);
    const err = await refusal(installTrivy(options(), await deps()));
    expect(err.message).toMatch(
      /^trivy_0\.75\.0_checksums\.txt is signed by another identity: .*someone-else/,
    );
    expect(err.message).toContain(`expected ${GENUINE.identity} from ${TRIVY_RELEASE_ISSUER}`);
  });

  it('refuses a tarball whose own bundle is from another identity, even with a genuine checksums file', async () => {
    server.files = serveRelease({ ...genuine, tarballBundle: impostor.tarballBundle });
    const err = await refusal(installTrivy(options(), await deps()));
    expect(err.message).toMatch(
      /^trivy_0\.75\.0_Linux-64bit\.tar\.gz is signed by another identity/,
    );
  });

  it('refuses signatures that do not chain to the trusted root', async () => {
    const err = await refusal(
      installTrivy(options(), await deps(memoryLogger(), foreignTrustedRoot)),
    );
    expect(err.message).toMatch(
      /^trivy_0\.75\.0_checksums\.txt: the Sigstore signature does not verify/,
    );
  });

  it('refuses a release whose tarball has no signature bundle', async () => {
    server.files = serveRelease(genuine, [`${ASSET('0.75.0')}.sigstore.json`]);
    const err = await refusal(installTrivy(options(), await deps()));
    expect(err.message).toBe(
      `Trivy v0.75.0 has no Sigstore signature bundle (${server.url}/v0.75.0/${ASSET('0.75.0')}.sigstore.json is missing), so the binary cannot be verified`,
    );
    expect(err.remedy).toMatch(/incomplete/);
  });
});

describe('installTrivy for releases older than the signed ones', () => {
  const old = (): FakeRelease => ({
    ...genuine,
    version: '0.60.0',
    checksums: checksumsFor('0.60.0', genuine.tarball),
  });

  it('refuses an unsigned release and names the opt-out', async () => {
    server.files = serveRelease(old(), [
      `${ASSET('0.60.0')}.sigstore.json`,
      'trivy_0.60.0_checksums.txt.sigstore.json',
    ]);
    const err = await refusal(installTrivy(options({ version: 'v0.60.0' }), await deps()));
    expect(err.message).toMatch(/^Trivy v0\.60\.0 has no Sigstore signature bundle/);
    expect(err.remedy).toMatch(/trivy-allow-unsigned: true/);
  });

  it('installs it with trivy-allow-unsigned, after the sha256 check, with a visible warning', async () => {
    server.files = serveRelease(old(), [
      `${ASSET('0.60.0')}.sigstore.json`,
      'trivy_0.60.0_checksums.txt.sigstore.json',
    ]);
    const logger = memoryLogger();
    const installed = await installTrivy(
      options({ version: '0.60.0', allowUnsigned: true }),
      await deps(logger),
    );
    expect(installed).toMatchObject({ version: '0.60.0', verification: 'sha256-only' });
    expect(logger.lines.join('\n')).toMatch(
      /^warning: trivy-allow-unsigned is set: .* NOT authenticated/m,
    );
  });

  it('still refuses a tampered tarball with trivy-allow-unsigned', async () => {
    const tampered = Buffer.concat([genuine.tarball, Buffer.from('x')]);
    server.files = serveRelease({ ...old(), tarball: tampered }, [
      `${ASSET('0.60.0')}.sigstore.json`,
      'trivy_0.60.0_checksums.txt.sigstore.json',
    ]);
    const err = await refusal(
      installTrivy(options({ version: '0.60.0', allowUnsigned: true }), await deps()),
    );
    expect(err.message).toMatch(/^sha256 mismatch/);
  });
});

describe('installTrivy with trivy on PATH', () => {
  async function pathWithTrivy(): Promise<string> {
    const bin = await mkdtemp(path.join(root, 'bin-'));
    await copyFile(STAND_IN, path.join(bin, 'trivy'));
    await chmod(path.join(bin, 'trivy'), 0o755);
    return [bin, process.env.PATH ?? ''].join(path.delimiter);
  }

  it('uses it when its version is the requested one, downloading nothing', async () => {
    const pathEnv = await pathWithTrivy();
    const installed = await installTrivy(
      options({ pathEnv, env: { PATH: pathEnv } }),
      await deps(),
    );
    expect(installed).toMatchObject({
      source: 'path',
      version: '0.75.0',
      verification: 'not-by-this-action',
    });
    expect(server.requests).toEqual([]);
  });

  it('ignores it when the version differs, and installs the requested one', async () => {
    const pathEnv = await pathWithTrivy();
    server.files = serveRelease(
      { ...genuine, version: '0.70.0', checksums: checksumsFor('0.70.0', genuine.tarball) },
      [`${ASSET('0.70.0')}.sigstore.json`],
    );
    const logger = memoryLogger();
    const err = await refusal(
      installTrivy(
        options({ version: '0.70.0', pathEnv, env: { PATH: pathEnv } }),
        await deps(logger),
      ),
    );
    expect(logger.lines[0]).toMatch(
      /^Ignoring .*trivy \(version 0\.75\.0\): trivy-version asks for 0\.70\.0$/,
    );
    expect(err.message).toMatch(/no Sigstore signature bundle/);
  });
});
