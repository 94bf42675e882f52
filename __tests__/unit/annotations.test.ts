import { describe, expect, it } from 'vitest';
import { annotationLevel, toAnnotations } from '../../src/render/annotations.js';
import { counted, decision, misconf, secret, vuln } from '../helpers/render-findings.js';

describe('toAnnotations', () => {
  it.each([
    ['CRITICAL', 'error'],
    ['HIGH', 'error'],
    ['MEDIUM', 'warning'],
    ['LOW', 'notice'],
    ['UNKNOWN', 'notice'],
  ] as const)('maps %s to %s', (s, level) => {
    expect(annotationLevel(s)).toBe(level);
  });

  it('annotates config and secret findings at their file and lines, not vulnerabilities', () => {
    const { annotations, omitted } = toAnnotations(
      counted([vuln(), misconf(), secret()]).decisions,
    );
    expect(omitted).toBe(0);
    expect(annotations).toEqual([
      {
        level: 'error',
        title: 'aws-access-key-id: AWS Access Key ID',
        message:
          'CRITICAL secret (AWS, rule aws-access-key-id): AWS Access Key ID. Remove it and rotate the credential.',
        file: 'scripts/deploy.sh',
        startLine: 3,
        endLine: 3,
      },
      {
        level: 'warning',
        title: 'KSV-0001: Process can elevate its own privileges',
        message:
          'MEDIUM KSV-0001: Container should set allowPrivilegeEscalation to false Fix: Set allowPrivilegeEscalation to false',
        file: 'deploy/pod.yaml',
        startLine: 10,
        endLine: 14,
      },
    ]);
  });

  it('never puts the secret match in the message', () => {
    const { annotations } = toAnnotations(counted([secret()]).decisions);
    expect(JSON.stringify(annotations)).not.toContain('AKIAIOSFODNN7EXAMPLE');
  });

  it('skips suppressed and filtered findings', () => {
    const { annotations } = toAnnotations([
      decision(misconf(), {
        counted: false,
        gated: false,
        suppression: { kind: 'ignore-file', file: '.trivyignore' },
      }),
      decision(secret(), { counted: false, gated: false, filtered: 'severity' }),
    ]);
    expect(annotations).toEqual([]);
  });

  it('keeps the most severe first within the per-level limit and counts the rest', () => {
    const findings = [
      ...Array.from({ length: 15 }, (_, i) =>
        misconf({ id: `KSV-L${i}`, severity: 'LOW', startLine: i + 1 }),
      ),
      ...Array.from({ length: 12 }, (_, i) =>
        misconf({ id: `KSV-C${i}`, severity: 'CRITICAL', startLine: i + 1 }),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        misconf({ id: `KSV-H${i}`, severity: 'HIGH', startLine: i + 1 }),
      ),
    ];
    const { annotations, omitted } = toAnnotations(counted(findings).decisions);
    const errors = annotations.filter((a) => a.level === 'error');
    expect(errors).toHaveLength(10);
    expect(errors.every((a) => a.title.startsWith('KSV-C'))).toBe(true);
    expect(annotations.filter((a) => a.level === 'notice')).toHaveLength(10);
    expect(omitted).toBe(2 + 3 + 5);
    expect(annotations[0]!.title).toMatch(/^KSV-C0/);
  });

  it('leaves out findings that are not files in the repository (inside an image)', () => {
    const inImage = secret({
      artifact: 'ghcr.io/o/a:1',
      artifactType: 'container_image',
      target: '/app/.env',
    });
    expect(toAnnotations(counted([inImage]).decisions).annotations).toEqual([]);
  });

  it('annotates a whole-file finding without lines', () => {
    const whole = (({ startLine: _s, endLine: _e, ...rest }) => rest)(misconf());
    const [a] = toAnnotations(counted([whole]).decisions).annotations;
    expect(a).toEqual(expect.objectContaining({ file: 'deploy/pod.yaml' }));
    expect(a).not.toHaveProperty('startLine');
  });
});
