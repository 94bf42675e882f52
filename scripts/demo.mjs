// The demo: runs the bundled action (dist/index.js) the way a GitHub runner does — inputs as
// INPUT_* variables, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY files — on the sample reports in
// examples/, then shows the verdict, the outputs and where every file went.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'out', 'demo');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const outputFile = path.join(out, 'github-output.txt');
const summaryFile = path.join(out, 'job-summary.md');
writeFileSync(outputFile, '');
writeFileSync(summaryFile, '');

const inputs = {
  'trivy-reports': 'examples/reports/*.json',
  'ignore-file': 'examples/.trivyignore.yaml',
  vex: 'examples/vex.openvex.json',
  'fail-on': 'critical>0,high>2',
  sbom: 'cyclonedx,spdx',
  // Publishing needs a real run (a token, an artifact service): the demo only writes files.
  'upload-artifact': 'false',
};
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8'));
const env = {
  PATH: process.env.PATH,
  GITHUB_ACTIONS: 'true',
  GITHUB_WORKSPACE: root,
  RUNNER_TEMP: out,
  GITHUB_OUTPUT: outputFile,
  GITHUB_STEP_SUMMARY: summaryFile,
};
for (const [name, spec] of Object.entries(action.inputs)) {
  env[`INPUT_${name.toUpperCase()}`] =
    inputs[name] ?? (name === 'github-token' ? '' : String(spec.default ?? ''));
}

console.log(
  'supply-chain-guard demo: the bundled action on examples/ (sample project + Trivy JSON reports)',
);
console.log(
  Object.entries(inputs)
    .map(([k, v]) => `  ${k}: ${v}`)
    .join('\n'),
);
console.log('\n── action log ──');
const run = spawnSync(process.execPath, [path.join(root, 'dist/index.js')], {
  env,
  cwd: root,
  encoding: 'utf8',
});
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);

const outputs = {};
for (const m of readFileSync(outputFile, 'utf8').matchAll(/^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm))
  outputs[m[1]] = m[3];
console.log('\n── job summary (what GitHub shows on the run page) ──');
console.log(readFileSync(summaryFile, 'utf8'));
console.log('── outputs ──');
for (const [k, v] of Object.entries(outputs)) console.log(`  ${k} = ${v}`);
console.log('\n── where everything went ──');
console.log(`  step outputs     ${path.relative(root, outputFile)}`);
console.log(`  job summary      ${path.relative(root, summaryFile)}`);
for (const k of ['summary-file', 'sarif-file', 'sbom-file', 'metrics-file']) {
  if (outputs[k]) console.log(`  ${k.padEnd(16)} ${path.relative(root, outputs[k])}`);
}
console.log(
  `\nverdict: ${outputs.verdict ?? 'none'} (the action exited ${run.status}; a failed gate fails the step, as it should)`,
);
process.exitCode = run.status === 0 || outputs.verdict === 'fail' ? 0 : 1;
