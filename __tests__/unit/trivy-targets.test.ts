import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { describeTarget, needsVulnDb, planTargets } from '../../src/trivy/targets.js';

const none = { config: [], fs: [] } as const;

describe('planTargets', () => {
  it('plans one run per target, in input order, with the baseline image last', () => {
    const plan = planTargets({
      targets: {
        image: 'ghcr.io/o/app:pr',
        imageArchive: '/w/app.tar',
        config: ['k8s/', 'main.tf'],
        fs: ['.'],
      },
      policy: { baselineImage: 'ghcr.io/o/app:main' },
    });
    expect(plan.map((t) => [t.kind, t.id, t.role])).toEqual([
      ['image', 'image-1', 'primary'],
      ['image-archive', 'image-archive-1', 'primary'],
      ['config', 'config-1', 'primary'],
      ['config', 'config-2', 'primary'],
      ['fs', 'fs-1', 'primary'],
      ['image', 'baseline-image', 'baseline'],
    ]);
    expect(plan.map(describeTarget)).toEqual([
      'trivy image ghcr.io/o/app:pr',
      'trivy image --input /w/app.tar',
      'trivy config k8s/',
      'trivy config main.tf',
      'trivy fs .',
      'trivy image ghcr.io/o/app:main (baseline)',
    ]);
  });

  it('plans nothing when only trivy-reports are given', () => {
    expect(planTargets({ targets: none, policy: {} })).toEqual([]);
  });

  it('makes a path that starts with "-" a relative path', () => {
    const [t] = planTargets({ targets: { config: [], fs: ['-rf'] }, policy: {} });
    expect(t).toMatchObject({ kind: 'fs', path: './-rf', label: '-rf' });
  });

  it.each([
    ['image', { targets: { ...none, image: 'Not A Ref' }, policy: {} }],
    ['baseline-image', { targets: none, policy: { baselineImage: 'x@sha256:zz' } }],
  ] as const)('fails at plan time on a bad %s, naming the input', (input, config) => {
    expect(() => planTargets(config)).toThrow(ConfigError);
    expect(() => planTargets(config)).toThrow(new RegExp(`^${input}: `));
  });
});

describe('needsVulnDb', () => {
  it('is false for config-only plans', () => {
    expect(needsVulnDb(planTargets({ targets: { config: ['a'], fs: [] }, policy: {} }))).toBe(
      false,
    );
    expect(needsVulnDb(planTargets({ targets: { config: ['a'], fs: ['.'] }, policy: {} }))).toBe(
      true,
    );
  });
});
