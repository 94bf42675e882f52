/**
 * Runs the committed bundle the way the runner does: `node dist/index.js` with INPUT_* for
 * every input (defaults from action.yml, as the runner fills them), GITHUB_OUTPUT and
 * GITHUB_STEP_SUMMARY files, and returns what a workflow would see.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';

export const ROOT = path.resolve(import.meta.dirname, '../..');

const action = parse(readFileSync(path.join(ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default: string }>;
};

export interface BundleRun {
  code: number | null;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
  tempDir: string;
}

/** GITHUB_OUTPUT uses `name<<DELIM\nvalue\nDELIM` blocks. */
export function parseOutputFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /^([^\n<]+)<<(\S+)\n([\s\S]*?)\n\2$/gm;
  for (const m of text.matchAll(re)) out[m[1]!] = m[3]!;
  return out;
}

let node24: string | undefined;
/** The Node 24 binary, fetched once through npx (the runtime action.yml names). */
export function node24Path(): string {
  node24 ??= execFileSync('npx', ['-y', 'node@24', '-p', 'process.execPath'], {
    encoding: 'utf8',
  }).trim();
  return node24;
}

export async function runBundle(
  inputs: Record<string, string>,
  opts: { node?: string; env?: Record<string, string>; workspace?: string } = {},
): Promise<BundleRun> {
  const tempDir = mkdtempSync(path.join(os.tmpdir(), 'scg-bundle-'));
  const outputFile = path.join(tempDir, 'github-output');
  const summaryFile = path.join(tempDir, 'step-summary');
  writeFileSync(outputFile, '');
  writeFileSync(summaryFile, '');
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '',
    HOME: tempDir,
    GITHUB_ACTIONS: 'true',
    GITHUB_OUTPUT: outputFile,
    GITHUB_STEP_SUMMARY: summaryFile,
    GITHUB_WORKSPACE: opts.workspace ?? ROOT,
    RUNNER_TEMP: tempDir,
    ...opts.env,
  };
  for (const [name, spec] of Object.entries(action.inputs)) {
    const value =
      name in inputs ? inputs[name]! : name === 'github-token' ? '' : String(spec.default ?? '');
    env[`INPUT_${name.toUpperCase()}`] = value;
  }
  const child = spawn(opts.node ?? process.execPath, [path.join(ROOT, 'dist/index.js')], {
    env,
    cwd: tempDir,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return {
    code,
    stdout,
    stderr,
    outputs: parseOutputFile(readFileSync(outputFile, 'utf8')),
    summary: readFileSync(summaryFile, 'utf8'),
    tempDir,
  };
}
