import { describe, expect, it } from 'vitest';
import type { Decisions } from '../../src/model.js';
import { oldestCriticalDays } from '../../src/policy/apply.js';
import { renderMetrics } from '../../src/render/metrics.js';
import { counted, decision, misconf, report, vuln } from '../helpers/render-findings.js';

const NOW = new Date('2026-06-30T00:00:00Z');

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}{${labels}} `) || l === `${name} ${labels}`);
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('renderMetrics (Prometheus text format)', () => {
  const findings = [
    vuln({ severity: 'CRITICAL', publishedDate: '2026-06-01T00:00:00Z' }),
    vuln({ id: 'CVE-2', severity: 'CRITICAL', publishedDate: '2026-05-01T12:00:00Z' }),
    misconf(),
  ];
  const text = renderMetrics([report(findings)], counted(findings), { now: NOW, passed: false });

  it('counts counted findings by target (repository, no tag), class and severity', () => {
    expect(
      sample(
        text,
        'supply_chain_guard_findings',
        'target="ghcr.io/octo/app",class="vulnerability",severity="critical"',
      ),
    ).toBe(2);
    expect(
      sample(
        text,
        'supply_chain_guard_findings',
        'target=".",class="misconfiguration",severity="medium"',
      ),
    ).toBe(1);
  });

  it('emits zero series for every class and severity so alerts see no gaps', () => {
    expect(
      sample(
        text,
        'supply_chain_guard_findings',
        'target="ghcr.io/octo/app",class="secret",severity="low"',
      ),
    ).toBe(0);
  });

  it('reports the oldest critical age in days, the gate and the time', () => {
    expect(
      sample(text, 'supply_chain_guard_oldest_critical_days', 'target="ghcr.io/octo/app"'),
    ).toBe(59);
    expect(text).toContain('\nsupply_chain_guard_gate_passed 0\n');
    expect(text).toContain(
      `\nsupply_chain_guard_last_run_timestamp_seconds ${NOW.getTime() / 1000}\n`,
    );
  });

  it('is valid exposition text: HELP and TYPE before samples, one family each, final newline', () => {
    expect(text.endsWith('\n')).toBe(true);
    const families = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(families).size).toBe(families.length);
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) [a-z_]+ .+|[a-z_]+(\{([a-z_]+="([^"\\]|\\.)*",?)+\})? -?\d+(\.\d+)?)$/,
      );
    }
  });

  it('counts suppressed, new and fixed with a baseline', () => {
    const d: Decisions = {
      ...counted([]),
      hasBaseline: true,
      fixed: [vuln({ id: 'CVE-OLD' })],
      decisions: [
        decision(vuln(), { baseline: 'new' }),
        decision(vuln({ id: 'CVE-S', severity: 'LOW' }), {
          counted: false,
          gated: false,
          suppression: { kind: 'ignore-file', file: '.trivyignore' },
        }),
      ],
    };
    const t = renderMetrics([], d, { now: NOW });
    expect(
      sample(t, 'supply_chain_guard_findings_new', 'target="ghcr.io/octo/app",severity="high"'),
    ).toBe(1);
    expect(
      sample(
        t,
        'supply_chain_guard_findings_suppressed',
        'target="ghcr.io/octo/app",severity="low"',
      ),
    ).toBe(1);
    expect(sample(t, 'supply_chain_guard_findings_fixed', 'target="ghcr.io/octo/app"')).toBe(1);
    expect(t).not.toContain('gate_passed');
  });

  it('escapes label values from reports', () => {
    const f = vuln({ artifact: 'evil"\n\\name' });
    const t = renderMetrics([], counted([f]), { now: NOW });
    expect(t).toContain('target="evil\\"\\n\\\\name"');
  });
});

describe('oldestCriticalDays', () => {
  it('is undefined without counted criticals', () => {
    expect(oldestCriticalDays(counted([vuln()]).decisions, NOW)).toBeUndefined();
    expect(
      oldestCriticalDays(
        [decision(vuln({ severity: 'CRITICAL', publishedDate: '2020-01-01' }), { counted: false })],
        NOW,
      ),
    ).toBeUndefined();
  });
});
