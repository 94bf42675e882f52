/**
 * Network errors (a connection closed without an answer) on a loopback registry and token
 * service: retried with backoff within the budget, then reported naming the registry.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { RegistryClient } from '../../src/oci/client.js';
import { staticCredentials } from '../../src/oci/credentials.js';

let server: Server;
let host: string;
/** How many more requests to each path get their connection dropped. */
const drops = { registry: 0, token: 0 };

beforeAll(async () => {
  server = createServer((req, res) => {
    const isToken = (req.url ?? '').startsWith('/token');
    const kind = isToken ? 'token' : 'registry';
    if (drops[kind] > 0) {
      drops[kind]--;
      req.socket.destroy();
      return;
    }
    if (isToken) {
      res.writeHead(200).end('{"token":"t"}');
    } else if (req.headers.authorization !== 'Bearer t') {
      res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://${host}/token",service="test"`,
        })
        .end();
    } else {
      res
        .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
        .end('{"schemaVersion":2}');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const a = server.address();
  host = `127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  drops.registry = 0;
  drops.token = 0;
});

function client(delays: number[]): RegistryClient {
  return new RegistryClient({
    credentials: staticCredentials('bot', 'pw'),
    retry: { retries: 2, minDelayMs: 10, maxDelayMs: 1000 },
    sleep: async (ms) => {
      delays.push(ms);
    },
  });
}

describe('registry client network errors', () => {
  it.each([
    ['the registry', 'registry'],
    ['the token service', 'token'],
  ] as const)('retries a dropped connection to %s with backoff', async (_, kind) => {
    drops[kind] = 2;
    const delays: number[] = [];
    const got = await client(delays).getManifest({ registry: host, repository: 'o/a' }, 'v1');
    expect(got?.bytes.toString()).toBe('{"schemaVersion":2}');
    expect(delays).toEqual([10, 20]);
  });

  it('gives up on the registry after the budget, naming the registry and the request', async () => {
    drops.registry = 3;
    const err = await client([])
      .getManifest({ registry: host, repository: 'o/a' }, 'v1')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GuardError);
    expect((err as GuardError).message).toMatch(new RegExp(`^${host}/o/a: GET manifest .* failed`));
    expect((err as GuardError).remedy).toBe(`check that ${host} is reachable from the runner`);
  });

  it('gives up on the token service after the budget, naming it', async () => {
    drops.token = 3;
    const err = await client([])
      .getManifest({ registry: host, repository: 'o/a' }, 'v1')
      .catch((e: unknown) => e);
    expect((err as GuardError).message).toBe(`${host}: token service ${host} unreachable`);
  });
});
