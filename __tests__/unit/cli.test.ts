import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, parseArgs, UsageError } from '../../src/cli.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';

describe('parseArgs', () => {
  it.each<[string[], Record<string, string>]>([
    [['--trivy-reports', 'a.json'], { 'trivy-reports': 'a.json' }],
    [
      ['--trivy-reports=a.json', '--trivy-reports', 'b.json'],
      { 'trivy-reports': 'a.json\nb.json' },
    ],
    [['--fail-on', 'critical>0,high>5'], { 'fail-on': 'critical>0,high>5' }],
    [['--ignore-unfixed'], { 'ignore-unfixed': 'true' }],
    [['--ignore-unfixed', 'false'], { 'ignore-unfixed': 'false' }],
    [['--ignore-unfixed', '--fail-on', 'none'], { 'ignore-unfixed': 'true', 'fail-on': 'none' }],
  ])('%j', (argv, expected) => {
    expect(parseArgs(argv).inputs).toMatchObject(expected);
  });

  it('turns GitHub publishing off by default outside Actions', () => {
    expect(parseArgs([]).inputs).toMatchObject({
      'upload-sarif': 'false',
      'pr-comment': 'false',
      summary: 'false',
    });
  });

  it.each([
    [['--no-such-option', 'x'], 'unknown option --no-such-option'],
    [['--fail-on'], '--fail-on needs a value'],
    [['report.json'], 'unexpected argument "report.json"'],
  ])('%j is a usage error: %s', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(new UsageError(message));
  });
});

describe.skipIf(!HAS_CORPUS)('cli exit codes', () => {
  async function run(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const dir = mkdtempSync(path.join(os.tmpdir(), 'scg-cli-'));
    const code = await cli([...argv, '--output-dir', dir], {
      stdout: (s) => out.push(s),
      stderr: (s) => err.push(s),
      env: {},
    });
    return { code, stdout: out.join('\n'), stderr: err.join('\n') };
  }
  const report = () => corpusPath('trivy-json/image/alpine-39.json');

  it('exits 1 when the gate fails and prints the table and the reason', async () => {
    const r = await run(['--trivy-reports', report(), '--fail-on', 'high']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^all\s+2\s+0\s+4\s+0\s+0\s+6$/m);
    expect(r.stdout).toMatch(/verdict: FAIL/);
    expect(r.stderr).toMatch(/gate failed: 2 CRITICAL findings/);
  });

  it('exits 0 when the gate passes', async () => {
    const r = await run(['--trivy-reports', report(), '--fail-on', 'none']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/verdict: PASS/);
  });

  it('exits 2 on a bad input, naming it, with no table', async () => {
    const r = await run(['--trivy-reports', report(), '--fail-on', 'hihg']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/fail-on: "hihg" is not a severity/);
    expect(r.stdout).toBe('');
  });

  it('exits 2 when a glob matches nothing', async () => {
    const r = await run(['--trivy-reports', 'no/such/*.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/trivy-reports: no file matches "no\/such\/\*\.json"/);
  });

  it('exits 2 on a usage error and points at --help', async () => {
    const r = await run(['--bogus']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option --bogus[\s\S]*--help/);
  });

  it('prints the options with --help', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--trivy-reports <value>/);
    expect(r.stdout).toMatch(/--ignore-unfixed\[=true\|false\]/);
  });
});
