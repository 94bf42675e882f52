import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../src/github/client.js';
import { commentMarker, pullRequestNumber, upsertStickyComment } from '../../src/github/comment.js';
import type { Logger } from '../../src/github/code-scanning.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/github-api-server.js';

const TOKEN = 'ghs_comment-token';
const PR = 42;

class MemoryLog implements Logger {
  readonly warnings: string[] = [];
  info(): void {}
  warning(m: string): void {
    this.warnings.push(m);
  }
}

let gh: FakeGitHub;
beforeAll(async () => {
  gh = await startFakeGitHub({ owner: 'octo', repo: 'app', token: TOKEN, pulls: [PR] });
});
afterAll(async () => {
  await gh.close();
});
beforeEach(() => {
  gh.comments.clear();
  gh.requests.length = 0;
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
});

function deps() {
  return {
    client: createGitHubClient({
      baseUrl: gh.url,
      token: TOKEN,
      sleep: async () => {},
      retryDelayMs: 1,
    }),
    log: new MemoryLog(),
  };
}

const params = (body: string, key = 'build/image:app') => ({
  owner: 'octo',
  repo: 'app',
  issueNumber: PR,
  key,
  body,
});

function ours(key = 'build/image:app') {
  return [...gh.comments.values()].filter((c) => c.body.startsWith(commentMarker(key)));
}

describe('the sticky PR comment against a schema-checked issues API', () => {
  it('creates one comment (201) on the first run and updates it in place on the second', async () => {
    const first = await upsertStickyComment(deps(), params('run 1'));
    expect(first).toMatchObject({ kind: 'created', removed: 0 });
    const second = await upsertStickyComment(deps(), params('run 2'));
    expect(second).toMatchObject({ kind: 'updated', removed: 0 });
    expect(second.kind !== 'skipped' && first.kind !== 'skipped' && second.id).toBe(
      first.kind !== 'skipped' && first.id,
    );
    expect(ours().map((c) => c.body)).toEqual([`${commentMarker('build/image:app')}\nrun 2`]);
  });

  it('keeps comments of other keys and of people alone', async () => {
    gh.seedComment(PR, 'LGTM @someone');
    gh.seedComment(PR, `${commentMarker('other-leg')}\nother leg`);
    await upsertStickyComment(deps(), params('mine'));
    await upsertStickyComment(deps(), params('mine again'));
    expect(gh.comments.size).toBe(3);
    expect(ours()).toHaveLength(1);
  });

  it('finds its comment beyond the first page of 100 comments', async () => {
    const mine = gh.seedComment(PR, `${commentMarker('build/image:app')}\nold`);
    for (let i = 0; i < 150; i++) gh.seedComment(PR, `chatter ${i}`);
    const out = await upsertStickyComment(deps(), params('new'));
    expect(out).toMatchObject({ kind: 'updated', id: mine.id });
    const pages = gh.requests.filter((r) => r.operationId === 'issues/list-comments');
    expect(pages).toHaveLength(2);
  });

  it('leaves exactly one comment when two runs race (both list empty, both create)', async () => {
    // Both runs must see the empty list before either creates: a barrier, not a sleep.
    gh.barrier('issues/list-comments', 2);
    const [a, b] = await Promise.all([
      upsertStickyComment(deps(), params('from run A')),
      upsertStickyComment(deps(), params('from run B')),
    ]);
    expect(gh.requests.filter((r) => r.operationId === 'issues/create-comment')).toHaveLength(2);
    const left = ours();
    expect(left).toHaveLength(1);
    expect(
      ['from run A', 'from run B'].map((t) => `${commentMarker('build/image:app')}\n${t}`),
    ).toContain(left[0]!.body);
    // Both report the surviving comment.
    expect([a, b].map((o) => o.kind !== 'skipped' && o.id)).toEqual([left[0]!.id, left[0]!.id]);
  });

  it('deletes duplicates an older version left behind and keeps the oldest', async () => {
    const oldest = gh.seedComment(PR, `${commentMarker('build/image:app')}\n1`);
    gh.seedComment(PR, `${commentMarker('build/image:app')}\n2`);
    const out = await upsertStickyComment(deps(), params('3'));
    expect(out).toMatchObject({ kind: 'updated', id: oldest.id, removed: 1 });
    expect(ours()).toHaveLength(1);
  });

  it('posts the short fallback when GitHub answers 422 (body too long)', async () => {
    gh.script('issues/create-comment', {
      status: 422,
      body: {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'IssueComment',
            code: 'custom',
            field: 'body',
            message: 'body is too long (maximum is 65536 characters)',
          },
        ],
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const d = deps();
    const out = await upsertStickyComment(d, {
      ...params('long'),
      fallbackBody: 'see the job summary',
    });
    expect(out.kind).toBe('created');
    expect(ours()[0]!.body).toContain('see the job summary');
    expect(d.log.warnings[0]).toContain('too long');
  });

  it('turns a fork read-only token (403) into a warning naming pull-requests: write', async () => {
    gh.script('issues/create-comment', {
      status: 403,
      body: {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      },
    });
    const d = deps();
    const out = await upsertStickyComment(d, params('x'));
    expect(out.kind).toBe('skipped');
    expect(d.log.warnings[0]).toContain('pull-requests: write');
    expect(d.log.warnings[0]).not.toContain(TOKEN);
  });

  it('warns on a PR that does not exist (404) instead of failing the job', async () => {
    const d = deps();
    const out = await upsertStickyComment(d, { ...params('x'), issueNumber: 999 });
    expect(out.kind).toBe('skipped');
  });

  it('retries a 502 on listing and then succeeds', async () => {
    gh.script('issues/list-comments', { status: 502, body: { message: 'Server Error' } });
    const out = await upsertStickyComment(deps(), params('x'));
    expect(out.kind).toBe('created');
  });

  it('refuses a body over 65,536 characters before calling GitHub', async () => {
    await expect(upsertStickyComment(deps(), params('x'.repeat(70_000)))).rejects.toThrow(
      /over GitHub's 65536/,
    );
    expect(gh.requests).toHaveLength(0);
  });
});

describe('the schema-checking stand-in', () => {
  it('flags a request GitHub would reject (so the suites above can fail)', async () => {
    const res = await fetch(`${gh.url}/repos/octo/app/issues/${PR}/comments?per_page=many`, {
      headers: { authorization: `Bearer ${TOKEN}`, 'x-github-api-version': '2022-11-28' },
    });
    expect(res.status).toBe(200);
    const flagged = gh.violations.splice(0);
    expect(flagged.join('\n')).toMatch(/per_page=many.*must be integer/);
  });
});

describe('pullRequestNumber', () => {
  it.each([
    ['pull_request', { pull_request: { number: 5 } }, 5],
    ['pull_request_target', { pull_request: { number: 6 } }, 6],
    ['issue_comment on a PR', { issue: { number: 7, pull_request: {} } }, 7],
    ['issue_comment on an issue', { issue: { number: 8 } }, undefined],
    ['push', { ref: 'refs/heads/main' }, undefined],
    ['pull_request with a broken payload', { pull_request: { number: '5' } }, undefined],
  ])('%s', (name, payload, expected) => {
    const event = name.split(' ')[0];
    expect(pullRequestNumber(event, payload)).toBe(expected);
  });
});
