import { describe, expect, it } from 'vitest';
import { buildConfig } from '../../src/config.js';
import { ConfigError, GuardError } from '../../src/errors.js';
import {
  INPUT_DEFAULTS,
  type InputName,
  type RawInputs,
  type RunEnvironment,
} from '../../src/inputs.js';

const env: RunEnvironment = {
  workspace: '/work/repo',
  tempDir: '/tmp/runner',
  serverUrl: 'https://github.com',
  apiUrl: 'https://api.github.com',
  inActions: true,
};

const inputs = (over: Partial<Record<InputName, string>>): RawInputs => ({
  ...INPUT_DEFAULTS,
  'trivy-reports': 'report.json',
  ...over,
});

function errorOf(over: Partial<Record<InputName, string>>): GuardError {
  try {
    buildConfig(inputs(over), env);
  } catch (err) {
    if (err instanceof GuardError) return err;
    throw err;
  }
  throw new Error('expected buildConfig to throw');
}

describe('buildConfig', () => {
  it('builds the defaults', () => {
    const c = buildConfig(inputs({}), env);
    expect(c.policy.severities).toEqual(['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'UNKNOWN']);
    expect(c.policy.failOn).toEqual({ kind: 'severity', severity: 'HIGH' });
    expect(c.policy.ignoreUnfixed).toBe(false);
    expect(c.targets.reports).toEqual(['report.json']);
    expect(c.reporting.sarifFile).toBe('/tmp/runner/supply-chain-guard/results.sarif');
    expect(c.trivy.scanners).toEqual(['vuln', 'secret']);
  });

  it('splits lists on newlines and commas and resolves paths against the workspace', () => {
    const c = buildConfig(
      inputs({ 'trivy-reports': 'a.json\n b/*.json ,c.json', vex: 'v1.json,v2.json' }),
      env,
    );
    expect(c.targets.reports).toEqual(['a.json', 'b/*.json', 'c.json']);
    expect(c.policy.vex).toEqual(['/work/repo/v1.json', '/work/repo/v2.json']);
  });

  it('normalises severities to the canonical order', () => {
    expect(buildConfig(inputs({ severity: 'high, critical' }), env).policy.severities).toEqual([
      'CRITICAL',
      'HIGH',
    ]);
  });

  it.each<[string, Partial<Record<InputName, string>>, RegExp]>([
    [
      'tsa-url is given with the legacy signature format',
      { image: 'ghcr.io/acme/app:1', sign: 'true', 'tsa-url': 'https://tsa.example' },
      /^tsa-url: RFC 3161 timestamps are written only with signature-format: bundle$/,
    ],
    [
      'fail-on-new-only has no baseline',
      { 'fail-on-new-only': 'true' },
      /^fail-on-new-only: needs a baseline$/,
    ],
    [
      'fail-on names an unknown severity',
      { 'fail-on': 'hihg' },
      /^fail-on: "hihg" is not a severity or a count threshold$/,
    ],
    ['fail-on has a non-numeric count', { 'fail-on': 'critical>x' }, /^fail-on: "critical>x"/],
    [
      'severity lists an unknown severity',
      { severity: 'HIGH,SEVERE' },
      /^severity: unknown severity "SEVERE"$/,
    ],
    ['severity is empty after splitting', { severity: ' , ' }, /^severity: no severity given$/],
    [
      'ignore-unfixed is not a boolean',
      { 'ignore-unfixed': 'maybe' },
      /^ignore-unfixed: "maybe" is not a boolean$/,
    ],
    [
      'summary is not a boolean',
      { summary: 'yes please' },
      /^summary: "yes please" is not a boolean$/,
    ],
    [
      'scanners names an unknown scanner',
      { scanners: 'vuln,rootkit' },
      /^scanners: unknown scanner "rootkit"$/,
    ],
    ['sbom names an unknown format', { sbom: 'swid' }, /^sbom: "swid" is not an SBOM format$/],
    [
      'signature-format is unknown',
      { 'signature-format': 'pgp' },
      /^signature-format: "pgp" is not a signature format$/,
    ],
    [
      'attest-sbom is asked for without an SBOM',
      { 'attest-sbom': 'true', sbom: 'none' },
      /^attest-sbom: needs an SBOM, but sbom is none$/,
    ],
    [
      'nothing is given to scan or read',
      { 'trivy-reports': '' },
      /^trivy-reports: nothing to scan or read$/,
    ],
  ])('fails when %s', (_, over, message) => {
    const err = errorOf(over);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toMatch(message);
    expect(err.remedy).toBeTruthy();
  });

  it.each([
    [{ sign: 'true' }, true],
    [{ sign: 'true', sbom: 'none' }, false],
    [{ sign: 'true', sbom: 'none', 'attest-sbom': 'false' }, false],
    [{ sign: 'false' }, false],
    [{ sign: 'true', 'attest-sbom': 'false' }, false],
  ] as const)('attest-sbom defaults to sign when there is an SBOM (%j → %s)', (over, expected) => {
    expect(buildConfig(inputs({ image: 'ghcr.io/o/a:1', ...over }), env).signing.attestSbom).toBe(
      expected,
    );
  });

  it('lists the valid forms when fail-on is a typo', () => {
    expect(errorOf({ 'fail-on': 'hihg' }).remedy).toMatch(/critical>0,high>5/);
  });
});
