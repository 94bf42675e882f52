import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../src/github/client.js';
import { codeScanningTarget, uploadSarif, type Logger } from '../../src/github/code-scanning.js';
import type { SarifLog, SarifRun } from '../../src/render/sarif.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/github-api-server.js';

const SHA = 'a'.repeat(40);
const TOKEN = 'ghs_test-token-never-logged';

function run(category: string): SarifRun {
  return {
    tool: {
      driver: {
        name: 'supply-chain-guard',
        fullName: 'x',
        informationUri: 'https://example.com',
        version: '1',
        rules: [],
      },
    },
    automationDetails: { id: `${category}/` },
    columnKind: 'utf16CodeUnits',
    results: [],
    properties: { target: category },
  };
}

function log(runs: number): SarifLog {
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: Array.from({ length: runs }, (_, i) => run(`image:app-${i}`)),
  };
}

class MemoryLog implements Logger {
  readonly infos: string[] = [];
  readonly warnings: string[] = [];
  info(m: string): void {
    this.infos.push(m);
  }
  warning(m: string): void {
    this.warnings.push(m);
  }
}

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub({ owner: 'octo', repo: 'app', token: TOKEN, pulls: [7] });
});
afterAll(async () => {
  await gh.close();
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
  gh.requests.length = 0;
  gh.uploads.length = 0;
  gh.processing({ pendingPolls: 1 });
});

function deps(log = new MemoryLog()) {
  const sleeps: number[] = [];
  const sleep = async (ms: number): Promise<void> => {
    sleeps.push(ms);
  };
  const client = createGitHubClient({ baseUrl: gh.url, token: TOKEN, sleep, retryDelayMs: 10 });
  return { client, log, sleep, sleeps };
}

const target = { commitSha: SHA, ref: 'refs/heads/main' };

describe('uploadSarif against a schema-checked code-scanning API', () => {
  it('uploads gzip+base64 SARIF (202), polls until complete and returns the id', async () => {
    gh.processing({ pendingPolls: 2 });
    const d = deps();
    const out = await uploadSarif(
      d,
      { owner: 'octo', repo: 'app', target, sarif: log(1) },
      { pollIntervalMs: 5 },
    );
    expect(out.kind).toBe('uploaded');
    expect(gh.uploads).toHaveLength(1);
    expect(gh.uploads[0]).toMatchObject({ commit_sha: SHA, ref: 'refs/heads/main' });
    expect(gh.uploads[0]!.sarif).toEqual(log(1));
    const polls = gh.requests.filter((r) => r.operationId === 'code-scanning/get-sarif');
    expect(polls).toHaveLength(3); // pending, pending, complete
    expect(d.sleeps).toEqual([5, 5]);
  });

  it('splits more than 20 runs into several uploads (GitHub rejects more in one file)', async () => {
    gh.processing({ pendingPolls: 0 });
    const out = await uploadSarif(deps(), { owner: 'octo', repo: 'app', target, sarif: log(45) });
    expect(out.kind === 'uploaded' && out.ids).toHaveLength(3);
    expect(gh.uploads.map((u) => (u.sarif as SarifLog).runs.length)).toEqual([20, 20, 5]);
  });

  it('turns a 403 into a warning naming security-events: write', async () => {
    gh.script('code-scanning/upload-sarif', {
      status: 403,
      body: {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const d = deps();
    const out = await uploadSarif(d, { owner: 'octo', repo: 'app', target, sarif: log(1) });
    expect(out.kind).toBe('skipped');
    expect(d.log.warnings.join('\n')).toContain('security-events: write');
    expect(d.log.warnings.join('\n')).not.toContain(TOKEN);
  });

  it('fails clearly on 404 (repository unknown) with a remedy', async () => {
    await expect(
      uploadSarif(deps(), { owner: 'octo', repo: 'missing', target, sarif: log(1) }),
    ).rejects.toMatchObject({
      code: 'GITHUB_API_FAILED',
      remedy: expect.stringContaining('octo/missing'),
    });
  });

  it('retries 5xx answers and then succeeds', async () => {
    gh.processing({ pendingPolls: 0 });
    gh.script(
      'code-scanning/upload-sarif',
      { status: 502, body: { message: 'Bad Gateway' } },
      { status: 503, body: { message: 'busy' }, headers: { 'retry-after': '0' } },
    );
    const d = deps();
    const out = await uploadSarif(d, { owner: 'octo', repo: 'app', target, sarif: log(1) });
    expect(out.kind).toBe('uploaded');
    expect(gh.requests.filter((r) => r.operationId === 'code-scanning/upload-sarif')).toHaveLength(
      3,
    );
    expect(d.sleeps).toEqual([10, 0]); // backoff, then the server's retry-after
  });

  it('gives up after the configured attempts of 5xx with the status in the message', async () => {
    gh.script(
      'code-scanning/upload-sarif',
      ...Array.from({ length: 4 }, () => ({ status: 500, body: { message: 'boom' } })),
    );
    await expect(
      uploadSarif(deps(), { owner: 'octo', repo: 'app', target, sarif: log(1) }),
    ).rejects.toThrow(/500: boom/);
  });

  it('reports processing errors when GitHub fails the analysis', async () => {
    gh.processing({
      pendingPolls: 0,
      errors: ['locationFromSarifResult: expected artifact location'],
    });
    await expect(
      uploadSarif(deps(), { owner: 'octo', repo: 'app', target, sarif: log(1) }),
    ).rejects.toThrow(/could not process upload .*expected artifact location/);
  });

  it('keeps polling through a 404 right after the upload', async () => {
    gh.processing({ pendingPolls: 0 });
    gh.script('code-scanning/get-sarif', { status: 404, body: { message: 'Not Found' } });
    const out = await uploadSarif(
      deps(),
      { owner: 'octo', repo: 'app', target, sarif: log(1) },
      { pollIntervalMs: 1 },
    );
    expect(out).toMatchObject({ kind: 'uploaded', pending: [] });
  });

  it('warns (and does not fail) when processing outlasts the poll timeout', async () => {
    gh.processing({ pendingPolls: 1000 });
    let t = 0;
    const d = { ...deps(), now: () => (t += 1000) };
    const out = await uploadSarif(
      d,
      { owner: 'octo', repo: 'app', target, sarif: log(1) },
      { pollTimeoutMs: 3000 },
    );
    expect(out.kind === 'uploaded' && out.pending).toHaveLength(1);
    expect(d.log.warnings[0]).toContain('still processing');
  });
});

describe('codeScanningTarget', () => {
  const pr = { pull_request: { number: 7, head: { sha: 'b'.repeat(40) } } };
  it.each([
    [
      'push to a branch',
      { eventName: 'push', sha: SHA, ref: 'refs/heads/main' },
      { commitSha: SHA, ref: 'refs/heads/main' },
    ],
    [
      'push of a tag',
      { eventName: 'push', sha: SHA, ref: 'refs/tags/v1.2.0' },
      { commitSha: SHA, ref: 'refs/tags/v1.2.0' },
    ],
    [
      'pull_request: the merge ref',
      { eventName: 'pull_request', sha: SHA, ref: 'refs/pull/7/merge', payload: pr },
      { commitSha: SHA, ref: 'refs/pull/7/merge' },
    ],
    [
      'pull_request without GITHUB_REF',
      { eventName: 'pull_request', sha: SHA, payload: pr },
      { commitSha: SHA, ref: 'refs/pull/7/merge' },
    ],
    [
      'pull_request_target: the PR head, not the base branch',
      { eventName: 'pull_request_target', sha: SHA, ref: 'refs/heads/main', payload: pr },
      { commitSha: 'b'.repeat(40), ref: 'refs/pull/7/head' },
    ],
    [
      'schedule',
      { eventName: 'schedule', sha: SHA, ref: 'refs/heads/main' },
      { commitSha: SHA, ref: 'refs/heads/main' },
    ],
  ])('%s', (_, ctx, expected) => {
    expect(codeScanningTarget(ctx)).toEqual(expected);
  });

  it.each([
    ['no sha', { eventName: 'push', ref: 'refs/heads/main' }, /GITHUB_SHA is unset/],
    [
      'a short sha',
      { eventName: 'push', sha: 'abc', ref: 'refs/heads/main' },
      /GITHUB_SHA is "abc"/,
    ],
    [
      'a ref that is not a branch/tag/PR',
      { eventName: 'push', sha: SHA, ref: 'main' },
      /GITHUB_REF is "main"/,
    ],
  ])('refuses %s', (_, ctx, message) => {
    const t = codeScanningTarget(ctx);
    expect('error' in t && t.error).toMatch(message);
  });
});
