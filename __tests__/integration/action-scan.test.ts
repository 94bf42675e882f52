/**
 * Issue 3's "Done when", through the action itself: `runAndGate(buildConfig …)` with the
 * services index.ts builds (`trivyScanner`), and the CLI. Trivy is the STAND-IN
 * (trivy-stand-in.mjs — a test double that replays a chosen report and records how it was
 * called; never a real scan), either on PATH or installed from a fake release server whose
 * Sigstore bundles come from loopback Fulcio/Rekor.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  afterAll,
  afterEach,
  beforeAll,
  beforeEach,
  describe,
  expect,
  it,
  onTestFinished,
} from 'vitest';
import { cli } from '../../src/cli.js';
import { trivyScanner, type ScannerOptions } from '../../src/services.js';
import { actionsCacheStore } from '../../src/trivy/cache.js';
import { directoryToolCache, whichTrivy } from '../../src/trivy/install.js';
import { DEFAULT_TRIVY_VERSION } from '../../src/trivy/release.js';
import {
  runAction,
  scanOnlyServices,
  standInOnPath,
  type ActionRun,
} from '../helpers/action-run.js';
import { node24Path, ROOT, runBundle } from '../helpers/bundle.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { dirCacheStore } from '../helpers/dir-cache-store.js';
import { startFakeTrivyRelease, type FakeTrivyRelease } from '../helpers/fake-trivy-release.js';
import {
  createHarness,
  maxOverlap,
  type Harness,
  type Recorded,
  type StandInTarget,
} from '../helpers/stand-in-harness.js';

const IMAGE = 'registry.example.test:5000/shop/api:1.4.2';
/** Each stand-in scan lasts this long, so runs that overlap in time are measurable. */
const SCAN_MS = 700;

let h: Harness;
let runNo = 0;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

/** A fresh $RUNNER_TEMP for each action run inside the harness. */
async function runnerTemp(): Promise<string> {
  runNo += 1;
  const dir = path.join(h.root, `runner-temp-${runNo}`);
  await mkdir(dir, { recursive: true });
  return dir;
}

/** The scanner index.ts builds, pointed at this harness: PATH, cache store, maybe a release. */
function scanner(pathEnv: string, extra: Partial<ScannerOptions> = {}) {
  return trivyScanner({
    facts: { env: { ...h.env, PATH: pathEnv }, platform: 'linux', arch: 'x64' },
    cacheStore: dirCacheStore(path.join(h.root, 'actions-cache')),
    ...extra,
  });
}

function scans(records: readonly Recorded[]): Recorded[] {
  return records.filter((r) => !r.argv.some((a) => a.startsWith('--download-')));
}

function kindOf(r: Recorded): string {
  return r.argv[0] ?? '';
}

/** Counts and verdict: the outputs that must not depend on how the reports were obtained. */
const COUNT_OUTPUTS = [
  'verdict',
  'critical',
  'high',
  'medium',
  'low',
  'unknown',
  'total',
  'new',
  'fixed',
  'suppressed',
  'oldest-critical-days',
] as const;

function counts(run: ActionRun): Record<string, string | undefined> {
  return Object.fromEntries(COUNT_OUTPUTS.map((k) => [k, run.outputs[k]]));
}

async function readJson(file: string | undefined): Promise<unknown> {
  if (file === undefined) throw new Error('the run wrote no such file');
  return JSON.parse(await readFile(file, 'utf8')) as unknown;
}

/** A CycloneDX document without what differs on every run (serial number, timestamp). */
function stripRunIdentity(doc: unknown): unknown {
  const copy = structuredClone(doc) as {
    serialNumber?: string;
    metadata?: { timestamp?: string };
  };
  delete copy.serialNumber;
  delete copy.metadata?.timestamp;
  return copy;
}

/** The SARIF runs keyed by category, whatever order the reports were read in. */
async function sarifRunsByCategory(run: ActionRun): Promise<Record<string, unknown>> {
  const sarif = (await readJson(run.outputs['sarif-file'])) as {
    runs: { automationDetails: { id: string } }[];
  };
  return Object.fromEntries(sarif.runs.map((r) => [r.automationDetails.id, r]));
}

interface SarifShape {
  runs: { results: { ruleId: string; level: string }[] }[];
}

async function sarifResults(run: ActionRun): Promise<string[]> {
  const sarif = JSON.parse(await readFile(run.outputs['sarif-file']!, 'utf8')) as SarifShape;
  return sarif.runs.flatMap((r) => r.results.map((x) => `${x.ruleId} ${x.level}`)).sort();
}

interface CdxComponent {
  purl?: string;
  components?: CdxComponent[];
}

async function sbomPurls(run: ActionRun): Promise<string[]> {
  const files = run.outputs['sbom-file']!.split('\n');
  const purls: string[] = [];
  const walk = (cs: readonly CdxComponent[] = []): void => {
    for (const c of cs) {
      if (c.purl) purls.push(c.purl);
      walk(c.components);
    }
  };
  for (const f of files) {
    const doc = JSON.parse(await readFile(f, 'utf8')) as { components?: CdxComponent[] };
    walk(doc.components);
  }
  return purls.sort();
}

describe.skipIf(!HAS_CORPUS)('the action with image, config and fs together', () => {
  const reports = {
    image: corpusPath('trivy-json/image/alpine-310.json'),
    config: corpusPath('trivy-json/config/action-v0.72.0-config-tf.json'),
    fs: corpusPath('trivy-json/fs/npm.json'),
  };

  it('performs three Trivy runs in parallel, one each, with the same outputs as trivy-reports on their JSON', async () => {
    await h.configure({
      version: DEFAULT_TRIVY_VERSION,
      targets: {
        [IMAGE]: { report: reports.image, delayMs: SCAN_MS },
        infra: { report: reports.config, delayMs: SCAN_MS },
        '.': { report: reports.fs, delayMs: SCAN_MS },
      },
    });
    const pathEnv = await standInOnPath(path.join(h.root, 'bin'));
    const common = { 'fail-on': 'high', sbom: 'cyclonedx' };

    const scanTemp = await runnerTemp();
    const scanned = await runAction(
      { ...common, image: IMAGE, config: 'infra', fs: '.' },
      {
        workspace: h.workspace,
        tempDir: scanTemp,
        services: scanOnlyServices(scanner(pathEnv)),
      },
    );
    expect(scanned.failures).toEqual(['gate failed: 5 HIGH findings (fail-on: high or above)']);
    expect(scanned.exitCode).toBe(1);

    const records = await h.records();
    const runs = scans(records);
    expect(runs.map(kindOf).sort()).toEqual(['config', 'fs', 'image']);
    expect(maxOverlap(runs)).toBe(3);
    // The DB is fetched once, before the scans, never by each of them.
    const downloads = records.filter((r) => !runs.includes(r));
    expect(downloads.map((r) => r.argv[1])).toEqual([
      '--download-db-only',
      '--download-java-db-only',
    ]);
    for (const d of downloads)
      expect(d.end).toBeLessThanOrEqual(Math.min(...runs.map((r) => r.start)));

    const byKind = Object.fromEntries(runs.map((r) => [kindOf(r), r.argv]));
    for (const argv of Object.values(byKind)) {
      expect(argv).toEqual(
        expect.arrayContaining(['--format', 'json', '--exit-code', '0', '--quiet']),
      );
      expect(argv[argv.indexOf('--severity') + 1]).toBe('UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL');
    }
    expect(byKind['image']!.slice(-2)).toEqual(['--', IMAGE]);
    expect(byKind['config']!.slice(-2)).toEqual(['--', 'infra']);
    expect(byKind['fs']!.slice(-2)).toEqual(['--', '.']);
    for (const k of ['image', 'fs']) {
      expect(byKind[k]).toEqual(
        expect.arrayContaining(['--list-all-pkgs', '--skip-db-update', '--skip-java-db-update']),
      );
      expect(byKind[k]![byKind[k]!.indexOf('--scanners') + 1]).toBe('vuln,secret');
    }
    expect(byKind['config']).not.toContain('--list-all-pkgs');
    expect(byKind['config']).not.toContain('--scanners');
    expect(runs.every((r) => r.cwd === h.workspace)).toBe(true);

    const replayed = await runAction(
      { ...common, 'trivy-reports': [reports.image, reports.config, reports.fs].join('\n') },
      { workspace: h.workspace, tempDir: await runnerTemp() },
    );
    expect((await h.records()).length).toBe(records.length);
    expect(replayed.exitCode).toBe(1);
    expect(counts(scanned)).toEqual(counts(replayed));
    expect(counts(scanned)).toMatchObject({
      verdict: 'fail',
      critical: '0',
      high: '5',
      medium: '6',
      low: '2',
      total: '13',
    });
    // The same SARIF document (findings, rules, locations, fingerprints, categories) and SBOM.
    expect(await readJson(scanned.outputs['sarif-file'])).toEqual(
      await readJson(replayed.outputs['sarif-file']),
    );
    expect(stripRunIdentity(await readJson(scanned.outputs['sbom-file']))).toEqual(
      stripRunIdentity(await readJson(replayed.outputs['sbom-file'])),
    );
    expect((await sarifResults(scanned)).length).toBe(13);
    expect(await sbomPurls(scanned)).toContain('pkg:npm/jquery@3.3.9');

    // What .github/workflows/trivy-scan.yml does: replay the JSON the action kept, by glob.
    const kept = await runAction(
      {
        ...common,
        'trivy-reports': path.join(scanTemp, 'supply-chain-guard/trivy/reports/*.json'),
      },
      { workspace: h.workspace, tempDir: await runnerTemp() },
    );
    expect(counts(kept)).toEqual(counts(scanned));
    // The glob reads them in file-name order, so the SARIF runs are compared by category.
    expect(await sarifRunsByCategory(kept)).toEqual(await sarifRunsByCategory(scanned));
  });
});

/** The project's example reports (examples/reports), replayed for the scans below. */
const EXAMPLE = {
  image: path.join(ROOT, 'examples/reports/image.json'),
  config: path.join(ROOT, 'examples/reports/config.json'),
  fs: path.join(ROOT, 'examples/reports/fs.json'),
};

/** The stand-in's plan for `image: IMAGE`, `config: infra`, `fs: .`, with overrides. */
function trio(over: { image?: StandInTarget; config?: StandInTarget; fs?: StandInTarget } = {}) {
  return {
    version: DEFAULT_TRIVY_VERSION,
    targets: {
      [IMAGE]: { report: EXAMPLE.image, ...over.image },
      infra: { report: EXAMPLE.config, ...over.config },
      '.': { report: EXAMPLE.fs, ...over.fs },
    },
  };
}
const TRIO_INPUTS = { image: IMAGE, config: 'infra', fs: '.', 'fail-on': 'none' };

describe('baseline-image', () => {
  it('is scanned like the image and feeds the new / fixed diff the gate uses', async () => {
    const BASE = 'registry.example.test:5000/shop/api:main';
    // The base image lacks CVE-2023-0464 (so it is new) and had one the image no longer has.
    const image = JSON.parse(await readFile(EXAMPLE.image, 'utf8')) as {
      Results: { Vulnerabilities?: { VulnerabilityID: string }[] }[];
    };
    const base = structuredClone(image);
    const vulns = base.Results[0]!.Vulnerabilities!;
    const gone = vulns.findIndex((v) => v.VulnerabilityID === 'CVE-2023-0464');
    vulns.splice(gone, 1, { ...vulns[gone]!, VulnerabilityID: 'CVE-2000-0001' });
    await h.configure({
      version: DEFAULT_TRIVY_VERSION,
      targets: {
        [IMAGE]: { report: EXAMPLE.image },
        [BASE]: { report: await h.report('base', base) },
      },
    });
    const pathEnv = await standInOnPath(path.join(h.root, 'bin'));
    const r = await runAction(
      { image: IMAGE, 'baseline-image': BASE, 'fail-on': 'high', 'fail-on-new-only': 'true' },
      {
        workspace: h.workspace,
        tempDir: await runnerTemp(),
        services: scanOnlyServices(scanner(pathEnv)),
      },
    );
    const runs = scans(await h.records());
    expect(runs.map((x) => x.argv.at(-1)).sort()).toEqual([BASE, IMAGE].sort());
    expect(r.outputs).toMatchObject({ new: '1', fixed: '1', critical: '1', high: '2' });
    expect(r.exitCode).toBe(1);
    expect(r.failures).toEqual(['gate failed: 1 HIGH new finding (fail-on: high or above)']);
  });
});

describe('the DB cache through @actions/cache', () => {
  const SERVICE_VARS = ['ACTIONS_CACHE_URL', 'ACTIONS_RESULTS_URL'];
  const saved: Record<string, string | undefined> = {};
  beforeEach(() => {
    for (const v of SERVICE_VARS) {
      saved[v] = process.env[v];
      delete process.env[v];
    }
  });
  afterEach(() => {
    for (const v of SERVICE_VARS) if (saved[v] !== undefined) process.env[v] = saved[v];
  });

  it('without a cache service, scans anyway and never claims the DB was saved', async () => {
    await h.configure(trio());
    const pathEnv = await standInOnPath(path.join(h.root, 'bin'));
    const r = await runAction(TRIO_INPUTS, {
      workspace: h.workspace,
      tempDir: await runnerTemp(),
      services: scanOnlyServices(scanner(pathEnv, { cacheStore: actionsCacheStore() })),
    });
    expect(r.exitCode).toBe(0);
    const unavailable = 'the cache service is not available to this job';
    expect(r.log).toContain(`warning: Trivy DB cache could not be restored: ${unavailable}`);
    expect(r.log).toContain(`warning: Trivy DB cache could not be saved: ${unavailable}`);
    expect(r.log.filter((l) => l.startsWith('Trivy DB cache: saved'))).toEqual([]);
  });
});

describe('installing Trivy through the action (fake release, loopback Sigstore)', () => {
  let release: FakeTrivyRelease;
  let releaseDir: string;
  beforeAll(async () => {
    // The install must download: no trivy may be on the PATH the scanner searches.
    expect(await whichTrivy(process.env['PATH'] ?? '')).toBeUndefined();
    releaseDir = await mkdtemp(path.join(os.tmpdir(), 'scg-release-'));
    release = await startFakeTrivyRelease(releaseDir, DEFAULT_TRIVY_VERSION);
  });
  afterAll(async () => {
    await release.close();
    await rm(releaseDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    release.server.files = release.genuine();
    release.server.requests.length = 0;
  });

  function installingScanner(toolCache: string) {
    return scanner(process.env['PATH'] ?? '', {
      releaseBaseUrl: release.server.url,
      installTrustedRoot: () => Promise.resolve(release.trustedRoot),
      toolCache: directoryToolCache(toolCache),
    });
  }

  it('installs the verified release, then scans with it', async () => {
    await h.configure(trio());
    const toolCache = path.join(h.root, 'tool-cache');
    const r = await runAction(TRIO_INPUTS, {
      workspace: h.workspace,
      tempDir: await runnerTemp(),
      services: scanOnlyServices(installingScanner(toolCache)),
    });
    expect(r.failures).toEqual([]);
    expect(r.exitCode).toBe(0);
    expect(release.server.requests.sort()).toEqual(Object.values(release.paths).sort());
    expect(r.log).toContain(`Trivy ${DEFAULT_TRIVY_VERSION} (download, sigstore+sha256)`);
    expect(r.log.join('\n')).toMatch(
      new RegExp(
        `Verified ${release.asset}: sha256 [0-9a-f]{64} matches .*both Sigstore bundles verify`,
      ),
    );
    expect(
      scans(await h.records())
        .map(kindOf)
        .sort(),
    ).toEqual(['config', 'fs', 'image']);
    expect(r.outputs).toMatchObject({ total: '12', critical: '3', high: '6' });
  });

  it.each([
    [
      'a tampered tarball',
      (files: Map<string, Buffer>, p: FakeTrivyRelease['paths']) =>
        files.set(p.tarball, Buffer.concat([files.get(p.tarball)!, Buffer.from('\n')])),
      /^sha256 mismatch for trivy_[\d.]+_Linux-64bit\.tar\.gz: downloaded [0-9a-f]{64}, trivy_[\d.]+_checksums\.txt says [0-9a-f]{64}/,
    ],
    [
      'a missing signature bundle',
      (files: Map<string, Buffer>, p: FakeTrivyRelease['paths']) => files.delete(p.tarballBundle),
      /^Trivy v[\d.]+ has no Sigstore signature bundle \(.*\.tar\.gz\.sigstore\.json is missing\)/,
    ],
  ])(
    '%s fails the run with the install message and exit code 2; nothing else runs',
    async (_, tamper, message) => {
      await h.configure(trio());
      const toolCache = path.join(h.root, 'tool-cache');
      const files = release.genuine();
      tamper(files, release.paths);
      release.server.files = files;
      const tempDir = await runnerTemp();
      const r = await runAction(TRIO_INPUTS, {
        workspace: h.workspace,
        tempDir,
        services: scanOnlyServices(installingScanner(toolCache)),
      });
      expect(r.exitCode).toBe(2);
      expect(r.failures).toHaveLength(1);
      expect(r.failures[0]).toMatch(message);
      expect(r.failures[0]).toMatch(/— .*do not use/);
      expect(await h.records()).toEqual([]);
      expect(await readdir(toolCache).catch(() => [])).toEqual([]);
      expect(r.outputs).toEqual({});
      expect(r.log.filter((l) => l.startsWith('group: '))).toEqual([
        'group: Scan with Trivy (3 targets)',
      ]);
      expect(await readdir(path.join(tempDir, 'supply-chain-guard'))).not.toContain(
        'results.sarif',
      );
    },
  );
});

describe('a Trivy run that fails', () => {
  let pathEnv: string;
  beforeEach(async () => {
    pathEnv = await standInOnPath(path.join(h.root, 'bin'));
  });

  it.each<[string, Parameters<typeof trio>[0], RegExp]>([
    [
      'a non-zero exit',
      { fs: { exitCode: 3, stderr: ['FATAL\tfs scan error: lstat /nope: no such file'] } },
      /^trivy fs \. failed \(exit code 3\); last stderr lines:\n {2}FATAL\tfs scan error: lstat \/nope: no such file — read the Trivy output above/,
    ],
    [
      'garbage instead of a report',
      { config: { garbage: true } },
      /^trivy config infra exited 0 but did not write a JSON report to \S+config-1\.json \(it starts with "panic: this is not JSON\\n"\)/,
    ],
  ])('%s fails the run naming the target, after every run ended', async (_, over, message) => {
    await h.configure(trio({ ...over, image: { delayMs: 300 } }));
    const r = await runAction(TRIO_INPUTS, {
      workspace: h.workspace,
      tempDir: await runnerTemp(),
      services: scanOnlyServices(scanner(pathEnv)),
    });
    expect(r.exitCode).toBe(2);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toMatch(message);
    expect(r.outputs).toEqual({});
    // The slow image run was waited for: no Trivy outlives the step.
    expect(scans(await h.records())).toHaveLength(3);
  });

  it('a report cut off mid-way fails the run naming the target and the file, as a scan failure', async () => {
    const cut = path.join(h.root, 'cut.json');
    const whole = await readFile(EXAMPLE.image, 'utf8');
    await writeFile(cut, whole.slice(0, Math.floor(whole.length / 2)));
    await h.configure(trio({ image: { report: cut } }));
    const r = await runAction(TRIO_INPUTS, {
      workspace: h.workspace,
      tempDir: await runnerTemp(),
      services: scanOnlyServices(scanner(pathEnv)),
    });
    expect(r.exitCode).toBe(2);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]).toContain(
      `trivy image ${IMAGE}: not valid JSON (the file looks truncated): unexpected end of input`,
    );
    expect(r.failures[0]).toMatch(
      /in the report Trivy wrote to \S+image-1\.json\) — Trivy exited 0 but/,
    );
    expect(r.outputs).toEqual({});
  });
});

describe('registry credentials', () => {
  const USER = 'ci-bot';
  const SECRET = 'hunter2-Zq8!pass';
  let pathEnv: string;
  beforeEach(async () => {
    pathEnv = await standInOnPath(path.join(h.root, 'bin'));
  });

  /** The runner's environment also holds the inputs and its own tokens; Trivy gets neither. */
  function runnerLikeScanner() {
    return trivyScanner({
      facts: {
        env: {
          ...h.env,
          PATH: pathEnv,
          'INPUT_REGISTRY-PASSWORD': SECRET,
          ACTIONS_RUNTIME_TOKEN: 'runtime-token',
        },
        platform: 'linux',
        arch: 'x64',
      },
      cacheStore: dirCacheStore(path.join(h.root, 'actions-cache')),
    });
  }

  const credentialInputs = { 'registry-username': USER, 'registry-password': SECRET };

  it('reach Trivy only as TRIVY_USERNAME / TRIVY_PASSWORD of the image run, never in argv or logs', async () => {
    // Trivy may echo a credential (a registry URL with userinfo, a debug line): it is redacted.
    await h.configure(trio({ image: { stderr: [`DEBUG auth ${USER}:${SECRET}@registry`] } }));
    const r = await runAction(
      { ...TRIO_INPUTS, ...credentialInputs },
      {
        workspace: h.workspace,
        tempDir: await runnerTemp(),
        services: scanOnlyServices(runnerLikeScanner()),
      },
    );
    expect(r.exitCode).toBe(0);
    const records = await h.records();
    const byKind = Object.fromEntries(scans(records).map((x) => [kindOf(x), x]));
    expect(byKind['image']!.env).toMatchObject({ TRIVY_USERNAME: USER, TRIVY_PASSWORD: SECRET });
    for (const k of ['config', 'fs']) {
      expect(Object.keys(byKind[k]!.env)).not.toContain('TRIVY_PASSWORD');
      expect(Object.keys(byKind[k]!.env)).not.toContain('TRIVY_USERNAME');
    }
    for (const x of records) {
      expect(x.argv.join(' ')).not.toContain(SECRET);
      expect(x.envNames.filter((n) => /^(INPUT_|ACTIONS_)/.test(n))).toEqual([]);
    }
    expect(r.log).toContain(`DEBUG auth ${USER}:***@registry`);
    expect(r.log.join('\n')).not.toContain(SECRET);
  });

  it('never appear in the failure message when the image run fails', async () => {
    await h.configure(
      trio({ image: { exitCode: 1, stderr: [`FATAL unauthorized: ${USER}:${SECRET}`] } }),
    );
    const r = await runAction(
      { ...TRIO_INPUTS, ...credentialInputs },
      {
        workspace: h.workspace,
        tempDir: await runnerTemp(),
        services: scanOnlyServices(runnerLikeScanner()),
      },
    );
    expect(r.exitCode).toBe(2);
    expect(r.failures[0]).toContain(`trivy image ${IMAGE} failed (exit code 1)`);
    expect(r.failures[0]).toContain(`FATAL unauthorized: ${USER}:***`);
    expect([...r.failures, ...r.log].join('\n')).not.toContain(SECRET);
  });
});

describe('the CLI scanning with --image / --config / --fs', () => {
  async function runCli(argv: string[]) {
    const pathEnv = await standInOnPath(path.join(h.root, 'bin'));
    const out: string[] = [];
    const err: string[] = [];
    const code = await cli([...argv, '--output-dir', await runnerTemp()], {
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      env: { ...h.env, PATH: pathEnv, GITHUB_WORKSPACE: h.workspace },
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }

  it('exits 1 with the table when the gate fails', async () => {
    await h.configure(trio());
    const r = await runCli(['--image', IMAGE, '--config', 'infra', '--fail-on', 'critical']);
    expect(r.code).toBe(1);
    expect(
      scans(await h.records())
        .map(kindOf)
        .sort(),
    ).toEqual(['config', 'image']);
    expect(r.stdout).toMatch(/^vulnerability\s+1\s+2\s+1\s+0\s+0\s+4$/m);
    expect(r.stdout).toMatch(/^misconfiguration\s+1\s+3\s+0\s+1\s+0\s+5$/m);
    expect(r.stdout).toMatch(/^all\s+2\s+5\s+1\s+1\s+0\s+9$/m);
    expect(r.stdout).toMatch(/verdict: FAIL/);
    expect(r.stderr).toMatch(/supply-chain-guard: gate failed: 2 CRITICAL findings/);
  });

  it('exits 0 when the gate passes', async () => {
    await h.configure(trio());
    const r = await runCli(['--fs', '.', '--fail-on', 'critical>1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^all\s+1\s+1\s+1\s+0\s+0\s+3$/m);
    expect(r.stdout).toMatch(/verdict: PASS/);
  });

  it('exits 2 naming the target when Trivy fails, with no table', async () => {
    await h.configure(trio({ image: { exitCode: 1, stderr: ['FATAL manifest unknown'] } }));
    const r = await runCli(['--image', IMAGE]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`supply-chain-guard: trivy image ${IMAGE} failed (exit code 1)`);
    expect(r.stderr).toContain('FATAL manifest unknown');
  });
});

describe('the bundle (dist/index.js under Node 24, as the runner runs it)', () => {
  it('scans image, config and fs in three parallel Trivy runs, and a replay of the kept JSON agrees', async () => {
    await h.configure(
      trio({ image: { delayMs: SCAN_MS }, config: { delayMs: SCAN_MS }, fs: { delayMs: SCAN_MS } }),
    );
    const pathEnv = await standInOnPath(path.join(h.root, 'bin'));
    const quiet = {
      'fail-on': 'none',
      'upload-sarif': 'false',
      'pr-comment': 'false',
      'upload-artifact': 'false',
      // No cache service here; the DB goes to $RUNNER_TEMP only.
      cache: 'false',
    };
    const opts = {
      node: node24Path(),
      env: { ...h.env, PATH: pathEnv },
      workspace: h.workspace,
    };
    const scanned = await runBundle({ ...quiet, ...TRIO_INPUTS }, opts);
    onTestFinished(() => rm(scanned.tempDir, { recursive: true, force: true }));
    // Node 24 warns that ajv-formats-draft2019 (the SBOM schema check) requires `punycode`.
    const stderr = scanned.stderr.split('\n').filter((l) => !/DEP0040|trace-deprecation/.test(l));
    expect(stderr.join('\n').trim()).toBe('');
    expect(scanned.code).toBe(0);
    expect(scanned.stdout).toContain('::group::Scan with Trivy (3 targets)');
    const runs = scans(await h.records());
    expect(runs.map(kindOf).sort()).toEqual(['config', 'fs', 'image']);
    expect(maxOverlap(runs)).toBe(3);

    const replayed = await runBundle(
      {
        ...quiet,
        'trivy-reports': path.join(scanned.tempDir, 'supply-chain-guard/trivy/reports/*.json'),
      },
      opts,
    );
    onTestFinished(() => rm(replayed.tempDir, { recursive: true, force: true }));
    expect(replayed.code).toBe(0);
    expect(scans(await h.records())).toHaveLength(3);
    const pick = (o: Record<string, string>) =>
      Object.fromEntries(COUNT_OUTPUTS.map((k) => [k, o[k]]));
    expect(pick(scanned.outputs)).toEqual(pick(replayed.outputs));
    expect(pick(scanned.outputs)).toMatchObject({ critical: '3', high: '6', total: '12' });
  });
});
