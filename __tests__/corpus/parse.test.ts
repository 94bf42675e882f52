import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusFiles, corpusPath, HAS_CORPUS } from '../helpers/corpus.js';

/** Counts taken straight from the raw JSON, independently of the parser. */
function rawCounts(doc: { Results?: Record<string, unknown[] | undefined>[] }) {
  const c = {
    vulns: 0,
    failedMisconfs: 0,
    passedMisconfs: 0,
    secrets: 0,
    licenses: 0,
    packages: 0,
  };
  for (const r of doc.Results ?? []) {
    c.vulns += (r['Vulnerabilities'] ?? []).length;
    for (const m of (r['Misconfigurations'] ?? []) as { Status?: string }[]) {
      if (m.Status === 'PASS') c.passedMisconfs++;
      else c.failedMisconfs++;
    }
    c.secrets += (r['Secrets'] ?? []).length;
    c.licenses += (r['Licenses'] ?? []).length;
    c.packages += (r['Packages'] ?? []).length;
  }
  return c;
}

const files = [...corpusFiles('trivy-json'), ...corpusFiles('action-golden')];

describe.skipIf(!HAS_CORPUS)('every Trivy JSON report in the corpus', () => {
  it('finds the corpus (a suite that parses nothing must not pass)', () => {
    expect(files.length).toBeGreaterThan(60);
  });

  it.each(files)('%s: counts equal an independent count of the raw JSON', (file) => {
    const text = readFileSync(corpusPath(file), 'utf8');
    const report = parseTrivyReport(text, file);
    const raw = rawCounts(JSON.parse(text));
    const of = (kind: string) => report.findings.filter((f) => f.kind === kind);
    expect(of('vulnerability')).toHaveLength(raw.vulns);
    expect(
      report.findings.filter((f) => f.kind === 'misconfiguration' && f.status === 'FAIL'),
    ).toHaveLength(raw.failedMisconfs);
    expect(
      report.findings.filter((f) => f.kind === 'misconfiguration' && f.status !== 'FAIL'),
    ).toHaveLength(raw.passedMisconfs);
    expect(of('secret')).toHaveLength(raw.secrets);
    expect(of('license')).toHaveLength(raw.licenses);
    expect(report.packages).toHaveLength(raw.packages);
    for (const f of report.findings) {
      expect(f.id, `${file}: a finding without an ID`).not.toBe('');
      expect(f.source).toBe(file);
    }
  });
});
