import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createGitHubClient, GitHubApiError } from '../../src/github/client.js';

const TOKEN = 'ghs_secret-value';

/** A port that was free a moment ago and has nothing listening now. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('createGitHubClient', () => {
  it('retries a refused connection with backoff, then fails naming the host but not the token', async () => {
    const port = await closedPort();
    const sleeps: number[] = [];
    const client = createGitHubClient({
      baseUrl: `http://127.0.0.1:${port}`,
      token: TOKEN,
      attempts: 3,
      retryDelayMs: 100,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    });
    const err = await client
      .request('GET', '/repos/o/r/issues/1/comments')
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      code: 'GITHUB_API_FAILED',
      remedy: expect.stringContaining(`127.0.0.1:${port}`),
    });
    expect(String((err as Error).message)).not.toContain(TOKEN);
    expect(sleeps).toEqual([100, 200]);
  });

  it('does not retry a 4xx, and carries the status and a non-JSON message', async () => {
    let calls = 0;
    const server = createServer((_, res) => {
      calls += 1;
      res.writeHead(400, { 'content-type': 'text/plain' }).end('plain text problem');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const client = createGitHubClient({
        baseUrl: `http://127.0.0.1:${port}/`,
        token: TOKEN,
        sleep: async () => {},
      });
      const err = await client.request('POST', '/x', { body: {} }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GitHubApiError);
      expect(err).toMatchObject({ status: 400 });
      expect(calls).toBe(1);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
