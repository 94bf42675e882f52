import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { RegistryClient } from '../../src/oci/client.js';
import { staticCredentials, type CredentialSource } from '../../src/oci/credentials.js';
import { sha256Digest } from '../../src/oci/manifest.js';
import { parseImageReference } from '../../src/oci/reference.js';
import { startFaultProxy, type FaultProxy } from '../helpers/registry-faults.js';
import {
  hasRegistry,
  pushTinyImage,
  startRegistry,
  type TestRegistry,
} from '../helpers/registry.js';

const anonymous: CredentialSource = { get: () => Promise.resolve(undefined) };
const fastRetry = { retries: 3, minDelayMs: 5, maxDelayMs: 2000 };

describe.skipIf(!hasRegistry)(
  `RegistryClient against docker-registry${hasRegistry ? '' : ' (SKIPPED: /usr/bin/docker-registry missing)'}`,
  () => {
    describe('without auth', () => {
      let reg: TestRegistry;
      let proxy: FaultProxy;
      beforeAll(async () => {
        reg = await startRegistry();
        proxy = await startFaultProxy(reg.host);
      });
      afterAll(async () => {
        await proxy?.close();
        await reg?.stop();
      });

      it('resolves a tag to the digest of the manifest bytes', async () => {
        const digest = await pushTinyImage(reg, 'demo/app', 'v1');
        const client = new RegistryClient({ credentials: anonymous });
        const m = await client.resolveDigest(parseImageReference(`${reg.host}/demo/app:v1`));
        expect(m.digest).toBe(digest);
        expect(m.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      });

      it('says which registry, repository and tag is missing', async () => {
        const client = new RegistryClient({ credentials: anonymous });
        await expect(
          client.resolveDigest(parseImageReference(`${reg.host}/demo/nothing:v9`)),
        ).rejects.toThrow(`${reg.host}/demo/nothing:v9: manifest not found (404)`);
      });

      it('uploads monolithic and chunked blobs, skips existing ones and mounts across repositories', async () => {
        const client = new RegistryClient({ credentials: anonymous, chunkSize: 1000 });
        const repo = { registry: reg.host, repository: 'demo/blobs' };
        const small = randomBytes(100);
        const big = randomBytes(3500);
        expect(await client.pushBlob(repo, small)).toBe(sha256Digest(small));
        expect(await client.pushBlob(repo, big)).toBe(sha256Digest(big));
        expect((await client.getBlob(repo, sha256Digest(big))).equals(big)).toBe(true);
        expect(await client.blobExists(repo, sha256Digest(randomBytes(8)))).toBe(false);
        const other = { registry: reg.host, repository: 'demo/other' };
        await client.pushBlob(other, big, { mountFrom: 'demo/blobs' });
        expect(await client.blobExists(other, sha256Digest(big))).toBe(true);
      });

      it('counts the chunks: one PATCH per chunk, then the closing PUT', async () => {
        const client = new RegistryClient({ credentials: anonymous, chunkSize: 1000 });
        const repo = { registry: proxy.host, repository: 'demo/chunks' };
        const before = proxy.log.length;
        await client.pushBlob(repo, randomBytes(2500));
        const methods = proxy.log.slice(before).map((l) => l.method);
        expect(methods).toEqual(['HEAD', 'POST', 'PATCH', 'PATCH', 'PATCH', 'PUT']);
      });

      it('retries 429 honouring Retry-After, then succeeds', async () => {
        const digest = await pushTinyImage(reg, 'demo/retry', 'v1');
        const waits: number[] = [];
        const client = new RegistryClient({
          credentials: anonymous,
          retry: fastRetry,
          sleep: (ms) => {
            waits.push(ms);
            return Promise.resolve();
          },
        });
        proxy.add({
          path: '/v2/demo/retry/manifests/v1',
          status: 429,
          headers: { 'retry-after': '1' },
          times: 2,
        });
        const m = await client.resolveDigest(parseImageReference(`${proxy.host}/demo/retry:v1`));
        expect(m.digest).toBe(digest);
        expect(waits).toEqual([1000, 1000]);
      });

      it('retries 500 with backoff, then succeeds; gives up after the retry budget naming the status', async () => {
        await pushTinyImage(reg, 'demo/five', 'v1');
        const waits: number[] = [];
        const client = new RegistryClient({
          credentials: anonymous,
          retry: fastRetry,
          sleep: (ms) => {
            waits.push(ms);
            return Promise.resolve();
          },
        });
        proxy.add({ path: '/v2/demo/five/manifests/v1', status: 500, times: 1 });
        await client.resolveDigest(parseImageReference(`${proxy.host}/demo/five:v1`));
        expect(waits).toEqual([5]);
        proxy.add({ path: '/v2/demo/five/manifests/v1', status: 503, times: 4 });
        await expect(
          client.resolveDigest(parseImageReference(`${proxy.host}/demo/five:v1`)),
        ).rejects.toThrow(/demo\/five: GET manifest v1: HTTP 503/);
        expect(waits).toEqual([5, 5, 10, 20]);
      });
    });

    describe('with htpasswd', () => {
      let reg: TestRegistry;
      beforeAll(async () => {
        reg = await startRegistry({ username: 'ci', password: 's3cret-pw' });
      });
      afterAll(async () => {
        await reg?.stop();
      });

      it('authenticates with basic auth from the challenge', async () => {
        const digest = await pushTinyImage(reg, 'priv/app', 'v1');
        const client = new RegistryClient({ credentials: staticCredentials('ci', 's3cret-pw') });
        const m = await client.resolveDigest(parseImageReference(`${reg.host}/priv/app:v1`));
        expect(m.digest).toBe(digest);
        const bytes = Buffer.from('{"hello":1}');
        await client.pushBlob({ registry: reg.host, repository: 'priv/app' }, bytes);
      });

      it('fails a wrong password with 401 naming the registry and repository, without the password', async () => {
        const client = new RegistryClient({ credentials: staticCredentials('ci', 'wrong-pw') });
        const err = await client
          .resolveDigest(parseImageReference(`${reg.host}/priv/app:v1`))
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GuardError);
        const g = err as GuardError;
        expect(g.message).toContain(`${reg.host}/priv/app`);
        expect(g.message).toContain('authentication failed (401)');
        expect(g.remedy).toMatch(/registry-username/);
        expect(`${g.message} ${g.remedy}`).not.toContain('wrong-pw');
      });

      it('asks for a login when there are no credentials at all', async () => {
        const client = new RegistryClient({ credentials: anonymous });
        await expect(
          client.resolveDigest(parseImageReference(`${reg.host}/priv/app:v1`)),
        ).rejects.toThrow(/requires a login/);
      });
    });
  },
);

/**
 * The token flow of the distribution auth spec, served on loopback: 401 with a Bearer
 * challenge, a token service that checks basic credentials and the requested scope, and
 * manifests that need the token. (docker-registry's own token auth needs a signing CA.)
 */
describe('RegistryClient token auth', () => {
  let server: Server;
  let host = '';
  const tokenRequests: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/token') {
        tokenRequests.push(url.search);
        const ok =
          req.headers.authorization === `Basic ${Buffer.from('bot:pw').toString('base64')}`;
        if (!ok) {
          res
            .writeHead(401)
            .end('{"errors":[{"code":"UNAUTHORIZED","message":"bad credentials"}]}');
          return;
        }
        const scopes = url.searchParams.getAll('scope').join(' ');
        res
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ token: `tok ${scopes}` }));
        return;
      }
      const auth = req.headers.authorization ?? '';
      const needs = req.method === 'GET' ? 'repository:o/a:pull' : 'repository:o/a:pull,push';
      if (!auth.startsWith('Bearer tok ') || !auth.includes(needs)) {
        res
          .writeHead(401, {
            'www-authenticate': `Bearer realm="http://${host}/token",service="test-registry",scope="${needs}"`,
          })
          .end();
        return;
      }
      if (req.method === 'GET') {
        res
          .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
          .end('{"schemaVersion":2}');
      } else {
        req.resume();
        req.on('end', () => res.writeHead(201).end());
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    host = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('gets a pull token, then a push token for writes, each with the scope and service', async () => {
    const client = new RegistryClient({ credentials: staticCredentials('bot', 'pw') });
    const repo = { registry: host, repository: 'o/a' };
    expect((await client.getManifest(repo, 'v1'))?.bytes.toString()).toBe('{"schemaVersion":2}');
    await client.putManifest(
      repo,
      'v2',
      Buffer.from('{}'),
      'application/vnd.oci.image.manifest.v1+json',
    );
    // A second read reuses the cached pull token.
    await client.getManifest(repo, 'v1');
    expect(tokenRequests).toEqual([
      '?service=test-registry&scope=repository%3Ao%2Fa%3Apull',
      '?service=test-registry&scope=repository%3Ao%2Fa%3Apull%2Cpush',
    ]);
  });

  it('reports a refused token with the registry, repository and remedy', async () => {
    const client = new RegistryClient({ credentials: staticCredentials('bot', 'nope') });
    const err = await client
      .getManifest({ registry: host, repository: 'o/a' }, 'v1')
      .catch((e: unknown) => e);
    expect((err as GuardError).message).toBe(
      `${host}/o/a: the token service refused pull access (401): UNAUTHORIZED: bad credentials`,
    );
    expect((err as GuardError).remedy).toBe('check the credentials for this registry');
  });
});
