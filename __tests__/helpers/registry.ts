/**
 * Starts Debian's `docker-registry` (distribution 2.8) on 127.0.0.1 with a temp config and
 * storage, optionally behind htpasswd basic auth, and stops it by PID. Also pushes a tiny
 * image through plain HTTP so tests have something to sign.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const REGISTRY_BINARY = '/usr/bin/docker-registry';
export const hasRegistry = existsSync(REGISTRY_BINARY);

export interface TestRegistry {
  /** `127.0.0.1:<port>` */
  readonly host: string;
  readonly username?: string;
  readonly password?: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Start a registry; with `auth`, htpasswd (bcrypt) with the given user. */
export async function startRegistry(auth?: {
  username: string;
  password: string;
}): Promise<TestRegistry> {
  const dir = await mkdtemp(path.join(tmpdir(), 'scg-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const lines = [
    'version: 0.1',
    'log:',
    '  level: info',
    '  accesslog:',
    '    disabled: true',
    'storage:',
    '  filesystem:',
    `    rootdirectory: ${path.join(dir, 'data')}`,
    '  delete:',
    '    enabled: true',
    'http:',
    `  addr: ${host}`,
  ];
  if (auth) {
    const htpasswd = path.join(dir, 'htpasswd');
    const r = spawnSync('htpasswd', ['-Bbn', auth.username, auth.password], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`htpasswd failed: ${r.stderr}`);
    await writeFile(htpasswd, r.stdout);
    lines.push('auth:', '  htpasswd:', '    realm: test-realm', `    path: ${htpasswd}`);
  }
  const configFile = path.join(dir, 'config.yml');
  await writeFile(configFile, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn(REGISTRY_BINARY, ['serve', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // The registry logs "listening on <addr>" once the socket is bound.
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const onData = (chunk: Buffer): void => {
      log += chunk.toString();
      if (log.includes('listening on')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`docker-registry exited with ${code}: ${log}`)));
  });
  return {
    host,
    ...(auth && { username: auth.username, password: auth.password }),
    async stop() {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function sha(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

function authHeader(reg: TestRegistry): Record<string, string> {
  return reg.username && reg.password
    ? {
        authorization: `Basic ${Buffer.from(`${reg.username}:${reg.password}`).toString('base64')}`,
      }
    : {};
}

async function putBlob(reg: TestRegistry, repo: string, bytes: Buffer): Promise<string> {
  const digest = sha(bytes);
  const start = await fetch(`http://${reg.host}/v2/${repo}/blobs/uploads/`, {
    method: 'POST',
    headers: authHeader(reg),
  });
  if (start.status !== 202) throw new Error(`upload start: ${start.status}`);
  const loc = new URL(start.headers.get('location') ?? '', `http://${reg.host}`);
  loc.searchParams.set('digest', digest);
  const put = await fetch(loc, { method: 'PUT', headers: authHeader(reg), body: bytes });
  if (put.status !== 201) throw new Error(`upload: ${put.status} ${await put.text()}`);
  return digest;
}

/**
 * Push a tiny single-layer image (independently of our client) and return its manifest
 * digest. `seed` makes images of different content.
 */
export async function pushTinyImage(
  reg: TestRegistry,
  repo: string,
  tag: string,
  seed = 'a',
): Promise<string> {
  const layer = Buffer.from(`tiny layer ${seed}`);
  const layerDigest = await putBlob(reg, repo, layer);
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: [layerDigest] },
      config: {},
    }),
  );
  const configDigest = await putBlob(reg, repo, config);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: configDigest,
        size: config.length,
      },
      layers: [
        {
          mediaType: 'application/vnd.oci.image.layer.v1.tar',
          digest: layerDigest,
          size: layer.length,
        },
      ],
    }),
  );
  const res = await fetch(`http://${reg.host}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json', ...authHeader(reg) },
    body: manifest,
  });
  if (res.status !== 201) throw new Error(`manifest: ${res.status} ${await res.text()}`);
  return sha(manifest);
}
