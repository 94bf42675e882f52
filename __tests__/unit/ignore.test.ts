import { describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import type { Finding, Misconfiguration, Vulnerability } from '../../src/model.js';
import { applyPolicy } from '../../src/policy/apply.js';
import { isExpired, parseIgnoreFile, ruleMatches } from '../../src/policy/ignore.js';

const base = {
  artifact: 'img',
  artifactType: 'container_image',
  resultClass: 'os-pkgs',
  source: 'r.json',
};
const vuln = (over: Partial<Vulnerability> = {}): Vulnerability => ({
  ...base,
  kind: 'vulnerability',
  id: 'CVE-2024-0001',
  severity: 'HIGH',
  title: 't',
  target: 'alpine 3.19',
  pkgName: 'openssl',
  installedVersion: '3.1.0',
  fixedVersion: '3.1.1',
  purl: 'pkg:apk/alpine/openssl@3.1.0?arch=x86_64',
  cweIds: [],
  references: [],
  ...over,
});
const misconf = (over: Partial<Misconfiguration> = {}): Misconfiguration => ({
  ...base,
  resultClass: 'config',
  kind: 'misconfiguration',
  id: 'DS-0002',
  severity: 'HIGH',
  title: 'root user',
  target: 'docker/Dockerfile',
  status: 'FAIL',
  checkType: 'Dockerfile Security Check',
  message: 'm',
  references: [],
  ...over,
});

describe('.trivyignore', () => {
  const rules = parseIgnoreFile(
    [
      '# accepted until the base image moves',
      'CVE-2024-0001 exp:2025-06-30',
      '',
      'DS002',
      'CVE-2024-0002 # trailing',
    ].join('\n'),
    '.trivyignore',
  );

  it('reads IDs, keeps the comment above an ID as its statement, and exp: dates', () => {
    expect(rules.map((r) => [r.id, r.statement, r.expiresAt])).toEqual([
      ['CVE-2024-0001', 'accepted until the base image moves', '2025-06-30'],
      ['DS002', undefined, undefined],
      ['CVE-2024-0002', undefined, undefined],
    ]);
  });

  it('matches old and new misconfiguration IDs alike (DS002 = DS-0002 = AVD-DS-0002)', () => {
    expect(ruleMatches(rules[1]!, misconf({ id: 'DS-0002' }))).toBe(true);
    expect(ruleMatches(rules[1]!, misconf({ id: 'DS002', avdId: 'AVD-DS-0002' }))).toBe(true);
    expect(ruleMatches(rules[1]!, misconf({ id: 'DS-0020' }))).toBe(false);
  });

  it('expires after the whole expiry day, by the injected clock', () => {
    expect(isExpired(rules[0]!, new Date('2025-06-30T23:59:59Z'))).toBe(false);
    expect(isExpired(rules[0]!, new Date('2025-07-01T00:00:00Z'))).toBe(true);
  });

  it('rejects an exp: that is not a date, naming the file and line', () => {
    expect(() => parseIgnoreFile('CVE-1 exp:soon', 'ci/.trivyignore')).toThrow(
      /ci\/\.trivyignore: line 1: "soon" is not a date/,
    );
  });
});

describe('.trivyignore.yaml', () => {
  const text = `
vulnerabilities:
  - id: CVE-2024-0001
    purls: ["pkg:apk/alpine/openssl"]
    statement: not reachable from our code
    expired_at: 2030-01-01
  - id: CVE-2024-0009
    paths: ["app/**/package-lock.json"]
misconfigurations:
  - id: AVD-DS-0002
    paths: ["docker/*"]
secrets:
  - id: aws-access-key-id
licenses:
  - id: GPL-3.0
`;
  const rules = parseIgnoreFile(text, '.trivyignore.yaml');

  it('reads every section with paths, purls, expiry and statement', () => {
    expect(rules).toHaveLength(5);
    expect(rules[0]).toMatchObject({
      id: 'CVE-2024-0001',
      kinds: ['vulnerability'],
      statement: 'not reachable from our code',
      expiresAt: '2030-01-01',
    });
  });

  it.each<[string, number, Finding, boolean]>([
    ['purl without version matches any version', 0, vuln(), true],
    [
      'purl of another package does not match',
      0,
      vuln({ purl: 'pkg:apk/alpine/libssl@3.1.0' }),
      false,
    ],
    [
      'purl rule never matches a finding without purl',
      0,
      vuln({ purl: undefined as never }),
      false,
    ],
    [
      'paths glob ** crosses directories',
      1,
      vuln({ id: 'CVE-2024-0009', target: 'app/web/ui/package-lock.json' }),
      true,
    ],
    [
      'paths glob misses other files',
      1,
      vuln({ id: 'CVE-2024-0009', target: 'lib/package-lock.json' }),
      false,
    ],
    ['misconfiguration with AVD id and path', 2, misconf(), true],
    [
      'a vulnerability rule never matches a misconfiguration',
      0,
      misconf({ id: 'CVE-2024-0001' }),
      false,
    ],
  ])('%s', (_, i, finding, expected) => {
    expect(ruleMatches(rules[i]!, finding)).toBe(expected);
  });

  it.each([
    ['vulns:\n  - id: X', /unknown section "vulns"/],
    ['vulnerabilities:\n  - paths: [a]', /vulnerabilities\[0\] has no "id"/],
    ['vulnerabilities:\n  - id: X\n    purls: ["openssl"]', /"openssl" is not a package URL/],
    ['vulnerabilities:\n  - id: X\n    expired_at: someday', /"someday" is not a date/],
    ['vulnerabilities: [a', /not valid YAML/],
  ])('rejects %j with a message naming the file', (text, message) => {
    let err: unknown;
    try {
      parseIgnoreFile(text, 'sec/.trivyignore.yaml');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GuardError);
    expect((err as Error).message).toMatch(/^sec\/\.trivyignore\.yaml: /);
    expect((err as Error).message).toMatch(message);
  });
});

describe('applyPolicy with ignore rules', () => {
  const report = {
    source: 'r.json',
    schemaVersion: 2,
    artifact: { name: 'img', type: 'container_image', repoTags: [], repoDigests: [], diffIds: [] },
    results: [],
    packages: [],
    hasPackageList: false,
  };
  const rules = parseIgnoreFile('# risk accepted\nCVE-2024-0001 exp:2025-06-30\n', '.trivyignore');

  it('suppresses with the reason and expiry while the rule is valid', () => {
    const d = applyPolicy([{ ...report, findings: [vuln()] }], {
      severities: ['HIGH'],
      ignoreUnfixed: false,
      ignoreRules: rules,
      vex: [],
      now: new Date('2025-06-01'),
    });
    expect(d.decisions[0]).toMatchObject({
      counted: false,
      suppression: {
        kind: 'ignore-file',
        file: '.trivyignore',
        statement: 'risk accepted',
        expiresAt: '2025-06-30',
      },
    });
    expect(d.expiredRules).toEqual([]);
  });

  it('counts the finding again after expiry and reports the expired rule', () => {
    const d = applyPolicy([{ ...report, findings: [vuln(), vuln({ pkgName: 'libssl' })] }], {
      severities: ['HIGH'],
      ignoreUnfixed: false,
      ignoreRules: rules,
      vex: [],
      now: new Date('2025-07-02'),
    });
    expect(d.decisions.map((x) => x.counted)).toEqual([true, true]);
    expect(d.expiredRules).toEqual([
      {
        file: '.trivyignore',
        id: 'CVE-2024-0001',
        expiredAt: '2025-06-30',
        statement: 'risk accepted',
      },
    ]);
  });
});
