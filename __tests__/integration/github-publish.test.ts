/**
 * The publish phase end to end against the schema-checked local GitHub: a fan-in job with
 * several corpus reports on a `pull_request` event gives ONE comment (created, then updated
 * on the next run) and ONE SARIF upload with one run per target.
 */
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubClient } from '../../src/github/client.js';
import { commentMarker } from '../../src/github/comment.js';
import {
  defaultCommentKey,
  fallbackComment,
  isForkPullRequest,
  parseRepository,
  publishToGitHub,
} from '../../src/github/publish.js';
import type { Decisions, ScanReport } from '../../src/model.js';
import { renderComment } from '../../src/render/markdown.js';
import { renderSarif, type SarifLog } from '../../src/render/sarif.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { counted } from '../helpers/render-findings.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/github-api-server.js';

const TOKEN = 'ghs_publish';
const MERGE_SHA = 'c'.repeat(40);
const PR = 12;
const LEGS = [
  'trivy-json/image/alpine-39.json',
  'trivy-json/image/centos-7.json',
  'trivy-json/fs/npm.json',
  'trivy-json/config/action-v0.72.0-config-tf.json',
  'trivy-json/secret/secrets.json',
];

const event = {
  eventName: 'pull_request',
  sha: MERGE_SHA,
  ref: `refs/pull/${PR}/merge`,
  payload: {
    number: PR,
    pull_request: {
      number: PR,
      head: { sha: 'd'.repeat(40), repo: { full_name: 'octo/app' } },
      base: { repo: { full_name: 'octo/app' } },
    },
  },
};

let gh: FakeGitHub;
const warnings: string[] = [];
beforeAll(async () => {
  gh = await startFakeGitHub({ owner: 'octo', repo: 'app', token: TOKEN, pulls: [PR] });
  gh.processing({ pendingPolls: 0 });
});
afterAll(async () => {
  await gh.close();
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
});

function deps() {
  return {
    client: createGitHubClient({ baseUrl: gh.url, token: TOKEN, sleep: async () => {} }),
    log: { info: () => {}, warning: (m: string) => warnings.push(m) },
    sleep: async () => {},
  };
}

function noPolicy(reports: readonly ScanReport[]): Decisions {
  return counted(reports.flatMap((r) => r.findings));
}

describe.skipIf(!HAS_CORPUS)('fan-in publish on a pull_request event', () => {
  const reports = LEGS.map((f) => parseTrivyReport(readFileSync(corpusPath(f), 'utf8'), f));
  const decisions = noPolicy(reports);
  const verdict = { pass: false, reasons: ['findings at HIGH or above'], newOnly: false };
  const body = (run: number): string =>
    renderComment(reports, decisions, {
      verdict,
      failOn: 'high',
      title: `run ${run}`,
      runUrl: 'https://github.com/octo/app/actions/runs/1',
    });
  const input = (run: number) => ({
    repository: 'octo/app',
    event,
    sarif: renderSarif(reports, decisions, { toolVersion: '0.1.0' }).log,
    comment: {
      key: defaultCommentKey('scan', undefined),
      body: body(run),
      fallbackBody: fallbackComment(undefined, 'failed'),
    },
  });

  it('first run: uploads one SARIF with a run per target to the merge ref and creates one comment', async () => {
    const out = await publishToGitHub(deps(), input(1));
    expect(out.upload).toMatchObject({ kind: 'uploaded', pending: [] });
    expect(out.comment).toMatchObject({ kind: 'created' });
    expect(gh.uploads).toHaveLength(1);
    const sarif = gh.uploads[0]!.sarif as SarifLog;
    expect(gh.uploads[0]).toMatchObject({ commit_sha: MERGE_SHA, ref: `refs/pull/${PR}/merge` });
    expect(sarif.runs.map((r) => r.automationDetails.id)).toEqual([
      'image:testdata/fixtures/images/alpine-39.tar.gz/',
      'image:testdata/fixtures/images/centos-7.tar.gz/',
      'fs:testdata/fixtures/repo/npm/',
      'fs:test/data/config-scan/',
      'fs:testdata/fixtures/repo/secrets/',
    ]);
    expect(gh.comments.size).toBe(1);
    expect([...gh.comments.values()][0]!.body).toContain('run 1');
  });

  it('second run: updates the same comment in place, never a second one', async () => {
    const before = [...gh.comments.keys()];
    const out = await publishToGitHub(deps(), input(2));
    expect(out.comment).toMatchObject({ kind: 'updated', id: before[0] });
    expect([...gh.comments.keys()]).toEqual(before);
    const c = [...gh.comments.values()][0]!;
    expect(c.body.startsWith(commentMarker('scan/all'))).toBe(true);
    expect(c.body).toContain('run 2');
  });

  it('a fork pull request with a read-only token: both refused (403), both warnings, no failure', async () => {
    warnings.length = 0;
    const denied = {
      status: 403,
      body: {
        message: 'Resource not accessible by integration',
        documentation_url: 'https://docs.github.com/rest',
      },
    };
    gh.script('code-scanning/upload-sarif', denied);
    gh.script('issues/create-comment', denied);
    gh.comments.clear();
    const forkEvent = {
      ...event,
      payload: {
        pull_request: {
          ...event.payload.pull_request,
          head: { sha: 'd'.repeat(40), repo: { full_name: 'someone/app' } },
        },
      },
    };
    const out = await publishToGitHub(deps(), { ...input(4), event: forkEvent });
    expect(out.upload?.kind).toBe('skipped');
    expect(out.comment?.kind).toBe('skipped');
    expect(warnings.join('\n')).toMatch(/security-events: write[\s\S]*pull-requests: write/);
  });

  it('on a push event: uploads, and writes no comment', async () => {
    gh.requests.length = 0;
    const out = await publishToGitHub(deps(), {
      ...input(3),
      event: { eventName: 'push', sha: MERGE_SHA, ref: 'refs/heads/main', payload: {} },
    });
    expect(out.comment).toBeUndefined();
    expect(gh.requests.some((r) => r.operationId?.startsWith('issues/'))).toBe(false);
    expect(gh.uploads.at(-1)!.ref).toBe('refs/heads/main');
  });
});

describe('publish helpers', () => {
  it('parses owner/repo and names GITHUB_REPOSITORY when it cannot', () => {
    expect(parseRepository('octo/app')).toEqual({ owner: 'octo', repo: 'app' });
    expect(() => parseRepository('nope')).toThrow(/GITHUB_REPOSITORY "nope"/);
  });
  it('recognises a pull request from a fork', () => {
    const pr = (head: string) => ({
      pull_request: {
        head: { repo: { full_name: head } },
        base: { repo: { full_name: 'octo/app' } },
      },
    });
    expect(isForkPullRequest(pr('someone/app'))).toBe(true);
    expect(isForkPullRequest(pr('octo/app'))).toBe(false);
    expect(isForkPullRequest({})).toBe(false);
  });
});
