import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyBaseline, baselineKey } from '../../src/policy/baseline.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { counted, decision, misconf, report, secret, vuln } from '../helpers/render-findings.js';

describe('baselineKey', () => {
  it('ignores the image tag and OS point release of OS package results', () => {
    const pr = vuln({
      artifact: 'ghcr.io/o/app:pr-7',
      target: 'ghcr.io/o/app:pr-7 (alpine 3.19.2)',
    });
    const main = vuln({
      artifact: 'ghcr.io/o/app:main',
      target: 'ghcr.io/o/app:main (alpine 3.19.1)',
    });
    expect(baselineKey(pr)).toBe(baselineKey(main));
  });

  it('matches old and new misconfiguration IDs through the AVD ID', () => {
    const old = misconf({ id: 'KSV001', avdId: 'AVD-KSV-0001' });
    const now = misconf({ id: 'KSV-0001' });
    expect(baselineKey(old)).toBe(baselineKey(now));
  });

  it.each([
    ['another package', vuln({ pkgName: 'libcrypto3' })],
    ['another vulnerability', vuln({ id: 'CVE-2024-9999' })],
    ['another lockfile', vuln({ resultClass: 'lang-pkgs', target: 'b/package-lock.json' })],
  ])('tells apart %s', (_, other) => {
    expect(baselineKey(other)).not.toBe(baselineKey(vuln()));
  });
});

describe('applyBaseline', () => {
  const kept = vuln({ id: 'CVE-KEPT' });
  const added = vuln({ id: 'CVE-ADDED', severity: 'CRITICAL' });
  const gone = vuln({ id: 'CVE-GONE' });
  const base = [report([kept, gone], { source: 'base.json' })];

  it('marks new and unchanged, and finds the fixed ones', () => {
    const out = applyBaseline(counted([kept, added]).decisions, base, { failOnNewOnly: false });
    expect(out.decisions.map((d) => [d.finding.id, d.baseline])).toEqual([
      ['CVE-KEPT', 'unchanged'],
      ['CVE-ADDED', 'new'],
    ]);
    expect(out.fixed.map((f) => f.id)).toEqual(['CVE-GONE']);
    expect(out.newCount).toBe(1);
  });

  it('with fail-on-new-only gates only new findings; without it every counted one', () => {
    const only = applyBaseline(counted([kept, added]).decisions, base, { failOnNewOnly: true });
    expect(only.decisions.map((d) => d.gated)).toEqual([false, true]);
    const all = applyBaseline(counted([kept, added]).decisions, base, { failOnNewOnly: false });
    expect(all.decisions.map((d) => d.gated)).toEqual([true, true]);
  });

  it('never gates a suppressed finding, new or not', () => {
    const d = [
      decision(added, {
        counted: false,
        gated: false,
        suppression: { kind: 'ignore-file', file: '.trivyignore' },
      }),
    ];
    const out = applyBaseline(d, base, { failOnNewOnly: true });
    expect(out.decisions[0]).toMatchObject({ baseline: 'new', gated: false });
    expect(out.newCount).toBe(0);
  });

  it('does not call a suppressed or filtered finding fixed', () => {
    const d = [
      decision(gone, { counted: false, gated: false, filtered: 'severity' }),
      decision(kept, {
        counted: false,
        gated: false,
        suppression: { kind: 'ignore-file', file: '.trivyignore' },
      }),
    ];
    expect(applyBaseline(d, base, { failOnNewOnly: false }).fixed).toEqual([]);
  });

  it('leaves out baseline findings outside the reported severities', () => {
    const low = vuln({ id: 'CVE-LOW', severity: 'LOW' });
    const out = applyBaseline([], [report([low])], {
      failOnNewOnly: false,
      isReportable: (f) => f.severity !== 'LOW',
    });
    expect(out.fixed).toEqual([]);
  });

  it('compares per artifact when the baseline has the same artifact', () => {
    // The same package in another image of the baseline does not make this one unchanged.
    const other = vuln({ artifact: 'ghcr.io/octo/worker:1' });
    const out = applyBaseline(counted([vuln()]).decisions, [report([other])], {
      failOnNewOnly: false,
    });
    expect(out.decisions[0]!.baseline).toBe('unchanged'); // no baseline for app: compared with all
    const both = applyBaseline(counted([vuln()]).decisions, [report([other]), report([secret()])], {
      failOnNewOnly: false,
    });
    expect(both.decisions[0]!.baseline).toBe('unchanged');
    const scoped = applyBaseline(
      counted([vuln()]).decisions,
      [report([other]), report([vuln({ id: 'CVE-X', artifact: 'ghcr.io/octo/app:main' })])],
      { failOnNewOnly: false },
    );
    expect(scoped.decisions[0]!.baseline).toBe('new');
  });
});

describe.skipIf(!HAS_CORPUS)('applyBaseline on corpus reports', () => {
  const load = (f: string) => parseTrivyReport(readFileSync(corpusPath(f), 'utf8'), f);

  it('the full alpine-3.9 scan against its HIGH/CRITICAL-only scan: the extra ones are new, nothing fixed', () => {
    const full = load('trivy-json/image/alpine-39.json');
    const hc = load('trivy-json/image/alpine-39-high-critical.json');
    const out = applyBaseline(counted(full.findings).decisions, [hc], { failOnNewOnly: true });
    const fresh = out.decisions.filter((d) => d.baseline === 'new').length;
    expect(fresh).toBe(full.findings.length - hc.findings.length);
    expect(out.fixed).toEqual([]);
  });

  it('the other way round: the lower severities look fixed', () => {
    const full = load('trivy-json/image/alpine-39.json');
    const hc = load('trivy-json/image/alpine-39-high-critical.json');
    const out = applyBaseline(counted(hc.findings).decisions, [full], { failOnNewOnly: false });
    expect(out.decisions.every((d) => d.baseline === 'unchanged')).toBe(true);
    expect(out.fixed).toHaveLength(full.findings.length - hc.findings.length);
  });

  it('a baseline from Trivy before 0.69 (old check IDs + AVDID) matches the same Terraform today', () => {
    const now = load('trivy-json/config/action-v0.72.0-config-tf.json');
    const old = {
      ...now,
      findings: now.findings.map((f) =>
        f.kind === 'misconfiguration' ? { ...f, id: `AVD-${f.id}`, avdId: `AVD-${f.id}` } : f,
      ),
    };
    const out = applyBaseline(counted(now.findings).decisions, [old], { failOnNewOnly: false });
    expect(out.decisions.length).toBeGreaterThan(0);
    expect(out.decisions.filter((d) => d.baseline === 'new')).toEqual([]);
    expect(out.fixed).toEqual([]);
  });
});
