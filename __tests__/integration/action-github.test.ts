/**
 * The bundle (`node dist/index.js`) on a runner-like environment against the local GitHub
 * API server, which checks every request against GitHub's OpenAPI description: SARIF
 * upload and processing status, the sticky PR comment, annotations, metrics, the baseline
 * gate, the dependency snapshot and the degraded paths (403s, no artifact runtime token).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { runBundle, type BundleRun } from '../helpers/bundle.js';
import { startFakeGitHub, type FakeGitHub } from '../helpers/github-api-server.js';

const TOKEN = 'ghs_e2eTokenThatMustNeverBeLogged0123';
const OWNER = 'octo';
const REPO = 'app';
const PR = 7;
const MERGE_SHA = 'a1'.repeat(20);
const HEAD_SHA = 'b2'.repeat(20);

const IMAGE = corpusPath('trivy-json/image/alpine-39.json');
const CONFIG = corpusPath('trivy-json/config/action-v0.72.0-config-tf.json');
const SECRETS = corpusPath('trivy-json/secret/secrets.json');

const denied = {
  status: 403,
  body: {
    message: 'Resource not accessible by integration',
    documentation_url: 'https://docs.github.com/rest',
  },
};

let gh: FakeGitHub;
let work: string;

beforeAll(async () => {
  gh = await startFakeGitHub({ owner: OWNER, repo: REPO, token: TOKEN, pulls: [PR] });
  work = mkdtempSync(path.join(os.tmpdir(), 'scg-action-github-'));
});
afterAll(async () => {
  await gh?.close();
});
afterEach(() => {
  expect(gh.violations).toEqual([]);
});

/** A `pull_request` payload; `fork` makes the head repository someone else's. */
function eventFile(name: string, fork = false): string {
  const file = path.join(work, `${name}.json`);
  const repo = (full: string) => ({ full_name: full });
  writeFileSync(
    file,
    JSON.stringify({
      action: 'synchronize',
      number: PR,
      pull_request: {
        number: PR,
        head: { sha: HEAD_SHA, ref: 'feature', repo: repo(fork ? 'someone/app' : 'octo/app') },
        base: { sha: 'c3'.repeat(20), ref: 'main', repo: repo('octo/app') },
      },
      repository: repo('octo/app'),
    }),
  );
  return file;
}

/** The bundle on a `pull_request` event of octo/app, talking to the local GitHub. */
function runOnPullRequest(
  inputs: Record<string, string>,
  opts: { fork?: boolean; env?: Record<string, string> } = {},
): Promise<BundleRun> {
  return runBundle(
    { 'github-token': TOKEN, 'upload-artifact': 'false', sbom: 'none', ...inputs },
    {
      env: {
        GITHUB_API_URL: gh.url,
        GITHUB_SERVER_URL: 'https://github.com',
        GITHUB_EVENT_NAME: 'pull_request',
        GITHUB_EVENT_PATH: eventFile(opts.fork ? 'fork-event' : 'event', opts.fork),
        GITHUB_REPOSITORY: `${OWNER}/${REPO}`,
        GITHUB_SHA: MERGE_SHA,
        GITHUB_REF: `refs/pull/${PR}/merge`,
        GITHUB_RUN_ID: '4242',
        GITHUB_JOB: 'scan',
        GITHUB_WORKFLOW: 'ci',
        ...opts.env,
      },
    },
  );
}

/** Workflow commands of one kind (`error`, `warning`) in the step's stdout. */
function commands(stdout: string, kind: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith(`::${kind} `) || l.startsWith(`::${kind}::`));
}

/** The token reaches the log only in the runner's `::add-mask::` command, which hides it. */
function expectTokenMasked(stdout: string): void {
  const lines = stdout.split('\n').filter((l) => l.includes(TOKEN));
  expect(lines).toEqual([`::add-mask::${TOKEN}`]);
}

function ops(): string[] {
  return gh.requests.map((r) => r.operationId ?? `${r.method} ${r.path}`);
}

interface SarifShape {
  runs: { automationDetails: { id: string }; results: unknown[] }[];
}

describe.skipIf(!HAS_CORPUS)('the bundle against the local GitHub API', () => {
  it('fan-in on a pull_request: one SARIF upload polled to completion, one comment created then updated in place', async () => {
    gh.processing({ pendingPolls: 1 });
    const reports = [IMAGE, CONFIG, SECRETS].join('\n');
    const first = await runOnPullRequest({ 'trivy-reports': reports, 'fail-on': 'none' });
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);

    // The upload: merge commit and ref, and a body that decodes to the file written.
    expect(gh.uploads).toHaveLength(1);
    const upload = gh.uploads[0]!;
    expect(upload).toMatchObject({ commit_sha: MERGE_SHA, ref: `refs/pull/${PR}/merge` });
    const sarifFile = first.outputs['sarif-file']!;
    const written = JSON.parse(readFileSync(sarifFile, 'utf8')) as SarifShape;
    expect(upload.sarif).toEqual(written);
    expect(written.runs.map((r) => r.automationDetails.id)).toEqual([
      'image:testdata/fixtures/images/alpine-39.tar.gz/',
      'fs:test/data/config-scan/',
      'fs:testdata/fixtures/repo/secrets/',
    ]);
    expect(written.runs.map((r) => r.results.length)).toEqual([6, 8, 2]);
    // Pending once, then complete: two status polls of the one upload.
    expect(ops().filter((o) => o === 'code-scanning/get-sarif')).toHaveLength(2);
    expect(first.stdout).toContain(`code scanning processed upload ${upload.id}`);

    // Exactly one comment, with the marker for the job's default key.
    expect(gh.comments.size).toBe(1);
    const [comment] = [...gh.comments.values()];
    expect(comment!.issue).toBe(PR);
    // The default key is the job and the targets' categories (tag-free), sorted.
    const key = encodeURIComponent(
      'scan/fs:test/data/config-scan,fs:testdata/fixtures/repo/secrets,image:testdata/fixtures/images/alpine-39.tar.gz',
    );
    expect(comment!.body.startsWith(`<!-- supply-chain-guard:comment key=${key} -->\n`)).toBe(true);
    expect(comment!.body).toContain(
      '[CVE\\-2019\\-14697](https://avd.aquasec.com/nvd/cve-2019-14697)',
    );

    // Annotations: config and secret findings as file/line workflow commands.
    const errors = commands(first.stdout, 'error');
    expect(errors).toContainEqual(
      expect.stringMatching(
        /^::error title=AWS-0086[^,]*,file=test\/data\/config-scan\/main\.tf,line=8,/,
      ),
    );
    expect(errors).toContainEqual(
      expect.stringMatching(
        /^::error title=aws-access-key-id[^,]*,file=testdata\/fixtures\/repo\/secrets\/deploy\.sh,line=3,/,
      ),
    );
    // Image vulnerabilities are not file annotations.
    expect(errors.some((l) => l.includes('CVE-2019-14697'))).toBe(false);

    // Metrics: Prometheus text with zero-filled series per target.
    const metrics = readFileSync(first.outputs['metrics-file']!, 'utf8');
    expect(metrics).toMatch(/^# HELP supply_chain_guard_/m);
    expect(metrics).toMatch(/^# TYPE supply_chain_guard_\w+ gauge$/m);
    expect(metrics).toMatch(
      /^supply_chain_guard_findings\{[^}]*target="testdata\/fixtures\/images\/alpine-39\.tar\.gz"[^}]*severity="critical"[^}]*\} 2$/m,
    );
    for (const line of metrics.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_:][a-z0-9_:]*(\{.*\})? -?[0-9.e+]+$/);
    }

    // The token was sent to the API and never written to the log.
    expect(gh.requests.every((r) => r.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expectTokenMasked(first.stdout);

    // Run 2: the same comment is updated, no second one appears.
    gh.processing({ pendingPolls: 0 });
    const id = comment!.id;
    gh.requests.length = 0;
    const second = await runOnPullRequest({ 'trivy-reports': reports, 'fail-on': 'none' });
    expect(second.code).toBe(0);
    expect([...gh.comments.keys()]).toEqual([id]);
    expect(gh.comments.get(id)!.updated_at).not.toBe(gh.comments.get(id)!.created_at);
    expect(ops()).not.toContain('issues/create-comment');
    expect(ops()).toContain('issues/update-comment');
    expect(gh.uploads).toHaveLength(2);
    expectTokenMasked(second.stdout);
  });

  it('matrix legs of one job (different targets, no comment-key) keep their own comment and snapshot', async () => {
    gh.comments.clear();
    const before = gh.snapshots.length;
    const leg = (report: string) =>
      runOnPullRequest({
        'trivy-reports': report,
        'fail-on': 'none',
        'upload-sarif': 'false',
        'dependency-snapshot': 'true',
      });
    const legs = [IMAGE, corpusPath('trivy-json/image/alpine-310.json')];
    for (const r of await Promise.all(legs.map(leg))) expect(r.code).toBe(0);
    expect(gh.comments.size).toBe(2);
    const bodies = [...gh.comments.values()].map((c) => c.body.split('\n')[0]).sort();
    expect(bodies).toEqual([
      `<!-- supply-chain-guard:comment key=${encodeURIComponent('scan/image:testdata/fixtures/images/alpine-310.tar.gz')} -->`,
      `<!-- supply-chain-guard:comment key=${encodeURIComponent('scan/image:testdata/fixtures/images/alpine-39.tar.gz')} -->`,
    ]);
    const correlators = gh.snapshots
      .slice(before)
      .map((s) => (s as { job: { correlator: string } }).job.correlator)
      .sort();
    expect(new Set(correlators).size).toBe(2);
    // A re-run of one leg updates that leg's comment only.
    const ids = [...gh.comments.keys()];
    expect((await leg(IMAGE)).code).toBe(0);
    expect([...gh.comments.keys()]).toEqual(ids);
  });

  it('a fork pull request (403 on upload and comment) warns with the permission, keeps the summary and the verdict', async () => {
    gh.script('code-scanning/upload-sarif', denied);
    // A fork's first run: listing works (the repository is readable), writing is refused.
    gh.comments.clear();
    gh.script('issues/create-comment', denied);
    const uploadsBefore = gh.uploads.length;
    const r = await runOnPullRequest(
      { 'trivy-reports': [IMAGE, SECRETS].join('\n'), 'fail-on': 'critical' },
      { fork: true },
    );
    // The gate decides as it does with a writable token: exit 1 (the gate), not a crash.
    const writable = await runOnPullRequest({
      'trivy-reports': [IMAGE, SECRETS].join('\n'),
      'fail-on': 'critical',
      'upload-sarif': 'false',
      'pr-comment': 'false',
    });
    expect(r.code).toBe(1);
    expect(r.code).toBe(writable.code);
    expect(r.outputs['verdict']).toBe('fail');
    // The same counts and verdict (file outputs differ: each run has its own temp dir).
    const counts = (o: Record<string, string>) =>
      Object.fromEntries(Object.entries(o).filter(([k]) => !k.endsWith('-file')));
    expect(counts(r.outputs)).toEqual(counts(writable.outputs));
    expect(r.stdout).toMatch(/^::error::gate failed: \d+ CRITICAL findings/m);
    const warnings = commands(r.stdout, 'warning').join('\n');
    expect(warnings).toMatch(/code scanning upload refused \(403[^\n]*security-events: write/);
    expect(warnings).toMatch(/PR comment not written \(403[^\n]*pull-requests: write/);
    expect(gh.uploads).toHaveLength(uploadsBefore);
    // The job summary still has the whole report.
    expect(r.summary).toContain('## ❌ Supply chain guard: failed');
    expect(r.summary).toContain('[CVE\\-2019\\-14697](https://avd.aquasec.com/nvd/cve-2019-14697)');
    expect(r.summary).toContain('aws\\-access\\-key\\-id');
    expectTokenMasked(r.stdout);
  });

  it('baseline-report with fail-on-new-only: new and fixed outputs, and the gate counts only new findings', async () => {
    // Head: alpine-39 with libssl1.1's CVE-2019-1551 patched. Baseline: alpine-39 before
    // musl-utils picked up CVE-2019-14697. So one fixed MEDIUM and one new CRITICAL.
    const head = writeFilteredReport(
      'head.json',
      (v) => v.PkgName === 'libssl1.1' && v.VulnerabilityID === 'CVE-2019-1551',
    );
    const baseline = writeFilteredReport('baseline.json', (v) => v.PkgName === 'musl-utils');
    const common = {
      'trivy-reports': head,
      'baseline-report': baseline,
      'fail-on': 'critical>1',
      'pr-comment': 'false',
      'upload-sarif': 'false',
    };
    gh.requests.length = 0;
    const all = await runOnPullRequest(common);
    const newOnly = await runOnPullRequest({ ...common, 'fail-on-new-only': 'true' });
    for (const r of [all, newOnly]) {
      expect(r.outputs).toMatchObject({ new: '1', fixed: '1', total: '5', critical: '2' });
    }
    // Every finding counted: two CRITICALs break `critical>1`.
    expect(all.code).toBe(1);
    expect(all.outputs['verdict']).toBe('fail');
    // Only the new one counted: one CRITICAL is within `critical>1`.
    expect(newOnly.code).toBe(0);
    expect(newOnly.outputs['verdict']).toBe('pass');
    expect(newOnly.summary).toMatch(/new/i);
    expect(newOnly.summary).toContain('CVE\\-2019\\-1551');
    expect(gh.requests).toEqual([]);
  });

  it('dependency-snapshot: one submission the OpenAPI schema accepts; a 403 warns naming contents: write', async () => {
    gh.requests.length = 0;
    const inputs = {
      'trivy-reports': [IMAGE, corpusPath('trivy-json/fs/npm.json')].join('\n'),
      'dependency-snapshot': 'true',
      'fail-on': 'none',
      'pr-comment': 'false',
      'upload-sarif': 'false',
    };
    const before = gh.snapshots.length;
    const ok = await runOnPullRequest(inputs);
    expect(ok.code).toBe(0);
    expect(gh.snapshots).toHaveLength(before + 1);
    expect(ops()).toEqual(['dependency-graph/create-repository-snapshot']);
    // The PR head, not GITHUB_SHA's temporary merge commit that dependency review never sees.
    expect(gh.snapshots.at(-1)).toMatchObject({
      sha: HEAD_SHA,
      ref: `refs/pull/${PR}/merge`,
      job: { id: '4242' },
    });
    expect(ok.stdout).toMatch(/dependency-snapshot: submitted \d+ packages \(id \d+, SUCCESS\)/);
    expect(commands(ok.stdout, 'warning')).toEqual([]);

    // The server's schema check is real: a body GitHub would reject is a violation.
    await fetch(`${gh.url}/repos/${OWNER}/${REPO}/dependency-graph/snapshots`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'x-github-api-version': '2022-11-28' },
      body: JSON.stringify({ ...(gh.snapshots.at(-1) as object), sha: 42 }),
    });
    expect(gh.violations.join('\n')).toMatch(/create-repository-snapshot body/);
    gh.violations.length = 0;
    gh.snapshots.pop();

    gh.script('dependency-graph/create-repository-snapshot', denied);
    const refused = await runOnPullRequest(inputs);
    expect(refused.code).toBe(0);
    expect(gh.snapshots).toHaveLength(before + 1);
    expect(commands(refused.stdout, 'warning').join('\n')).toMatch(
      /dependency snapshot not submitted: 403 .*contents: write/,
    );
    expectTokenMasked(refused.stdout);
  });

  it('upload-artifact inside Actions without the runtime token degrades to a warning', async () => {
    const r = await runOnPullRequest({
      'trivy-reports': IMAGE,
      'upload-artifact': 'true',
      sbom: 'cyclonedx',
      'fail-on': 'none',
      'pr-comment': 'false',
      'upload-sarif': 'false',
    });
    expect(r.code).toBe(0);
    expect(r.outputs['verdict']).toBe('pass');
    expect(r.outputs['artifact-id']).toBeUndefined();
    expect(commands(r.stdout, 'warning').join('\n')).toMatch(
      /^::warning::upload-artifact: artifact "supply-chain-guard-scan-image-[^"]+": .*ACTIONS_RUNTIME_TOKEN/m,
    );
    // Everything else was still written.
    expect(r.outputs['sbom-file']).toMatch(/sbom\.cdx\.json$/);
    expect(r.summary).toContain('Supply chain guard: passed');
    expect(r.stdout).not.toMatch(/unexpected error/);
  });
});

interface TrivyVuln {
  VulnerabilityID: string;
  PkgName: string;
}

/** alpine-39 without the vulnerabilities `drop` matches, written to the temp dir. */
function writeFilteredReport(name: string, drop: (v: TrivyVuln) => boolean): string {
  const report = JSON.parse(readFileSync(IMAGE, 'utf8')) as {
    Results: { Vulnerabilities?: TrivyVuln[] }[];
  };
  for (const r of report.Results) {
    if (r.Vulnerabilities) r.Vulnerabilities = r.Vulnerabilities.filter((v) => !drop(v));
  }
  const file = path.join(work, name);
  writeFileSync(file, JSON.stringify(report));
  return file;
}
