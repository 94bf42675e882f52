/** The committed bundle, run like the runner runs it, under Node 20 and Node 24. */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { node24Path, runBundle } from '../helpers/bundle.js';

const runtimes = [
  ['Node 20 (this machine)', () => process.execPath],
  ['Node 24 (action.yml)', node24Path],
] as const;

describe.skipIf(!HAS_CORPUS).each(runtimes)('dist/index.js under %s', (_, node) => {
  it('fails the gate on a report with CRITICAL findings, after writing every output', async () => {
    const r = await runBundle(
      { 'trivy-reports': corpusPath('trivy-json/image/alpine-39.json'), 'fail-on': 'high' },
      { node: node() },
    );
    expect(r.code).toBe(1);
    expect(r.outputs).toMatchObject({
      verdict: 'fail',
      critical: '2',
      high: '0',
      medium: '4',
      low: '0',
      unknown: '0',
      total: '6',
      suppressed: '0',
    });
    expect(r.stdout).toMatch(
      /::error::gate failed: 2 CRITICAL findings \(fail-on: high or above\)/,
    );
    expect(r.summary).toContain('## ❌ Supply chain guard: failed');
    expect(existsSync(r.outputs['summary-file']!)).toBe(true);
    expect(readFileSync(r.outputs['summary-file']!, 'utf8')).toBe(r.summary.trimEnd() + '\n');
  });

  it('passes with count thresholds that hold, and reports the oldest critical age', async () => {
    const r = await runBundle(
      { 'trivy-reports': corpusPath('trivy-json/image/alpine-39.json'), 'fail-on': 'critical>2' },
      { node: node() },
    );
    expect(r.code).toBe(0);
    expect(r.outputs['verdict']).toBe('pass');
    // CVE-2019-14697 was published 2019-08-06: years old by now.
    expect(Number(r.outputs['oldest-critical-days'])).toBeGreaterThan(365 * 5);
  });

  it('fails with one clear line, no stack trace, on a typo in fail-on', async () => {
    const r = await runBundle(
      { 'trivy-reports': corpusPath('trivy-json/image/alpine-39.json'), 'fail-on': 'hihg' },
      { node: node() },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /::error::fail-on: "hihg" is not a severity or a count threshold — valid forms:/,
    );
    expect(r.stdout).not.toMatch(/\n\s+at .+\(.+:\d+:\d+\)/);
    expect(r.outputs).toEqual({});
  });

  it('names the file when a report is not Trivy JSON', async () => {
    const r = await runBundle(
      { 'trivy-reports': corpusPath('trivy-sarif/alpine-310.sarif') },
      { node: node() },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/::error::.*alpine-310\.sarif: this is a SARIF file, not Trivy JSON/);
  });
});
