import { describe, expect, it } from 'vitest';
import {
  ALL_SEVERITIES,
  buildDbDownloadArgs,
  buildScanArgs,
  durationToMs,
  type ScanArgsOptions,
} from '../../src/trivy/args.js';
import type { ScanTarget } from '../../src/trivy/targets.js';

const opts: ScanArgsOptions = {
  scanners: ['vuln', 'secret'],
  cacheDir: '/tmp/c',
  outputFile: '/tmp/r.json',
  timeout: '15m',
  skipDbUpdate: true,
};

const COMMON = [
  '--format',
  'json',
  '--output',
  '/tmp/r.json',
  '--severity',
  ALL_SEVERITIES,
  '--exit-code',
  '0',
  '--quiet',
  '--timeout',
  '15m',
  '--cache-dir',
  '/tmp/c',
];
const VULN = [
  '--list-all-pkgs',
  '--scanners',
  'vuln,secret',
  '--skip-db-update',
  '--skip-java-db-update',
];

const base = { id: 'x-1', label: 'x', role: 'primary' } as const;

describe('buildScanArgs', () => {
  it.each<[string, ScanTarget, string[]]>([
    [
      'image',
      { ...base, kind: 'image', ref: 'alpine:3.20' },
      ['image', ...COMMON, ...VULN, '--', 'alpine:3.20'],
    ],
    [
      'image-archive',
      { ...base, kind: 'image-archive', path: 'out/app.tar' },
      ['image', ...COMMON, ...VULN, '--input', 'out/app.tar'],
    ],
    ['fs', { ...base, kind: 'fs', path: '.' }, ['fs', ...COMMON, ...VULN, '--', '.']],
    [
      'config',
      { ...base, kind: 'config', path: 'deploy/' },
      ['config', ...COMMON, '--', 'deploy/'],
    ],
  ])('%s target → argv', (_name, target, expected) => {
    expect(buildScanArgs(target, opts)).toEqual(expected);
  });

  it('always asks for JSON with every severity and exit code 0, whatever the target', () => {
    for (const kind of ['image', 'fs', 'config'] as const) {
      const target = (
        kind === 'image' ? { ...base, kind, ref: 'a' } : { ...base, kind, path: 'p' }
      ) as ScanTarget;
      const argv = buildScanArgs(target, opts);
      expect(argv[argv.indexOf('--format') + 1]).toBe('json');
      expect(argv[argv.indexOf('--severity') + 1]).toBe('UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL');
      expect(argv[argv.indexOf('--exit-code') + 1]).toBe('0');
    }
  });

  it('passes Terraform variable files to config scans, before the target', () => {
    const argv = buildScanArgs(
      { ...base, kind: 'config', path: 'infra' },
      { ...opts, tfVars: ['infra/terraform.tfvars', 'infra/a.auto.tfvars'] },
    );
    expect(argv.slice(-6)).toEqual([
      '--tf-vars',
      'infra/terraform.tfvars',
      '--tf-vars',
      'infra/a.auto.tfvars',
      '--',
      'infra',
    ]);
  });

  it('passes trivy-config through and lets the DB update when it was not prepared', () => {
    const argv = buildScanArgs(
      { ...base, kind: 'fs', path: '.' },
      { ...opts, configFile: 'trivy.yaml', skipDbUpdate: false, scanners: ['vuln'] },
    );
    expect(argv).toContain('--config');
    expect(argv[argv.indexOf('--config') + 1]).toBe('trivy.yaml');
    expect(argv).not.toContain('--skip-db-update');
    expect(argv[argv.indexOf('--scanners') + 1]).toBe('vuln');
  });

  it('puts a path that looks like a flag after "--", where Trivy cannot read it as one', () => {
    const argv = buildScanArgs({ ...base, kind: 'fs', path: './--debug' }, opts);
    expect(argv.slice(-2)).toEqual(['--', './--debug']);
  });
});

describe('buildDbDownloadArgs', () => {
  it.each<[string, 'db' | 'java-db', string[], string[]]>([
    [
      'db, default registry',
      'db',
      [],
      ['image', '--download-db-only', '--no-progress', '--timeout', '5m', '--cache-dir', '/c'],
    ],
    [
      'db, two mirrors',
      'db',
      ['mirror.example/trivy-db:2', 'public.ecr.aws/aquasecurity/trivy-db:2'],
      [
        'image',
        '--download-db-only',
        '--no-progress',
        '--timeout',
        '5m',
        '--cache-dir',
        '/c',
        '--db-repository',
        'mirror.example/trivy-db:2,public.ecr.aws/aquasecurity/trivy-db:2',
      ],
    ],
    [
      'java-db ignores db mirrors',
      'java-db',
      ['m/x:2'],
      ['image', '--download-java-db-only', '--no-progress', '--timeout', '5m', '--cache-dir', '/c'],
    ],
  ])('%s', (_n, kind, mirrors, expected) => {
    expect(
      buildDbDownloadArgs(kind, { cacheDir: '/c', timeout: '5m', dbRepositories: mirrors }),
    ).toEqual(expected);
  });
});

describe('durationToMs', () => {
  it.each([
    ['15m', 900_000],
    ['90s', 90_000],
    ['1h', 3_600_000],
    ['250ms', 250],
    ['soon', undefined],
    ['5', undefined],
  ])('%s → %s', (input, ms) => {
    expect(durationToMs(input)).toBe(ms);
  });
});
