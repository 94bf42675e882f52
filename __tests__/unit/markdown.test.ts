import { describe, expect, it } from 'vitest';
import type { Decisions, Finding } from '../../src/model.js';
import {
  COMMENT_LIMIT,
  renderComment,
  renderSummary,
  type MarkdownContext,
} from '../../src/render/markdown.js';
import { counted, decision, misconf, report, secret, vuln } from '../helpers/render-findings.js';

const CTX: MarkdownContext = {
  verdict: {
    pass: false,
    reasons: ['1 CRITICAL finding (fail-on: high or above)'],
    newOnly: false,
  },
  failOn: 'high',
  repoUrl: 'https://github.com/octo/app',
  headSha: 'abc1234',
  runUrl: 'https://github.com/octo/app/actions/runs/99',
};

function tableRows(md: string): string[] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| ---') && !l.startsWith('| Severity'));
}

describe('the PR comment', () => {
  it('shows the verdict, the gate reasons and a severity table', () => {
    const md = renderComment([report([vuln()])], counted([vuln({ severity: 'CRITICAL' })]), CTX);
    expect(md).toContain('## ❌ Supply chain guard: failed');
    expect(md).toContain('1 CRITICAL finding');
    expect(md).toMatch(/\| 🔴 CRITICAL \| 1 \| 0 \|/);
    expect(md).toContain('pie showData title Findings by severity');
    expect(md).toContain('"CRITICAL" : 1');
  });

  it('passes with no chart when nothing counts', () => {
    const md = renderComment([report([])], counted([]), {
      ...CTX,
      verdict: { pass: true, reasons: ['no finding at HIGH or above'], newOnly: false },
    });
    expect(md).toContain('✅ Supply chain guard: passed');
    expect(md).not.toContain('mermaid');
    expect(md).toContain('No findings count toward the gate');
  });

  it('links the ID, shows package and installed → fixed, and links misconfigs to file and lines at the head commit', () => {
    const md = renderComment([report([vuln()])], counted([vuln(), misconf()]), CTX);
    expect(md).toContain('[CVE\\-2024\\-0001](https://avd.aquasec.com/nvd/cve-2024-0001)');
    expect(md).toContain('`libssl3` | `3.1.4-r0` → `3.1.5-r0`');
    expect(md).toContain('(https://github.com/octo/app/blob/abc1234/deploy/pod.yaml#L10-L14)');
  });

  it('lists the most severe first and says when there is no fix', () => {
    const findings = [
      (({ fixedVersion: _fixed, ...v }) => v)(
        vuln({ id: 'CVE-LOW', severity: 'LOW', status: 'affected' }),
      ),
      vuln({ id: 'CVE-CRIT', severity: 'CRITICAL' }),
    ];
    const rows = tableRows(renderComment([report(findings)], counted(findings), CTX));
    const top = rows.filter((r) => r.includes('CVE'));
    expect(top[0]).toContain('CVE\\-CRIT');
    expect(top[1]).toContain('_no fix (affected)_');
  });

  it('shows new / unchanged / fixed with a baseline', () => {
    const gone = vuln({ id: 'CVE-GONE', severity: 'MEDIUM' });
    const d: Decisions = {
      ...counted([]),
      hasBaseline: true,
      fixed: [gone],
      decisions: [
        decision(vuln({ id: 'CVE-NEW' }), { baseline: 'new' }),
        decision(vuln({ id: 'CVE-OLD' }), { baseline: 'unchanged' }),
      ],
    };
    const md = renderComment([report([])], d, CTX);
    expect(md).toContain('| Severity | Findings | New | Unchanged | Fixed | Suppressed |');
    expect(md).toMatch(/\| 🟠 HIGH \| 2 \| 1 \| 1 \| 0 \| 0 \|/);
    expect(md).toMatch(/\| 🟡 MEDIUM \| 0 \| 0 \| 0 \| 1 \| 0 \|/);
    expect(md).toContain('<summary>Fixed since the baseline (1)</summary>');
    expect(md).toContain('🆕 new');
  });

  it('lists suppressed findings with their reason and expiry in a collapsed section', () => {
    const d: Decisions = {
      ...counted([]),
      decisions: [
        decision(vuln(), {
          counted: false,
          gated: false,
          suppression: {
            kind: 'ignore-file',
            file: '.trivyignore.yaml',
            statement: 'not reachable',
            expiresAt: '2027-03-01',
          },
        }),
        decision(vuln({ id: 'CVE-VEX' }), {
          counted: false,
          gated: false,
          suppression: {
            kind: 'vex',
            document: 'vex.json',
            status: 'not_affected',
            justification: 'vulnerable_code_not_in_execute_path',
          },
        }),
      ],
    };
    const md = renderComment([report([])], d, CTX);
    expect(md).toContain('<summary>Suppressed (2)</summary>');
    expect(md).toContain('`.trivyignore.yaml`: not reachable | `2027-03-01` |');
    expect(md).toContain(
      'VEX not\\_affected (`vex.json`): vulnerable\\_code\\_not\\_in\\_execute\\_path | — |',
    );
  });

  it('never prints a secret match', () => {
    const md = renderComment([report([secret()])], counted([secret()]), CTX);
    expect(md).toContain('AWS Access Key ID');
    expect(md).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('renders hostile titles, package names and descriptions inert', () => {
    const hostile: Finding[] = [
      vuln({
        pkgName: '<img src=x onerror=alert(1)>',
        title: '[x](javascript:alert(1))',
        installedVersion: '1|2`3',
      }),
      misconf({
        title: '@octo/security-team please look <script>x</script>',
        message: 'm',
        resolution: '| a | b |\n| c |',
      }),
      vuln({ id: 'CVE-BIG', description: 'A'.repeat(100_000), title: '#123 www.evil.example' }),
    ];
    const md = renderComment([report(hostile)], counted(hostile), CTX);
    // Code spans show text literally; outside them nothing may be live HTML or a link.
    const outsideCode = md.replace(/`[^`\n]*`/g, '');
    expect(outsideCode).not.toMatch(/<img|<script|\]\(javascript/);
    expect(md).toContain('`<img src=x onerror=alert(1)>`');
    expect(md).not.toMatch(/@octo\/security/); // the zero-width space breaks the mention
    expect(md).not.toContain('A'.repeat(1000));
    // Every finding row still has exactly the header's number of cells.
    for (const row of tableRows(md).filter((r) => r.includes('CVE') || r.includes('KSV'))) {
      expect(row.replace(/\\\|/g, '').split('|').length).toBe(7);
    }
  });

  it('stays within the limit by dropping the least severe rows first, with a note and a link to the summary', () => {
    const many = [
      ...Array.from({ length: 400 }, (_, i) => vuln({ id: `CVE-LOW-${i}`, severity: 'LOW' })),
      ...Array.from({ length: 50 }, (_, i) => vuln({ id: `CVE-HIGH-${i}`, severity: 'HIGH' })),
    ];
    const limit = 20_000;
    const md = renderComment([report(many)], counted(many), { ...CTX, maxLength: limit });
    expect(md.length).toBeLessThanOrEqual(limit);
    expect(md).toMatch(/\d+ less severe row\(s\) were left out/);
    expect(md).toContain('[The job summary](https://github.com/octo/app/actions/runs/99)');
    for (let i = 0; i < 50; i++) expect(md).toContain(`CVE\\-HIGH\\-${i} `.trim());
    expect(md).not.toContain('CVE\\-LOW\\-399');
  });

  it('fits 65,536 characters at the default limit with 5,000 findings', () => {
    const many = Array.from({ length: 5000 }, (_, i) =>
      vuln({ id: `CVE-${i}`, severity: i % 2 ? 'LOW' : 'HIGH' }),
    );
    const md = renderComment([report(many)], counted(many), CTX);
    expect(md.length).toBeLessThanOrEqual(COMMENT_LIMIT - 100);
  });
});

describe('the job summary', () => {
  it('has a section per target with its OS and counts', () => {
    const worker = vuln({ artifact: 'ghcr.io/octo/worker:2', severity: 'CRITICAL' });
    const app = report([vuln()], {
      artifact: {
        name: 'ghcr.io/octo/app:1.4.2',
        type: 'container_image',
        os: { family: 'alpine', name: '3.19.1' },
        repoTags: [],
        repoDigests: [],
        diffIds: [],
      },
    });
    const md = renderSummary([app, report([worker])], counted([vuln(), worker]), CTX);
    expect(md).toContain(
      '<summary>ghcr.io/octo/app: 1 HIGH — alpine 3.19.1, Trivy 0.69.1</summary>',
    );
    expect(md).toContain('<summary>ghcr.io/octo/worker: 1 CRITICAL — Trivy 0.69.1</summary>');
  });

  it('escapes target names in section titles (no HTML, no mentions)', () => {
    const evil = vuln({
      artifact: 'apps/@octo/<img src=x>',
      artifactType: 'filesystem',
      resultClass: 'lang-pkgs',
      target: 'package-lock.json',
    });
    const md = renderSummary([report([evil])], counted([evil]), CTX);
    const summaries = md.split('\n').filter((l) => l.startsWith('<summary>'));
    expect(summaries.join('\n')).toContain('apps/@\u200bocto/&lt;img src=x&gt;');
  });

  it('keeps within 1 MiB (bytes, not characters) with many multi-byte rows', () => {
    const many = Array.from({ length: 20_000 }, (_, i) =>
      vuln({ id: `CVE-${i}`, title: 'ü'.repeat(50), pkgName: `pkg-${'é'.repeat(30)}-${i}` }),
    );
    const md = renderSummary([report(many)], counted(many), CTX);
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(1024 * 1024);
    expect(md).toContain('less severe row(s) were left out');
  });
});
