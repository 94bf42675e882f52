import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../src/model.js';
import {
  FINGERPRINT_KEY,
  renderSarif,
  sarifLevel,
  securitySeverity,
  splitRuns,
  type SarifLog,
  type SarifResult,
} from '../../src/render/sarif.js';
import {
  counted,
  decision,
  license,
  misconf,
  report,
  secret,
  vuln,
} from '../helpers/render-findings.js';

const OPTS = { toolVersion: '1.0.0' };

function results(log: SarifLog): SarifResult[] {
  return log.runs.flatMap((r) => [...r.results]);
}

function fingerprints(log: SarifLog): string[] {
  return results(log).map((r) => r.partialFingerprints[FINGERPRINT_KEY]!);
}

function render(findings: Finding[], opts = {}) {
  return renderSarif([report(findings)], counted(findings), { ...OPTS, ...opts });
}

describe('levels and security-severity', () => {
  it.each([
    ['CRITICAL', 'error'],
    ['HIGH', 'error'],
    ['MEDIUM', 'warning'],
    ['LOW', 'note'],
    ['UNKNOWN', 'note'],
  ] as const)('%s is %s', (sev, level) => {
    expect(sarifLevel(sev)).toBe(level);
  });

  it.each([
    ['the CVSS score of the severity source', vuln({ cvssScore: 7.5 }), '7.5'],
    ['the severity default without CVSS', vuln({ severity: 'CRITICAL' }), '9.5'],
    ['the severity default for a 0.0 score', vuln({ severity: 'LOW', cvssScore: 0 }), '2.0'],
    ['nothing for UNKNOWN', vuln({ severity: 'UNKNOWN' }), undefined],
    ['the severity default for a misconfiguration', misconf({ severity: 'HIGH' }), '8.0'],
  ])('uses %s', (_, f, expected) => {
    expect(securitySeverity(f)).toBe(expected);
  });

  it('puts the highest score of a rule on the rule', () => {
    const { log } = render([
      vuln({ cvssScore: 5.0 }),
      vuln({ pkgName: 'libcrypto3', cvssScore: 9.1 }),
    ]);
    expect(log.runs[0]!.tool.driver.rules).toHaveLength(1);
    expect(log.runs[0]!.tool.driver.rules[0]!.properties['security-severity']).toBe('9.1');
  });
});

describe('locations', () => {
  it('anchors image findings to the Dockerfile when one is given', () => {
    const { log } = render([vuln()], { dockerfile: 'build/Dockerfile', dockerfileLine: 3 });
    expect(results(log)[0]!.locations[0]!.physicalLocation).toEqual({
      artifactLocation: { uri: 'build/Dockerfile' },
      region: { startLine: 3 },
    });
  });

  it('makes an absolute Dockerfile path relative to the workspace', () => {
    const { log } = render([vuln()], {
      dockerfile: '/home/runner/work/app/app/Dockerfile',
      workspace: '/home/runner/work/app/app',
    });
    expect(results(log)[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe('Dockerfile');
  });

  it('uses the image repository (no tag, no digest) as a logical path otherwise', () => {
    const { log } = render([
      vuln({ artifact: 'localhost:5000/octo/app:pr-9@sha256:' + 'a'.repeat(64) }),
    ]);
    expect(results(log)[0]!.locations[0]!.physicalLocation.artifactLocation.uri).toBe(
      'localhost%3A5000/octo/app',
    );
  });

  it('puts misconfigurations and secrets at their file and lines, lockfile findings at the lockfile', () => {
    const lock = vuln({
      artifact: 'services/api',
      artifactType: 'filesystem',
      target: 'package-lock.json',
      resultClass: 'lang-pkgs',
      resultType: 'npm',
    });
    const { log } = render([misconf(), secret(), lock]);
    const locs = results(log).map((r) => r.locations[0]!.physicalLocation);
    expect(locs).toContainEqual({
      artifactLocation: { uri: 'deploy/pod.yaml' },
      region: { startLine: 10, endLine: 14 },
    });
    expect(locs).toContainEqual({
      artifactLocation: { uri: 'scripts/deploy.sh' },
      region: { startLine: 3 },
    });
    expect(locs).toContainEqual({
      artifactLocation: { uri: 'services/api/package-lock.json' },
      region: { startLine: 1 },
    });
  });
});

describe('runs and categories', () => {
  it('gives each target its own run and category, and an empty run for a clean target', () => {
    const other = vuln({ artifact: 'ghcr.io/octo/worker:2.0' });
    const clean = report([], {
      artifact: {
        name: 'ghcr.io/octo/clean:1',
        type: 'container_image',
        repoTags: [],
        repoDigests: [],
        diffIds: [],
      },
    });
    const findings = [vuln(), other];
    const { log } = renderSarif(
      [report([vuln()]), report([other]), clean],
      counted(findings),
      OPTS,
    );
    expect(log.runs.map((r) => r.automationDetails.id)).toEqual([
      'image:ghcr.io/octo/app/',
      'image:ghcr.io/octo/worker/',
      'image:ghcr.io/octo/clean/',
    ]);
    expect(log.runs.map((r) => r.results.length)).toEqual([1, 1, 0]);
  });

  it('uses sarif-category as is for one target and as a prefix for several', () => {
    expect(render([vuln()], { category: 'containers' }).log.runs[0]!.automationDetails.id).toBe(
      'containers/',
    );
    const two = [vuln(), vuln({ artifact: 'ghcr.io/octo/worker:2' })];
    const { log } = renderSarif([report([two[0]!]), report([two[1]!])], counted(two), {
      ...OPTS,
      category: 'containers',
    });
    expect(log.runs.map((r) => r.automationDetails.id)).toEqual([
      'containers/image:ghcr.io/octo/app/',
      'containers/image:ghcr.io/octo/worker/',
    ]);
  });

  it('splits more than 20 runs into several logs', () => {
    const reports = Array.from({ length: 41 }, (_, i) =>
      report([vuln({ artifact: `ghcr.io/o/a${i}:1` })]),
    );
    const { log } = renderSarif(reports, counted(reports.flatMap((r) => r.findings)), OPTS);
    expect(splitRuns(log).map((l) => l.runs.length)).toEqual([20, 20, 1]);
  });
});

describe('what is included', () => {
  it('includes every reported severity (the gate is separate) but not filtered or passed findings', () => {
    const low = vuln({ id: 'CVE-LOW', severity: 'LOW' });
    const filtered = vuln({ id: 'CVE-FILTERED' });
    const passed = misconf({ status: 'PASS' });
    const d = {
      ...counted([low, passed]),
      decisions: [
        ...counted([low, passed]).decisions,
        decision(filtered, { filtered: 'severity', counted: false, gated: false }),
      ],
    };
    const { log } = renderSarif([report([low])], d, OPTS);
    expect(results(log).map((r) => r.ruleId)).toEqual(['CVE-LOW']);
  });

  it('leaves suppressed findings out by default (code scanning would show them as open alerts)', () => {
    const f = vuln();
    const d = {
      ...counted([]),
      decisions: [
        decision(f, {
          counted: false,
          gated: false,
          suppression: { kind: 'ignore-file', file: '.trivyignore' },
        }),
      ],
    };
    expect(results(renderSarif([report([f])], d, OPTS).log)).toEqual([]);
  });

  it('with includeSuppressed, marks them with an accepted external suppression and its reason', () => {
    const f = vuln();
    const d = {
      ...counted([]),
      decisions: [
        decision(f, {
          counted: false,
          gated: false,
          suppression: {
            kind: 'ignore-file',
            file: '.trivyignore.yaml',
            statement: 'not reachable',
            expiresAt: '2027-01-01',
          },
        }),
      ],
    };
    const r = results(renderSarif([report([f])], d, { ...OPTS, includeSuppressed: true }).log)[0]!;
    expect(r.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification: 'ignored by .trivyignore.yaml: not reachable: until 2027-01-01',
      },
    ]);
  });

  it('sets baselineState only when there is a baseline', () => {
    const f = vuln();
    expect(results(render([f]).log)[0]!.baselineState).toBeUndefined();
    const d = {
      ...counted([]),
      hasBaseline: true,
      decisions: [
        decision(f, { baseline: 'new' }),
        decision(vuln({ id: 'CVE-2' }), { baseline: 'unchanged' }),
      ],
    };
    expect(results(renderSarif([report([f])], d, OPTS).log).map((r) => r.baselineState)).toEqual([
      'new',
      'unchanged',
    ]);
  });

  it('never puts a secret match into the SARIF', () => {
    const text = JSON.stringify(render([secret()]).log);
    expect(text).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('uses Trivy rule IDs (vulnerability ID, check ID, secret rule) and a license rule', () => {
    expect(
      results(render([vuln(), misconf(), secret(), license()]).log)
        .map((r) => r.ruleId)
        .sort(),
    ).toEqual(['CVE-2024-0001', 'KSV-0001', 'aws-access-key-id', 'license:GPL-3.0'].sort());
  });

  it('keeps tags within 20 per rule', () => {
    const cwes = Array.from({ length: 30 }, (_, i) => `CWE-${i}`);
    const rule = render([vuln({ cweIds: cwes })]).log.runs[0]!.tool.driver.rules[0]!;
    expect(rule.properties.tags.length).toBe(20);
  });
});

describe('fingerprints', () => {
  const base = [vuln(), vuln({ id: 'CVE-2024-0002', pkgName: 'busybox' }), misconf(), secret()];

  it('are identical for the same findings rendered twice', () => {
    expect(fingerprints(render(base).log)).toEqual(fingerprints(render(base).log));
  });

  it('do not change with the image tag, digest or OS point release', () => {
    const retagged = base.map((f) =>
      f.artifactType === 'container_image'
        ? {
            ...f,
            artifact: 'ghcr.io/octo/app:1.5.0@sha256:' + 'b'.repeat(64),
            target: 'ghcr.io/octo/app:1.5.0 (alpine 3.19.2)',
          }
        : f,
    );
    expect(fingerprints(render(retagged).log)).toEqual(fingerprints(render(base).log));
  });

  it('change only for the finding whose fixed version or line changed', () => {
    const byRule = (log: SarifLog): Record<string, string> =>
      Object.fromEntries(
        results(log).map((r) => [r.ruleId, r.partialFingerprints[FINGERPRINT_KEY]!]),
      );
    const before = byRule(render(base).log);
    const changed = [
      vuln({ fixedVersion: '3.1.6-r0' }),
      base[1]!,
      misconf({ startLine: 11, endLine: 15 }),
      base[3]!,
    ];
    const after = byRule(render(changed).log);
    const same = Object.fromEntries(
      Object.keys(before).map((id) => [id, before[id] === after[id]]),
    );
    expect(same).toEqual({
      'CVE-2024-0001': false,
      'CVE-2024-0002': true,
      'KSV-0001': false,
      'aws-access-key-id': true,
    });
  });

  it('stay unique when the same identity appears twice', () => {
    const fps = fingerprints(render([vuln(), vuln()]).log);
    expect(new Set(fps).size).toBe(2);
  });
});

describe("GitHub's limits", () => {
  it('keeps the most severe results when a run has more than the limit, and says what was left out', () => {
    const many = [
      ...Array.from({ length: 5 }, (_, i) => vuln({ id: `CVE-LOW-${i}`, severity: 'LOW' })),
      ...Array.from({ length: 3 }, (_, i) => vuln({ id: `CVE-CRIT-${i}`, severity: 'CRITICAL' })),
      vuln({ id: 'CVE-MED', severity: 'MEDIUM' }),
    ];
    const out = render(many, { maxResultsPerRun: 4 });
    expect(results(out.log).map((r) => r.ruleId)).toEqual([
      'CVE-CRIT-0',
      'CVE-CRIT-1',
      'CVE-CRIT-2',
      'CVE-MED',
    ]);
    expect(out.log.runs[0]!.tool.driver.rules.map((r) => r.id)).toEqual([
      'CVE-CRIT-0',
      'CVE-CRIT-1',
      'CVE-CRIT-2',
      'CVE-MED',
    ]);
    expect(out.omissions).toEqual([
      { category: 'image:ghcr.io/octo/app', omitted: 5, mostSevereOmitted: 'LOW' },
    ]);
  });

  it('trims least severe first until the gzipped log fits the size limit', () => {
    // Pseudo-random descriptions compress poorly, so the size limit bites.
    let seed = 1;
    const noise = (n: number): string =>
      Array.from({ length: n }, () => (seed = (seed * 48271) % 2147483647).toString(36)).join(' ');
    const many = Array.from({ length: 200 }, (_, i) =>
      vuln({ id: `CVE-${i}`, severity: i < 20 ? 'CRITICAL' : 'LOW', description: noise(40) }),
    );
    const full = gzipSync(JSON.stringify(render(many).log)).length;
    const limit = Math.floor(full / 3);
    const out = render(many, { maxGzipBytes: limit });
    expect(gzipSync(JSON.stringify(out.log)).length).toBeLessThanOrEqual(limit);
    const kept = results(out.log);
    expect(kept.length).toBeGreaterThanOrEqual(20);
    expect(kept.length).toBeLessThan(200);
    expect(kept.slice(0, 20).every((r) => r.level === 'error')).toBe(true);
    expect(out.omissions).toEqual([
      { category: 'image:ghcr.io/octo/app', omitted: 200 - kept.length, mostSevereOmitted: 'LOW' },
    ]);
  });
});
