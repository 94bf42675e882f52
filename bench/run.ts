/**
 * npm run bench: the report pipeline against the floor of JSON.parse + JSON.stringify of the
 * same text, interleaved in one process (so machine noise hits both), and the pipeline's peak
 * RSS measured in a fresh child process that does nothing else.
 * Targets (issue 2): time ratio ≤ 2.0, peak RSS ≤ 4× the report size.
 */
import { execFileSync } from 'node:child_process';
import { build } from 'esbuild';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateReport } from './generate.js';
import { pipeline } from './pipeline.js';
import { buildAndValidateSbom } from './sbom.js';
import { parseTrivyReport } from '../src/trivy/parse.js';

const ROUNDS = 7;
const SIZE = { packages: 5_000, vulnerabilities: 20_000, misconfigurations: 2_000 };

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function time(fn: () => unknown): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'scg-bench-'));
const file = path.join(dir, 'report.json');
writeFileSync(file, generateReport(SIZE));
const text = readFileSync(file, 'utf8');
const bytes = Buffer.byteLength(text);

const floor: number[] = [];
const ours: number[] = [];
// One warm-up of each, then interleaved rounds.
JSON.stringify(JSON.parse(text));
await pipeline(file);
for (let i = 0; i < ROUNDS; i++) {
  floor.push(await time(() => JSON.stringify(JSON.parse(text))));
  ours.push(await time(() => pipeline(file)));
}
const ratio = median(ours) / median(floor);

// SBOMs of the same report (issue 5): CycloneDX 1.6 + SPDX 2.3, built and checked. The first
// round also compiles the CycloneDX schema; the median of the rest is the steady state.
const report = parseTrivyReport(text, 'bench.json');
const sbomRounds: Awaited<ReturnType<typeof buildAndValidateSbom>>[] = [];
for (let i = 0; i < 4; i++) sbomRounds.push(await buildAndValidateSbom(report));
const sbomFirst = sbomRounds[0]!;
const sbomSteady = median(sbomRounds.slice(1).map((r) => r.totalMs));

// The child runs the bundled pipeline on plain node: no TypeScript loader in its memory.
const child = path.join(dir, 'rss-child.mjs');
await build({
  entryPoints: [path.join(import.meta.dirname, 'rss-child.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: child,
  logLevel: 'warning',
  banner: {
    js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  },
});
const childRss = Number(execFileSync(process.execPath, [child, file], { encoding: 'utf8' }));
const baselineRss = Number(
  execFileSync(
    process.execPath,
    ['-e', 'process.stdout.write(String(process.resourceUsage().maxRSS*1024))'],
    { encoding: 'utf8' },
  ),
);
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const rssRatio = childRss / bytes;

const results: [string, string][] = [
  [
    'report',
    `${mb(bytes)}: ${SIZE.vulnerabilities} vulnerabilities, ${SIZE.packages} packages, ${SIZE.misconfigurations} misconfigurations`,
  ],
  ['floor JSON.parse+stringify (median)', `${median(floor).toFixed(1)} ms`],
  ['pipeline parse→policy→gate→summary (median)', `${median(ours).toFixed(1)} ms`],
  ['time ratio (target ≤ 2.0)', `${ratio.toFixed(2)} ${ratio <= 2 ? 'OK' : 'OVER TARGET'}`],
  [
    'SBOMs: CycloneDX 1.6 + SPDX 2.3, built + validated',
    `${sbomSteady.toFixed(0)} ms for ${sbomFirst.packages} packages = ${(sbomSteady / median(floor)).toFixed(2)}× the floor (first run, with schema compile: ${sbomFirst.totalMs.toFixed(0)} ms)`,
  ],
  [
    'peak RSS of one pipeline run (child process)',
    `${mb(childRss)} (bare node process: ${mb(baselineRss)})`,
  ],
  [
    'peak RSS / report size (target ≤ 4)',
    `${rssRatio.toFixed(2)} ${rssRatio <= 4 ? 'OK' : 'OVER TARGET'}`,
  ],
];
console.log(
  `supply-chain-guard benchmark (node ${process.version}, ${os.cpus().length} cores, ${ROUNDS} rounds)`,
);
for (const [k, v] of results) console.log(`  ${k.padEnd(50)} ${v}`);
