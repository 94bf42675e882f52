/**
 * The composed scan phase, with the Trivy STAND-IN (a test double) on PATH as "trivy": DB
 * downloaded once per day, one process per target, the cache saved only with a good DB.
 */
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { exec } from '../../src/exec.js';
import type { InstallDeps } from '../../src/trivy/install.js';
import { runTrivyPhase, type TrivyPhaseOptions } from '../../src/trivy/phase.js';
import { planTargets } from '../../src/trivy/targets.js';
import { dirCacheStore } from '../helpers/dir-cache-store.js';
import {
  createHarness,
  memoryLogger,
  STAND_IN,
  type Harness,
} from '../helpers/stand-in-harness.js';

let h: Harness;
let pathEnv: string;
beforeEach(async () => {
  h = await createHarness();
  const bin = path.join(h.root, 'bin');
  await mkdir(bin);
  await copyFile(STAND_IN, path.join(bin, 'trivy'));
  await chmod(path.join(bin, 'trivy'), 0o755);
  pathEnv = [bin, process.env.PATH ?? ''].join(path.delimiter);
});
afterEach(async () => {
  await h.cleanup();
});

/** Install deps that fail the test if anything is downloaded: trivy is on PATH. */
const noDownload: InstallDeps = {
  exec,
  download: () => Promise.reject(new Error('nothing should be downloaded')),
  extract: () => Promise.reject(new Error('nothing should be extracted')),
  toolCache: { find: () => '', cacheDir: () => Promise.reject(new Error('no caching expected')) },
  trustedRoot: () => Promise.reject(new Error('no verification expected')),
  logger: memoryLogger(),
};

const trio = () =>
  planTargets({ targets: { image: 'alpine:3.19', config: ['k8s'], fs: ['.'] }, policy: {} });

let runNo = 0;
function options(extra: Partial<TrivyPhaseOptions> = {}): TrivyPhaseOptions {
  runNo += 1;
  return {
    targets: trio(),
    version: '0.75.0',
    allowUnsigned: false,
    scanners: ['vuln', 'secret'],
    cache: true,
    dbRepositories: [],
    workspace: h.workspace,
    tempDir: path.join(h.root, `runner-temp-${runNo}`),
    platform: 'linux',
    arch: 'x64',
    childEnv: { ...h.env, PATH: pathEnv },
    pathEnv,
    concurrency: 3,
    now: new Date('2026-11-26T12:00:00Z'),
    ...extra,
  };
}

const phaseDeps = (store: ReturnType<typeof dirCacheStore>) => ({
  exec,
  install: noDownload,
  cache: store,
  logger: memoryLogger(),
  sleep: () => Promise.resolve(),
});

async function counts(): Promise<{ db: number; scans: number }> {
  const runs = await h.records();
  const db = runs.filter((r) => r.argv.some((a) => a.startsWith('--download-'))).length;
  return { db, scans: runs.length - db };
}

async function reports(): Promise<void> {
  const r = await h.report('r', { SchemaVersion: 2, Results: [] });
  await h.configure({
    targets: { 'alpine:3.19': { report: r }, k8s: { report: r }, '.': { report: r } },
  });
}

describe('runTrivyPhase', () => {
  it("downloads the DB once, runs one process per target without the runner's secrets, and a same-day rerun downloads nothing", async () => {
    await reports();
    const store = dirCacheStore(path.join(h.root, 'store'));
    const runnerEnv = {
      ...h.env,
      PATH: pathEnv,
      'INPUT_REGISTRY-PASSWORD': 'p',
      ACTIONS_RUNTIME_TOKEN: 't',
    };
    const first = await runTrivyPhase(options({ childEnv: runnerEnv }), phaseDeps(store));
    for (const run of await h.records()) {
      expect(run.envNames).toContain('TRIVY_STAND_IN_CONFIG');
      expect(run.envNames).not.toContain('INPUT_REGISTRY-PASSWORD');
      expect(run.envNames).not.toContain('ACTIONS_RUNTIME_TOKEN');
    }
    expect(first.trivy).toMatchObject({ source: 'path', version: '0.75.0' });
    expect(first.results.map((r) => r.target.kind)).toEqual(['image', 'config', 'fs']);
    expect(await counts()).toEqual({ db: 2, scans: 3 });
    expect(store.saved).toEqual(['supply-chain-guard-trivy-db-linux-x64-2026-11-26']);

    const second = await runTrivyPhase(options(), phaseDeps(store));
    expect(second.cache.hit).toBe('exact');
    expect(await counts()).toEqual({ db: 2, scans: 6 });
    expect(store.saved).toHaveLength(1);
  });

  it('saves a good DB even when a scan fails', async () => {
    await h.configure({ targets: { k8s: { exitCode: 1, stderr: ['FATAL boom'] } } });
    const store = dirCacheStore(path.join(h.root, 'store'));
    await expect(runTrivyPhase(options(), phaseDeps(store))).rejects.toThrow(GuardError);
    expect(store.saved).toEqual(['supply-chain-guard-trivy-db-linux-x64-2026-11-26']);
  });

  it('never saves a failed DB download, and runs no scan after it', async () => {
    await h.configure({ db: { errorLines: ['FATAL disk full'] } });
    const store = dirCacheStore(path.join(h.root, 'store'));
    await expect(runTrivyPhase(options(), phaseDeps(store))).rejects.toThrow(/db download failed/);
    expect(store.saved).toEqual([]);
    expect(await counts()).toEqual({ db: 1, scans: 0 });
  });

  it('needs no DB (and no cache) for config-only scans', async () => {
    await reports();
    const store = dirCacheStore(path.join(h.root, 'store'));
    const targets = planTargets({ targets: { config: ['k8s'], fs: [] }, policy: {} });
    await runTrivyPhase(options({ targets }), phaseDeps(store));
    expect(await counts()).toEqual({ db: 0, scans: 1 });
    expect(store.saved).toEqual([]);
  });
});
