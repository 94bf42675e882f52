/**
 * Orchestration of Trivy runs, against the Trivy STAND-IN (a test double that records its argv
 * and environment and replays a report; it scans nothing).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { exec } from '../../src/exec.js';
import { scanTargets, type ScanOptions } from '../../src/trivy/run.js';
import { readTrivyReport } from '../../src/trivy/read-report.js';
import { describeTarget, planTargets, type ScanTarget } from '../../src/trivy/targets.js';
import {
  createHarness,
  maxOverlap,
  memoryLogger,
  STAND_IN,
  type Harness,
} from '../helpers/stand-in-harness.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

function options(extra: Partial<ScanOptions> = {}): ScanOptions {
  return {
    trivyPath: STAND_IN,
    workspace: h.workspace,
    workDir: h.workDir,
    dbCacheDir: h.dbCacheDir,
    skipDbUpdate: true,
    scanners: ['vuln', 'secret'],
    concurrency: 4,
    env: h.env,
    ...extra,
  };
}

const report = (name: string) => ({ SchemaVersion: 2, ArtifactName: name, Results: [] });

const trio = (): ScanTarget[] =>
  planTargets({ targets: { image: 'ghcr.io/o/app:1', config: ['deploy'], fs: ['.'] }, policy: {} });

async function caught(p: Promise<unknown>): Promise<GuardError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GuardError);
  return err as GuardError;
}

describe('scanTargets', () => {
  it('runs image, config and fs in parallel: one process each, argv per target type', async () => {
    await h.configure({
      targets: {
        'ghcr.io/o/app:1': { report: await h.report('image', report('img')), delayMs: 400 },
        deploy: { report: await h.report('config', report('cfg')), delayMs: 400 },
        '.': { report: await h.report('fs', report('fs')), delayMs: 400 },
      },
    });
    await mkdir(path.join(h.workspace, 'deploy'));
    await writeFile(path.join(h.workspace, 'deploy', 'terraform.tfvars'), 'region = "eu"\n');
    const logger = memoryLogger();
    const results = await scanTargets(trio(), options(), { exec, logger });

    const runs = await h.records();
    expect(runs).toHaveLength(3);
    expect(runs.map((r) => r.target).sort()).toEqual(['.', 'deploy', 'ghcr.io/o/app:1']);
    expect(maxOverlap(runs)).toBe(3);
    const byTarget = new Map(runs.map((r) => [r.target, r.argv]));
    expect(byTarget.get('ghcr.io/o/app:1')?.slice(0, 1)).toEqual(['image']);
    expect(byTarget.get('ghcr.io/o/app:1')?.slice(-2)).toEqual(['--', 'ghcr.io/o/app:1']);
    expect(byTarget.get('deploy')?.[0]).toBe('config');
    expect(byTarget.get('deploy')?.slice(-4)).toEqual([
      '--tf-vars',
      path.join('deploy', 'terraform.tfvars'),
      '--',
      'deploy',
    ]);
    expect(byTarget.get('.')?.[0]).toBe('fs');
    for (const r of runs) expect(r.cwd).toBe(h.workspace);

    const written = await Promise.all(
      results.map(async (r) => [
        r.target.id,
        path.relative(h.workDir, r.reportFile),
        (JSON.parse(await readFile(r.reportFile, 'utf8')) as { ArtifactName: string }).ArtifactName,
      ]),
    );
    expect(written).toEqual([
      ['image-1', path.join('reports', 'image-1.json'), 'img'],
      ['config-1', path.join('reports', 'config-1.json'), 'cfg'],
      ['fs-1', path.join('reports', 'fs-1.json'), 'fs'],
    ]);
    expect(results.every((r) => r.durationMs >= 400)).toBe(true);
    expect(logger.groups.map((g) => g.title).sort()).toEqual([
      expect.stringMatching(/^trivy config deploy \(\d+\.\d s, exit code 0, 0\.1 KiB report\)$/),
      expect.stringMatching(/^trivy fs \. \(/),
      expect.stringMatching(/^trivy image ghcr\.io\/o\/app:1 \(/),
    ]);
  });

  it('never runs more Trivy processes at once than the concurrency bound', async () => {
    const targets = planTargets({
      targets: { config: ['a', 'b', 'c', 'd', 'e'], fs: [] },
      policy: {},
    });
    const r = await h.report('r', report('x'));
    await h.configure({
      targets: Object.fromEntries(
        ['a', 'b', 'c', 'd', 'e'].map((t) => [t, { report: r, delayMs: 250 }]),
      ),
    });
    await scanTargets(targets, options({ concurrency: 2 }), { exec, logger: memoryLogger() });
    const runs = await h.records();
    expect(runs).toHaveLength(5);
    expect(maxOverlap(runs)).toBe(2);
  });

  it('gives each concurrent run its own cache dir; runs after the first get a copy of the DB', async () => {
    await mkdir(path.join(h.dbCacheDir, 'db'), { recursive: true });
    await writeFile(path.join(h.dbCacheDir, 'db', 'trivy.db'), 'prepared');
    const targets = planTargets({
      targets: { image: 'alpine:3', config: ['k8s'], fs: ['.'] },
      policy: { baselineImage: 'alpine:2' },
    });
    const r = await h.report('r', report('x'));
    await h.configure({
      targets: {
        'alpine:3': { report: r },
        k8s: { report: r },
        '.': { report: r },
        'alpine:2': { report: r },
      },
    });
    await scanTargets(targets, options(), { exec, logger: memoryLogger() });
    const dirs = new Map(
      (await h.records()).map((rec) => [rec.target, rec.argv[rec.argv.indexOf('--cache-dir') + 1]]),
    );
    expect(dirs.get('alpine:3')).toBe(h.dbCacheDir);
    expect(new Set(dirs.values()).size).toBe(4);
    for (const t of ['.', 'alpine:2']) {
      expect(await readFile(path.join(dirs.get(t) ?? '', 'db', 'trivy.db'), 'utf8')).toBe(
        'prepared',
      );
    }
    expect(existsSync(path.join(dirs.get('k8s') ?? '', 'db'))).toBe(false);
  });

  it('passes registry credentials by environment to image runs only, and never shows them', async () => {
    const password = 'hunter2-registry-token';
    const r = await h.report('r', report('x'));
    await h.configure({
      targets: {
        'ghcr.io/o/app:1': {
          exitCode: 1,
          stderr: [`FATAL unable to pull: auth robot:${password} denied`],
        },
        deploy: { report: r },
        '.': { report: r },
      },
    });
    const logger = memoryLogger();
    const err = await caught(
      scanTargets(
        trio(),
        options({
          env: { ...h.env, TRIVY_PASSWORD: 'leaked-from-runner-env' },
          registryAuth: { username: 'robot', password },
        }),
        { exec, logger },
      ),
    );
    const runs = await h.records();
    for (const run of runs) {
      expect(run.argv.join(' ')).not.toContain(password);
      expect(run.argv.join(' ')).not.toContain('robot');
    }
    const image = runs.find((x) => x.target === 'ghcr.io/o/app:1');
    expect(image?.env).toMatchObject({ TRIVY_USERNAME: 'robot', TRIVY_PASSWORD: password });
    for (const other of runs.filter((x) => x !== image)) {
      expect(other.env.TRIVY_PASSWORD).toBeUndefined();
      expect(other.env.TRIVY_USERNAME).toBeUndefined();
    }
    expect(logger.text()).not.toContain(password);
    expect(logger.text()).toContain('auth robot:*** denied');
    expect(err.message).not.toContain(password);
  });

  it('names the target, the exit code and the last stderr lines when a run fails, after all runs end', async () => {
    const r = await h.report('r', report('x'));
    await h.configure({
      targets: {
        'ghcr.io/o/app:1': { report: r, delayMs: 300 },
        deploy: { report: r },
        '.': {
          exitCode: 2,
          stderr: ['INFO scanning', 'FATAL fs scan error: lstat ./vendor: permission denied'],
        },
      },
    });
    const err = await caught(scanTargets(trio(), options(), { exec, logger: memoryLogger() }));
    expect(err.code).toBe('TRIVY_SCAN_FAILED');
    expect(err.message).toMatch(
      /^trivy fs \. failed \(exit code 2\); last stderr lines:\n {2}INFO scanning\n {2}FATAL fs scan error/,
    );
    expect(await h.records()).toHaveLength(3);
  });

  it('fails naming the target when Trivy exits 0 without a JSON report', async () => {
    await h.configure({ targets: { deploy: { garbage: true } } });
    const targets = planTargets({ targets: { config: ['deploy'], fs: [] }, policy: {} });
    const err = await caught(scanTargets(targets, options(), { exec, logger: memoryLogger() }));
    expect(err.message).toMatch(
      /^trivy config deploy exited 0 but did not write a JSON report .*"panic: this is not JSON/,
    );
  });

  it('kills a run that outlives its timeout and says so', async () => {
    await h.configure({ targets: { '.': { delayMs: 30_000 } } });
    const targets = planTargets({ targets: { config: [], fs: ['.'] }, policy: {} });
    const started = Date.now();
    const err = await caught(
      scanTargets(targets, options({ killAfterMs: 300 }), { exec, logger: memoryLogger() }),
    );
    expect(err.message).toMatch(/^trivy fs \. failed \(timed out and was killed\)/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reports every failed run, and points at registry credentials when a pull was rate limited', async () => {
    await h.configure({
      targets: {
        'ghcr.io/o/app:1': {
          exitCode: 1,
          stderr: [
            'GET https://ghcr.io/v2/o/app/manifests/1: TOOMANYREQUESTS: rate limit exceeded',
          ],
        },
        deploy: { exitCode: 1, stderr: ['bad'] },
        '.': { report: await h.report('r', report('x')) },
      },
    });
    const err = await caught(scanTargets(trio(), options(), { exec, logger: memoryLogger() }));
    expect(err.message).toMatch(
      /^2 of 3 Trivy runs failed:\ntrivy image ghcr\.io\/o\/app:1 failed/,
    );
    expect(err.message).toContain('trivy config deploy failed (exit code 1)');
    expect(err.remedy).toMatch(/registry-username/);
  });

  it('names the executable when it cannot be started', async () => {
    const targets = planTargets({ targets: { config: [], fs: ['.'] }, policy: {} });
    const err = await caught(
      scanTargets(targets, options({ trivyPath: path.join(h.root, 'missing-trivy') }), {
        exec,
        logger: memoryLogger(),
      }),
    );
    expect(err.message).toMatch(/^trivy fs \.: could not start .*missing-trivy: .*ENOENT/);
  });
});

const corpus = fileURLToPath(new URL('../../../shared/corpus/trivy-json', import.meta.url));
describe.skipIf(!existsSync(corpus))(
  'scanTargets with real Trivy reports replayed (corpus at ../shared/corpus missing: skipped)',
  () => {
    it('returns each report byte for byte, so parsing sees exactly what Trivy wrote', async () => {
      const files = {
        'alpine:3.10': path.join(corpus, 'image/alpine-310.json'),
        'charts/testchart': path.join(corpus, 'config/helm_testchart.json'),
        'package-lock.json': path.join(corpus, 'fs/npm.json'),
      };
      await h.configure({
        targets: Object.fromEntries(Object.entries(files).map(([t, report]) => [t, { report }])),
      });
      const targets = planTargets({
        targets: { image: 'alpine:3.10', config: ['charts/testchart'], fs: ['package-lock.json'] },
        policy: {},
      });
      const results = await scanTargets(targets, options(), { exec, logger: memoryLogger() });
      for (const r of results) {
        const original = await readFile(files[r.target.label as keyof typeof files]);
        expect(await readFile(r.reportFile)).toEqual(original);
        expect(r.bytes).toBe(original.length);
        // the hand-off to the findings pipeline: the lead's streaming reader takes the file
        const parsed = await readTrivyReport(r.reportFile, describeTarget(r.target));
        expect(parsed.findings.length).toBeGreaterThan(0);
      }
    });
  },
);
