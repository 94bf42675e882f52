/**
 * SARIF of every corpus report, validated with the Microsoft SARIF multitool using GitHub's
 * ingestion rules, compared with Trivy's own SARIF for the same input, and checked for
 * fingerprint stability.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Decisions, ScanReport } from '../../src/model.js';
import { FINGERPRINT_KEY, renderSarif, splitRuns, type SarifLog } from '../../src/render/sarif.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusFiles, corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { counted } from '../helpers/render-findings.js';

const MULTITOOL = path.resolve(
  import.meta.dirname,
  '../../node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool',
);
const HAS_MULTITOOL = existsSync(MULTITOOL);
if (HAS_CORPUS && !HAS_MULTITOOL) {
  console.warn(
    `SARIF validation SKIPPED: ${MULTITOOL} is absent (npm install @microsoft/sarif-multitool)`,
  );
}

const files = [...corpusFiles('trivy-json'), ...corpusFiles('action-golden')];

function load(file: string): ScanReport {
  return parseTrivyReport(readFileSync(corpusPath(file), 'utf8'), file);
}

function noPolicy(reports: readonly ScanReport[]): Decisions {
  return counted(reports.flatMap((r) => r.findings));
}

function sarifOf(reports: readonly ScanReport[]): SarifLog {
  return renderSarif(reports, noPolicy(reports), { toolVersion: '0.1.0' }).log;
}

/** Multitool findings by input file: [level, rule, location] of each. */
type Findings = Map<string, string[]>;

describe.skipIf(!HAS_CORPUS || !HAS_MULTITOOL)(
  "SARIF of every corpus report passes GitHub's rules",
  () => {
    let dir: string;
    const inputs = new Map<string, string>();
    const byFile: Findings = new Map();

    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'scg-sarif-'));
      files.forEach((file, i) => {
        const out = path.join(dir, `${i}.sarif`);
        writeFileSync(out, JSON.stringify(sarifOf([load(file)])));
        inputs.set(file, out);
      });
      // The fan-in case: every report in one log, split at GitHub's 20 runs per file.
      splitRuns(sarifOf(files.map(load))).forEach((log, i) => {
        const out = path.join(dir, `fan-in-${i}.sarif`);
        writeFileSync(out, JSON.stringify(log));
        inputs.set(`fan-in part ${i}`, out);
      });
      // Suppressions and baseline states, which plain corpus renders do not exercise.
      const centos = load('trivy-json/image/centos-7.json');
      const marked: Decisions = {
        ...noPolicy([centos]),
        hasBaseline: true,
        decisions: centos.findings.map((finding, i) => ({
          finding,
          counted: i % 2 === 0,
          gated: i % 2 === 0,
          baseline: i % 3 === 0 ? ('new' as const) : ('unchanged' as const),
          ...(i % 2 === 1 && {
            suppression: {
              kind: 'ignore-file' as const,
              file: '.trivyignore.yaml',
              statement: 'accepted risk',
              expiresAt: '2027-01-01',
            },
          }),
        })),
      };
      const variant = path.join(dir, 'suppressed-baseline.sarif');
      writeFileSync(
        variant,
        JSON.stringify(
          renderSarif([centos], marked, {
            toolVersion: '0.1.0',
            includeSuppressed: true,
            dockerfile: 'Dockerfile',
          }).log,
        ),
      );
      inputs.set('centos-7 with suppressions, baseline states and a Dockerfile anchor', variant);
      // A canary the rules must reject (a result without a location): proves the check can fail.
      const first = sarifOf([load('trivy-json/image/alpine-310.json')]);
      const broken = {
        ...first,
        runs: first.runs.map((r) => ({
          ...r,
          results: r.results.map(({ locations: _drop, ...rest }) => rest),
        })),
      };
      const canaryFile = path.join(dir, 'canary.sarif');
      writeFileSync(canaryFile, JSON.stringify(broken));
      inputs.set('canary', canaryFile);
      const report = path.join(dir, 'validation.sarif');
      // One invocation for all files: the tool takes seconds to start.
      const run = spawnSync(
        MULTITOOL,
        [
          'validate',
          ...inputs.values(),
          '--rule-kind',
          'Sarif;Gh',
          '--level',
          'Error;Warning',
          '-o',
          report,
          '--log',
          'ForceOverwrite',
        ],
        { encoding: 'utf8', env: { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: '1' } },
      );
      if (!existsSync(report))
        throw new Error(`multitool wrote no output: ${run.stderr || run.stdout}`);
      const out = JSON.parse(readFileSync(report, 'utf8')) as {
        runs: {
          results?: {
            level?: string;
            ruleId: string;
            locations?: { physicalLocation?: { artifactLocation?: { uri?: string } } }[];
            message?: { arguments?: string[] };
          }[];
        }[];
      };
      for (const r of out.runs.flatMap((x) => x.results ?? [])) {
        const uri = decodeURIComponent(
          r.locations?.[0]?.physicalLocation?.artifactLocation?.uri ?? '',
        );
        const key = path.basename(uri);
        const list = byFile.get(key) ?? [];
        list.push(`${r.level ?? 'warning'} ${r.ruleId} ${(r.message?.arguments ?? []).join(' ')}`);
        byFile.set(key, list);
      }
    }, 180_000);

    afterAll(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('renders the whole corpus', () => {
      expect(files.length).toBeGreaterThan(60);
      expect([...inputs.keys()].filter((k) => k.startsWith('fan-in')).length).toBeGreaterThan(1);
    });

    it('reports errors for a broken canary file (the check can fail)', () => {
      const found = byFile.get('canary.sarif') ?? [];
      expect(found.filter((f) => f.startsWith('error ')).length).toBeGreaterThan(0);
    });

    it.each([
      ...files,
      'fan-in part 0',
      'fan-in part 1',
      'centos-7 with suppressions, baseline states and a Dockerfile anchor',
    ])('%s: no errors or warnings', (file) => {
      const out = inputs.get(file);
      expect(out).toBeDefined();
      expect(byFile.get(path.basename(out!)) ?? []).toEqual([]);
    });
  },
);

/** The JSON ⇄ SARIF pairs of corpus/SOURCES.md. */
const PAIRS = [
  ['trivy-json/image/alpine-310.json', 'trivy-sarif/alpine-310.sarif'],
  ['trivy-json/config/action-v0.72.0-config-tf.json', 'trivy-sarif/action-v0.72.0-config-tf.sarif'],
] as const;

describe.skipIf(!HAS_CORPUS)("results match Trivy's own SARIF for the same input", () => {
  it.each(PAIRS)('%s ⇄ %s: same result count and rule IDs', (json, sarif) => {
    const theirs = JSON.parse(readFileSync(corpusPath(sarif), 'utf8')) as {
      runs: { results: { ruleId: string }[] }[];
    };
    const ours = sarifOf([load(json)]);
    const ids = (runs: readonly { results: readonly { ruleId: string }[] }[]): string[] =>
      runs.flatMap((r) => r.results.map((x) => x.ruleId)).sort();
    expect(ids(ours.runs)).toEqual(ids(theirs.runs));
    expect(ids(ours.runs).length).toBeGreaterThan(0);
  });
});

describe.skipIf(!HAS_CORPUS)('fingerprints over the corpus', () => {
  it.each(files)('%s: identical when rendered twice, unique within each run', (file) => {
    const fp = (log: SarifLog): string[][] =>
      log.runs.map((r) => r.results.map((x) => x.partialFingerprints[FINGERPRINT_KEY]!));
    const a = fp(sarifOf([load(file)]));
    expect(fp(sarifOf([load(file)]))).toEqual(a);
    for (const run of a) expect(new Set(run).size).toBe(run.length);
  });

  it('do not depend on the image reference: a retagged report keeps every fingerprint', () => {
    const report = load('trivy-json/image/action-v0.72.0-image-alpine-3.10-critical.json');
    const retag = (r: ScanReport, name: string): ScanReport => ({
      ...r,
      artifact: { ...r.artifact, name },
      findings: r.findings.map((f) => ({
        ...f,
        artifact: name,
        target: f.target.replace('alpine:3.10', name),
      })),
    });
    const fps = (r: ScanReport): string[] =>
      sarifOf([r]).runs[0]!.results.map((x) => x.partialFingerprints[FINGERPRINT_KEY]!);
    const original = fps(retag(report, 'alpine:3.10'));
    expect(original.length).toBeGreaterThan(0);
    expect(fps(retag(report, 'alpine:3.10@sha256:' + 'c'.repeat(64)))).toEqual(original);
  });
});
