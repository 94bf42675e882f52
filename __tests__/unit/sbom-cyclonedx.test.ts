import { describe, expect, it } from 'vitest';
import { buildCycloneDx } from '../../src/sbom/cyclonedx.js';
import { assertValidCycloneDx, cycloneDxErrors } from '../../src/sbom/validate.js';
import type { Misconfiguration } from '../../src/model.js';
import { decided, pkg, report, vuln } from '../helpers/sbom-fixtures.js';

interface Doc {
  specVersion: string;
  serialNumber: string;
  metadata: {
    timestamp: string;
    component: {
      type: string;
      name: string;
      version?: string;
      purl?: string;
      'bom-ref': string;
      properties?: { name: string; value: string }[];
    };
    tools: { components: { name: string; version?: string }[] };
  };
  components: {
    type: string;
    name: string;
    'bom-ref': string;
    purl?: string;
    scope?: string;
    licenses?: unknown[];
  }[];
  dependencies: { ref: string; dependsOn?: string[] }[];
  vulnerabilities?: {
    id: string;
    affects: { ref: string; versions: { version: string; status: string }[] }[];
    analysis?: { state?: string; justification?: string; response?: string[]; detail?: string };
    ratings: { severity: string; score?: number }[];
  }[];
}

const OPTS = { toolVersion: '1.2.3', sourceDateEpoch: 1_700_000_000 };
const parse = (json: string) => JSON.parse(json) as Doc;

const react = pkg({
  name: 'react',
  version: '16.8.6',
  dependsOn: ['loose-envify@1.4.0'],
  licenses: ['MIT'],
});
const looseEnvify = pkg({ name: 'loose-envify', version: '1.4.0' });
const npmReport = report({ packages: [react, looseEnvify] });

describe('buildCycloneDx', () => {
  it('is byte-identical for the same report when SOURCE_DATE_EPOCH pins time and serial', () => {
    const a = buildCycloneDx([npmReport], [], OPTS).json;
    expect(buildCycloneDx([npmReport], [], OPTS).json).toBe(a);
    const doc = parse(a);
    expect(doc.metadata.timestamp).toBe('2023-11-14T22:13:20.000Z');
    expect(doc.serialNumber).toMatch(
      /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
    // A different inventory gets a different serial.
    const other = parse(buildCycloneDx([report({ packages: [react] })], [], OPTS).json);
    expect(other.serialNumber).not.toBe(doc.serialNumber);
  });

  it('without SOURCE_DATE_EPOCH differs only in serialNumber and timestamp', () => {
    const strip = (json: string) => {
      const doc = parse(json) as unknown as Record<string, unknown> & {
        metadata: Record<string, unknown>;
      };
      delete doc['serialNumber'];
      delete doc.metadata['timestamp'];
      return doc;
    };
    const a = buildCycloneDx([npmReport], [], { toolVersion: '1' }).json;
    const b = buildCycloneDx([npmReport], [], { toolVersion: '1' }).json;
    expect(parse(a).serialNumber).not.toBe(parse(b).serialNumber);
    expect(strip(a)).toEqual(strip(b));
  });

  it('links artifact → lockfile → roots → DependsOn, with purls as bom-refs', async () => {
    const doc = parse(buildCycloneDx([npmReport], [], OPTS).json);
    const deps = Object.fromEntries(doc.dependencies.map((d) => [d.ref, d.dependsOn ?? []]));
    expect(deps['artifact:app']).toEqual(['target:package-lock.json']);
    expect(deps['target:package-lock.json']).toEqual(['pkg:npm/react@16.8.6']);
    expect(deps['pkg:npm/react@16.8.6']).toEqual(['pkg:npm/loose-envify@1.4.0']);
    expect(doc.metadata.tools.components.map((t) => `${t.name}@${t.version}`)).toEqual([
      'supply-chain-guard@1.2.3',
      'trivy@0.70.0',
    ]);
    expect(await cycloneDxErrors(JSON.stringify(doc), '1.6')).toEqual([]);
  });

  it.each([
    // Trivy ≥ 0.51 marks the project itself as root: the lockfile depends on it alone.
    [
      'root package',
      [
        pkg({ name: 'app', version: '0.1.0', relationship: 'root', dependsOn: ['a@1'] }),
        pkg({ name: 'a', version: '1', relationship: 'direct', dependsOn: ['b@1'] }),
        pkg({ name: 'b', version: '1', relationship: 'indirect' }),
      ],
      ['pkg:npm/app@0.1.0'],
    ],
    // Without a root, direct packages hang off the lockfile even when another pulls them in.
    [
      'direct packages',
      [
        pkg({ name: 'a', version: '1', relationship: 'direct', dependsOn: ['b@1'] }),
        pkg({ name: 'b', version: '1', relationship: 'direct' }),
        pkg({ name: 'c', version: '1', relationship: 'indirect' }),
      ],
      ['pkg:npm/a@1', 'pkg:npm/b@1', 'pkg:npm/c@1'],
    ],
  ])('lockfile edges with a %s', (_name, packages, expected) => {
    const doc = parse(buildCycloneDx([report({ packages })], [], OPTS).json);
    expect(doc.dependencies.find((d) => d.ref === 'target:package-lock.json')?.dependsOn).toEqual(
      expected,
    );
  });

  it('a report without a package list still validates, and says its inventory is incomplete', async () => {
    const r = report({
      findings: [vuln({ id: 'CVE-1', pkgName: 'lodash', installedVersion: '4.17.4' })],
    });
    const out = buildCycloneDx([r], [], OPTS);
    expect(out.warnings).toHaveLength(1);
    expect(out.warnings[0]).toMatch(/inventory is incomplete.*report\.json.*--list-all-pkgs/);
    expect(
      parse(out.json)
        .components.map((c) => c.purl)
        .filter(Boolean),
    ).toEqual(['pkg:npm/lodash@4.17.4']);
    expect(await cycloneDxErrors(out.json, '1.6')).toEqual([]);
  });

  it('a config-only scan has nothing to list and no warning', async () => {
    const misconf: Misconfiguration = {
      kind: 'misconfiguration',
      artifact: 'app',
      artifactType: 'filesystem',
      target: 'main.tf',
      resultClass: 'config',
      id: 'AWS-0086',
      severity: 'HIGH',
      title: 't',
      source: 'r.json',
      status: 'FAIL',
      checkType: 'terraform',
      message: 'm',
      references: [],
    };
    const r = report({
      findings: [misconf],
      results: [
        {
          artifact: 'app',
          artifactType: 'filesystem',
          target: 'main.tf',
          resultClass: 'config',
          packageCount: 0,
        },
      ],
    });
    const out = buildCycloneDx([r], [], OPTS);
    expect(out.warnings).toEqual([]);
    expect(await cycloneDxErrors(out.json, '1.6')).toEqual([]);
  });

  it.each<[string[], object[]]>([
    [['MIT'], [{ license: { id: 'MIT' } }]],
    [['mit'], [{ license: { id: 'MIT' } }]],
    [['MIT OR Apache-2.0'], [{ expression: 'MIT OR Apache-2.0' }]],
    [['GPLv3+'], [{ license: { name: 'GPLv3+' } }]],
    [
      ['MIT', 'GPLv3+'],
      [{ license: { id: 'MIT' } }, { license: { name: 'GPLv3+' } }],
    ],
    // Two expressions cannot be combined in CycloneDX's list: kept as names.
    [
      ['MIT OR ISC', 'BSD-3-Clause'],
      [{ license: { id: 'BSD-3-Clause' } }, { license: { name: 'MIT OR ISC' } }],
    ],
  ])('licenses %j → %j', async (licenses, expected) => {
    const out = buildCycloneDx(
      [report({ packages: [pkg({ name: 'a', version: '1', licenses })] })],
      [],
      OPTS,
    );
    // Order is the serializer's sorted order, not ours.
    const got = parse(out.json).components.find((c) => c.name === 'a')?.licenses ?? [];
    expect(got).toHaveLength(expected.length);
    expect(got).toEqual(expect.arrayContaining(expected));
    expect(await cycloneDxErrors(out.json, '1.6')).toEqual([]);
  });

  it('marks development-only packages as excluded from what runs', () => {
    const out = parse(
      buildCycloneDx(
        [report({ packages: [pkg({ name: 'jest', version: '29.0.0', dev: true }), react] })],
        [],
        OPTS,
      ).json,
    );
    expect(out.components.find((c) => c.name === 'jest')?.scope).toBe('excluded');
    expect(out.components.find((c) => c.name === 'react')?.scope).toBeUndefined();
  });

  it('describes an image by digest, oci purl, tags and diff IDs, with the OS as a component', async () => {
    const digest = `sha256:${'a'.repeat(64)}`;
    const r = report({
      artifact: {
        name: 'ghcr.io/o/app:1.0',
        type: 'container_image',
        os: { family: 'alpine', name: '3.19.1' },
        repoTags: ['ghcr.io/o/app:1.0'],
        repoDigests: [`ghcr.io/o/app@${digest}`],
        diffIds: ['sha256:1'],
        imageId: 'sha256:2',
      },
      packages: [
        pkg({
          name: 'musl',
          version: '1.2.4-r2',
          target: 'ghcr.io/o/app:1.0 (alpine 3.19.1)',
          resultClass: 'os-pkgs',
          resultType: 'alpine',
          purl: 'pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=3.19.1',
        }),
      ],
    });
    const out = buildCycloneDx([r], [], OPTS);
    const doc = parse(out.json);
    expect(doc.metadata.component).toMatchObject({
      type: 'container',
      name: 'ghcr.io/o/app:1.0',
      version: digest,
      purl: `pkg:oci/app@sha256%3A${'a'.repeat(64)}?repository_url=ghcr.io%2Fo%2Fapp`,
    });
    expect(doc.metadata.component.properties).toContainEqual({
      name: 'aquasecurity:trivy:RepoTag',
      value: 'ghcr.io/o/app:1.0',
    });
    expect(doc.components.find((c) => c.type === 'operating-system')).toMatchObject({
      name: 'alpine',
      version: '3.19.1',
    });
    expect(await cycloneDxErrors(out.json, '1.6')).toEqual([]);
  });

  it('keeps bom-refs unique when one purl appears in two lockfiles', async () => {
    const a = pkg({ name: 'lodash', version: '4.17.21' });
    const b = pkg({ name: 'lodash', version: '4.17.21', target: 'web/package-lock.json' });
    const out = buildCycloneDx([report({ packages: [a, b] })], [], OPTS);
    const refs = parse(out.json)
      .components.filter((c) => c.name === 'lodash')
      .map((c) => c['bom-ref']);
    expect(new Set(refs).size).toBe(2);
    expect(await cycloneDxErrors(out.json, '1.6')).toEqual([]);
  });

  it('combines several scans under one subject that depends on each', async () => {
    const image = report({
      source: 'img.json',
      artifact: { name: 'img:1', type: 'container_image' },
      packages: [
        pkg({
          name: 'x',
          version: '1',
          target: 'img:1 (alpine 3.19)',
          resultClass: 'os-pkgs',
          resultType: 'alpine',
          purl: 'pkg:apk/alpine/x@1',
        }),
      ],
    });
    const out = buildCycloneDx([npmReport, image], [], { ...OPTS, subjectName: 'octo/repo' });
    const doc = parse(out.json);
    expect(doc.metadata.component.name).toBe('octo/repo');
    expect(
      doc.dependencies.find((d) => d.ref === doc.metadata.component['bom-ref'])?.dependsOn,
    ).toEqual(['1:artifact:app', '2:artifact:img:1']);
    expect(await cycloneDxErrors(out.json, '1.6')).toEqual([]);
  });

  it('writes CycloneDX 1.5 on request, valid against the 1.5 schema', async () => {
    const out = buildCycloneDx([npmReport], [], { ...OPTS, specVersion: '1.5' });
    expect(parse(out.json).specVersion).toBe('1.5');
    expect(await cycloneDxErrors(out.json, '1.5')).toEqual([]);
  });
});

describe('buildCycloneDx vulnerabilities (VDR/VEX view)', () => {
  const v1 = vuln({
    id: 'CVE-2020-1',
    pkgName: 'react',
    installedVersion: '16.8.6',
    severitySource: 'nvd',
    cvssScore: 7.5,
    cweIds: ['CWE-79'],
    fixedVersion: '16.9.0',
    references: ['https://example.com/a'],
  });
  const v2 = vuln({ id: 'CVE-2020-2', pkgName: 'loose-envify', installedVersion: '1.4.0' });
  const v3 = vuln({
    id: 'CVE-2020-3',
    pkgName: 'react',
    installedVersion: '16.8.6',
    severity: 'LOW',
  });
  const decisions = [
    decided(v1),
    decided(v2, {
      suppression: {
        kind: 'vex',
        document: 'vex.json',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
      },
      counted: false,
      gated: false,
    }),
    decided(v3, { filtered: 'severity', counted: false, gated: false }),
  ];
  const withVulns = (d = decisions, inc = true) =>
    parse(buildCycloneDx([npmReport], d, { ...OPTS, includeVulnerabilities: inc }).json);

  it('lists reported findings with rating, CWE and the affected component; filtered ones are left out', () => {
    const doc = withVulns();
    expect(doc.vulnerabilities?.map((v) => v.id).sort()).toEqual(['CVE-2020-1', 'CVE-2020-2']);
    const one = doc.vulnerabilities?.find((v) => v.id === 'CVE-2020-1');
    expect(one?.ratings).toEqual([{ source: { name: 'nvd' }, severity: 'high', score: 7.5 }]);
    expect(one?.affects).toEqual([
      { ref: 'pkg:npm/react@16.8.6', versions: [{ version: '16.8.6', status: 'affected' }] },
    ]);
    expect(one?.analysis).toBeUndefined();
  });

  it('a VEX not_affected becomes analysis state not_affected with the mapped justification', () => {
    const two = withVulns().vulnerabilities?.find((v) => v.id === 'CVE-2020-2');
    expect(two?.analysis).toMatchObject({
      state: 'not_affected',
      justification: 'code_not_reachable',
    });
    expect(two?.affects[0]?.versions[0]?.status).toBe('unaffected');
  });

  it('an ignore rule is recorded as will_not_fix with its statement, not as "not affected"', () => {
    const d = [
      decided(v1, {
        suppression: {
          kind: 'ignore-file',
          file: '.trivyignore.yaml',
          statement: 'accepted until the next release',
          expiresAt: '2030-01-01',
        },
        counted: false,
        gated: false,
      }),
    ];
    const one = withVulns(d).vulnerabilities?.[0];
    expect(one?.analysis?.state).toBeUndefined();
    expect(one?.analysis?.response).toEqual(['will_not_fix']);
    expect(one?.analysis?.detail).toBe(
      'suppressed by .trivyignore.yaml; accepted until the next release; until 2030-01-01',
    );
  });

  it('is byte-identical with vulnerabilities too (no invented bom-refs)', () => {
    const json = () =>
      buildCycloneDx([npmReport], decisions, { ...OPTS, includeVulnerabilities: true }).json;
    expect(json()).toBe(json());
    expect(json()).not.toMatch(/BomRef\./);
  });

  it('writes no vulnerabilities unless asked', () => {
    expect(withVulns(decisions, false).vulnerabilities).toBeUndefined();
  });

  it('validates with vulnerabilities in 1.6 and 1.5', async () => {
    for (const specVersion of ['1.6', '1.5'] as const) {
      const json = buildCycloneDx([npmReport], decisions, {
        ...OPTS,
        includeVulnerabilities: true,
        specVersion,
      }).json;
      expect(await cycloneDxErrors(json, specVersion)).toEqual([]);
    }
  });
});

describe('assertValidCycloneDx', () => {
  it('fails with SBOM_INVALID naming the offending path', async () => {
    const bad = JSON.stringify({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      version: 1,
      components: [{ type: 'nonsense', name: 'x' }],
    });
    await expect(assertValidCycloneDx(bad, '1.6')).rejects.toMatchObject({
      code: 'SBOM_INVALID',
      message: expect.stringContaining('/components/0/type'),
    });
  });
});

describe('cycloneDxErrors on large documents (validated in slices)', () => {
  const big = () => {
    const packages = Array.from({ length: 700 }, (_, i) =>
      pkg({ name: `p${i}`, version: '1.0.0' }),
    );
    return JSON.parse(buildCycloneDx([report({ packages })], [], OPTS).json) as Doc &
      Record<string, unknown>;
  };

  it('accepts a valid document of 700 components', async () => {
    expect(await cycloneDxErrors(JSON.stringify(big()), '1.6')).toEqual([]);
  });

  it('reports an invalid component in a later slice at its real index', async () => {
    const doc = big();
    (doc.components[612] as { type: string }).type = 'nonsense';
    const errors = await cycloneDxErrors(JSON.stringify(doc), '1.6');
    expect(errors.join('\n')).toContain('/components/612/type');
  });

  it('finds duplicate components across slices, which ajv would have found as uniqueItems', async () => {
    const doc = big();
    doc.components[650] = doc.components[3] as Doc['components'][number];
    const errors = await cycloneDxErrors(JSON.stringify(doc), '1.6');
    expect(errors).toContainEqual(
      expect.stringContaining('/components: must NOT have duplicate items (items ## 3 and 650'),
    );
  });

  it('reports a document-level error once, not once per slice', async () => {
    const doc = { ...big(), version: 'one' };
    const errors = await cycloneDxErrors(JSON.stringify(doc), '1.6');
    expect(errors.filter((e) => e.startsWith('/version'))).toHaveLength(1);
  });
});
