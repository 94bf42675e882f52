/** main.run end to end on files in a temp workspace, with in-memory sinks. */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { INPUT_DEFAULTS, type InputName } from '../../src/inputs.js';
import { runAndGate, type Deps, type OutputName } from '../../src/main.js';
import { ROOT } from '../helpers/bundle.js';

function workspace(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'scg-main-'));
  for (const f of ['image.json', 'config.json', 'fs.json']) {
    copyFileSync(path.join(ROOT, 'examples/reports', f), path.join(dir, f));
  }
  return dir;
}

async function runIn(
  dir: string,
  over: Partial<Record<InputName, string>>,
  now = new Date('2026-11-26T00:00:00Z'),
) {
  const outputs: Partial<Record<OutputName, string>> = {};
  const warnings: string[] = [];
  const failures: string[] = [];
  let jobSummary = '';
  const deps: Deps = {
    log: {
      info: () => undefined,
      debug: () => undefined,
      error: () => undefined,
      warning: (m) => warnings.push(m),
      group: (_n, fn) => fn(),
      groupLines: () => undefined,
    },
    sink: {
      setOutput: (name, value) => void (outputs[name] = value),
      writeJobSummary: async (md) => void (jobSummary += md),
      annotate: () => undefined,
      fail: (m) => void failures.push(m),
    },
    now: () => now,
  };
  const env = {
    workspace: dir,
    tempDir: dir,
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    inActions: false,
  };
  const { exitCode } = await runAndGate(
    () => buildConfig({ ...INPUT_DEFAULTS, 'trivy-reports': '*.json', ...over }, env),
    deps,
  );
  return { exitCode, outputs, warnings, failures, jobSummary };
}

describe('run', () => {
  it('counts every class across several reports', async () => {
    const r = await runIn(workspace(), { 'fail-on': 'none' });
    expect(r.exitCode).toBe(0);
    expect(r.outputs).toMatchObject({
      critical: '3',
      high: '6',
      medium: '2',
      low: '1',
      unknown: '0',
      total: '12',
      suppressed: '0',
    });
  });

  it('picks up .trivyignore at the workspace root, and reports a rule once it expired', async () => {
    const dir = workspace();
    writeFileSync(
      path.join(dir, '.trivyignore'),
      '# base image bump pending\nCVE-2022-37434 exp:2026-12-31\nAWS-0107\n',
    );
    const before = await runIn(dir, { 'fail-on': 'critical' });
    expect(before.outputs).toMatchObject({ critical: '1', suppressed: '2' });
    expect(before.jobSummary).toContain('base image bump pending');
    expect(before.jobSummary).toContain('2026-12-31');
    const after = await runIn(dir, { 'fail-on': 'critical' }, new Date('2027-01-01T00:00:00Z'));
    expect(after.outputs).toMatchObject({ critical: '2', suppressed: '1' });
    expect(after.warnings).toContain(
      'ignore rule CVE-2022-37434 in .trivyignore expired on 2026-12-31: it no longer suppresses',
    );
    expect(after.jobSummary).toMatch(
      /1 ignore rule\(s\) expired and no longer suppress: `CVE-2022-37434` in `.trivyignore` \(expired `2026-12-31`\)/,
    );
  });

  it('applies VEX and the severity filter, keeping the reasons', async () => {
    const dir = workspace();
    copyFileSync(path.join(ROOT, 'examples/vex.openvex.json'), path.join(dir, 'vex.json'));
    const r = await runIn(dir, {
      vex: 'vex.json',
      severity: 'CRITICAL,HIGH',
      'fail-on': 'none',
      'trivy-reports': 'image.json',
    });
    expect(r.outputs).toMatchObject({ critical: '1', high: '1', medium: '0', suppressed: '1' });
    expect(r.jobSummary).toMatch(/VEX not\\_affected/);
    expect(r.jobSummary).toMatch(/1 filtered by severity/);
  });

  it.each([
    ['ignore-file', 'no-such.trivyignore'],
    ['vex', 'vex/missing.json'],
    ['baseline-report', 'base.json'],
    ['trusted-root', 'trusted_root.json'],
  ] as const)(
    'fails naming %s when the file it names does not exist, before any work',
    async (input, file) => {
      const dir = workspace();
      const r = await runIn(dir, { [input]: file });
      expect(r.exitCode).toBe(2);
      expect(r.failures[0]).toMatch(
        new RegExp(`^${input}: .*${file.replace('.', '\\.')} does not exist`),
      );
      expect(r.outputs).toEqual({});
    },
  );

  it('fails naming the ignore file when it is broken, before writing any output', async () => {
    const dir = workspace();
    writeFileSync(path.join(dir, 'ignore.yaml'), 'vulnerabilities:\n  - statement: no id\n');
    const r = await runIn(dir, { 'ignore-file': 'ignore.yaml' });
    expect(r.exitCode).toBe(2);
    expect(r.failures[0]).toMatch(/^ignore\.yaml: vulnerabilities\[0\] has no "id"/);
    expect(r.outputs).toEqual({});
  });
});
