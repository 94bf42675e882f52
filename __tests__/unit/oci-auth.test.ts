import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseChallenge, parseRetryAfter } from '../../src/oci/challenge.js';
import { dockerConfigCredentials, type HelperRunner } from '../../src/oci/credentials.js';

describe('parseChallenge', () => {
  it.each([
    [
      'Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/a:pull"',
      {
        scheme: 'bearer',
        realm: 'https://ghcr.io/token',
        service: 'ghcr.io',
        scope: 'repository:o/a:pull',
      },
    ],
    ['Basic realm="test-realm"', { scheme: 'basic', realm: 'test-realm' }],
    ['basic', { scheme: 'basic' }],
    ['Bearer service="x"', undefined],
    ['Negotiate abc', undefined],
    [null, undefined],
  ])('%j', (header, expected) => {
    expect(parseChallenge(header)).toEqual(expected);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it.each([
    ['3', 3000],
    ['0', 0],
    ['Thu, 01 Jan 2026 00:00:05 GMT', 5000],
    ['Wed, 31 Dec 2025 00:00:00 GMT', 0],
    ['soon', undefined],
    [null, undefined],
  ])('%j', (header, ms) => {
    expect(parseRetryAfter(header, now)).toBe(ms);
  });
});

describe('dockerConfigCredentials', () => {
  let dir = '';
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function withConfig(config: unknown): Promise<string> {
    dir = await mkdtemp(path.join(tmpdir(), 'scg-docker-'));
    await writeFile(path.join(dir, 'config.json'), JSON.stringify(config));
    return dir;
  }

  it('reads base64 auths by bare host and by URL, Docker Hub under its v1 key', async () => {
    const b64 = (s: string): string => Buffer.from(s).toString('base64');
    const configDir = await withConfig({
      auths: {
        'ghcr.io': { auth: b64('octo:ghp_secret') },
        'https://registry.example.com': { auth: b64('u:p:with:colons') },
        'https://index.docker.io/v1/': { auth: b64('hub:pw') },
      },
    });
    const source = dockerConfigCredentials({ configDir });
    expect(await source.get('ghcr.io')).toEqual({ username: 'octo', password: 'ghp_secret' });
    expect(await source.get('registry.example.com')).toEqual({
      username: 'u',
      password: 'p:with:colons',
    });
    expect(await source.get('docker.io')).toEqual({ username: 'hub', password: 'pw' });
    expect(await source.get('quay.io')).toBeUndefined();
  });

  it('runs the credential helper for the host with the server URL, and falls back to anonymous on failure', async () => {
    const calls: [string, string][] = [];
    const runHelper: HelperRunner = (helper, url) => {
      calls.push([helper, url]);
      if (url === 'broken.example.com') return Promise.reject(new Error('credentials not found'));
      return Promise.resolve(JSON.stringify({ ServerURL: url, Username: 'AWS', Secret: 'tok' }));
    };
    const configDir = await withConfig({
      credHelpers: {
        '123.dkr.ecr.us-east-1.amazonaws.com': 'ecr-login',
        'broken.example.com': 'pass',
      },
      credsStore: 'desktop',
    });
    const source = dockerConfigCredentials({ configDir, runHelper });
    expect(await source.get('123.dkr.ecr.us-east-1.amazonaws.com')).toEqual({
      username: 'AWS',
      password: 'tok',
    });
    expect(await source.get('broken.example.com')).toBeUndefined();
    expect(await source.get('ghcr.io')).toEqual({ username: 'AWS', password: 'tok' });
    expect(calls).toEqual([
      ['ecr-login', '123.dkr.ecr.us-east-1.amazonaws.com'],
      ['pass', 'broken.example.com'],
      ['desktop', 'ghcr.io'],
    ]);
  });

  it('treats a missing config file as anonymous', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scg-docker-'));
    expect(await dockerConfigCredentials({ configDir: dir }).get('ghcr.io')).toBeUndefined();
  });

  it('names the file when config.json is not JSON', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'scg-docker-'));
    await writeFile(path.join(dir, 'config.json'), '{nope');
    await expect(dockerConfigCredentials({ configDir: dir }).get('ghcr.io')).rejects.toThrow(
      /config\.json: not valid JSON/,
    );
  });
});
