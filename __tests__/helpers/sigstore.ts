/**
 * Starts the loopback Sigstore services (sigstore-server.ts) in a child process, so nothing the
 * tests block on can stall them, and stops it by PID. Also mints the unsigned JWTs the mock
 * Fulcio accepts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TestSigstore {
  readonly url: string;
  /** trusted_root.json files: ours, and one from unrelated keys. */
  readonly trustedRootFile: string;
  readonly foreignTrustedRootFile: string;
  stats(): Promise<{ fulcio: number; rekor: number; tsa: number }>;
  fault(service: 'fulcio' | 'rekor' | 'tsa', status: number, times: number): Promise<void>;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export async function startSigstore(): Promise<TestSigstore> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'sigstore-server.ts')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const line = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => reject(new Error(`sigstore mock exited with ${code}: ${err}`)));
  });
  const info = JSON.parse(line) as {
    url: string;
    trustedRoot: unknown;
    foreignTrustedRoot: unknown;
  };
  const dir = await mkdtemp(path.join(tmpdir(), 'scg-sigstore-'));
  const trustedRootFile = path.join(dir, 'trusted_root.json');
  const foreignTrustedRootFile = path.join(dir, 'foreign_trusted_root.json');
  await writeFile(trustedRootFile, JSON.stringify(info.trustedRoot));
  await writeFile(foreignTrustedRootFile, JSON.stringify(info.foreignTrustedRoot));
  return {
    url: info.url,
    trustedRootFile,
    foreignTrustedRootFile,
    async stats() {
      const res = await fetch(`${info.url}/__stats`);
      return (await res.json()) as { fulcio: number; rekor: number; tsa: number };
    },
    async fault(service, status, times) {
      await fetch(`${info.url}/__fault`, {
        method: 'POST',
        body: JSON.stringify({ service, status, times }),
      });
    },
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

/** An unsigned JWT (the mock Fulcio does not check signatures) with GitHub-like claims. */
export function fakeIdToken(
  claims: { sub: string; iss?: string } & Record<string, string>,
): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({
    iss: 'https://token.actions.githubusercontent.com',
    aud: 'sigstore',
    iat: now,
    exp: now + 600,
    ...claims,
  })}.`;
}
