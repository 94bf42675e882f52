import { describe, expect, it } from 'vitest';
import { buildSpdx, type SpdxDocument } from '../../src/sbom/spdx.js';
import { assertValidSpdx, spdxProblems } from '../../src/sbom/spdx-check.js';
import { pkg, report, vuln } from '../helpers/sbom-fixtures.js';

const OPTS = { toolVersion: '1.2.3', sourceDateEpoch: 1_700_000_000 };
const react = pkg({
  name: 'react',
  version: '16.8.6',
  dependsOn: ['loose-envify@1.4.0'],
  licenses: ['MIT'],
});
const looseEnvify = pkg({
  name: 'loose-envify',
  version: '1.4.0',
  licenses: ['GPLv3+', 'MIT OR ISC'],
});
const npmReport = report({ packages: [react, looseEnvify] });
const build = (o = {}) =>
  JSON.parse(buildSpdx([npmReport], { ...OPTS, ...o }).json) as SpdxDocument;

describe('buildSpdx', () => {
  it('writes creation info, a namespace under the given base, and passes our SPDX 2.3 check', () => {
    const doc = build({ namespaceBase: 'https://github.com/octo/repo/' });
    expect(doc.creationInfo).toEqual({
      created: '2023-11-14T22:13:20Z',
      creators: ['Tool: supply-chain-guard-1.2.3', 'Tool: trivy-0.70.0'],
    });
    expect(doc.documentNamespace).toMatch(
      /^https:\/\/github\.com\/octo\/repo\/spdx\/app-[0-9a-f-]{36}$/,
    );
    expect(spdxProblems(doc)).toEqual([]);
  });

  it('is byte-identical with SOURCE_DATE_EPOCH, and gets a fresh namespace without it', () => {
    expect(buildSpdx([npmReport], OPTS).json).toBe(buildSpdx([npmReport], OPTS).json);
    const a = buildSpdx([npmReport], { toolVersion: '1' });
    const b = buildSpdx([npmReport], { toolVersion: '1' });
    expect((JSON.parse(a.json) as SpdxDocument).documentNamespace).not.toBe(
      (JSON.parse(b.json) as SpdxDocument).documentNamespace,
    );
  });

  it('gives each package its purl as a PACKAGE-MANAGER ref and licenses as SPDX expressions', () => {
    const doc = build();
    const r = doc.packages.find((p) => p.name === 'react');
    expect(r).toMatchObject({
      versionInfo: '16.8.6',
      downloadLocation: 'NOASSERTION',
      licenseDeclared: 'MIT',
      licenseConcluded: 'MIT',
      filesAnalyzed: false,
      primaryPackagePurpose: 'LIBRARY',
    });
    expect(r?.externalRefs).toEqual([
      {
        referenceCategory: 'PACKAGE-MANAGER',
        referenceType: 'purl',
        referenceLocator: 'pkg:npm/react@16.8.6',
      },
    ]);
    const l = doc.packages.find((p) => p.name === 'loose-envify');
    expect(l?.licenseDeclared).toMatch(/^LicenseRef-GPLv3-[0-9a-f]{8} AND \(MIT OR ISC\)$/);
    expect(doc.hasExtractedLicensingInfos).toEqual([
      { licenseId: l?.licenseDeclared.split(' ')[0], extractedText: 'GPLv3+', name: 'GPLv3+' },
    ]);
  });

  it('relates DOCUMENT DESCRIBES artifact, artifact CONTAINS lockfile, lockfile CONTAINS packages, DEPENDS_ON edges', () => {
    const doc = build();
    const name = new Map(doc.packages.map((p) => [p.SPDXID, p.name]));
    name.set('SPDXRef-DOCUMENT', 'DOCUMENT');
    const rels = doc.relationships.map(
      (r) => `${name.get(r.spdxElementId)} ${r.relationshipType} ${name.get(r.relatedSpdxElement)}`,
    );
    expect(rels.sort()).toEqual([
      'DOCUMENT DESCRIBES app',
      'app CONTAINS package-lock.json',
      'package-lock.json CONTAINS loose-envify',
      'package-lock.json CONTAINS react',
      'react DEPENDS_ON loose-envify',
    ]);
  });

  it('names a scan of "." after the repository, and gives an image its digest and oci purl', () => {
    const dot = report({ artifact: { name: '.' }, packages: [react] });
    const doc = JSON.parse(
      buildSpdx([dot], { ...OPTS, subjectName: 'octo/repo' }).json,
    ) as SpdxDocument;
    expect(doc.name).toBe('octo/repo');
    expect(
      doc.packages.find((p) => p.primaryPackagePurpose === 'APPLICATION' && p.name === 'octo/repo'),
    ).toBeDefined();
    const digest = `sha256:${'b'.repeat(64)}`;
    const image = report({
      artifact: {
        name: 'ghcr.io/o/app:1',
        type: 'container_image',
        repoDigests: [`ghcr.io/o/app@${digest}`],
      },
      packages: [react],
    });
    const imgDoc = JSON.parse(buildSpdx([image], OPTS).json) as SpdxDocument;
    const subject = imgDoc.packages.find((p) => p.primaryPackagePurpose === 'CONTAINER');
    expect(subject?.versionInfo).toBe(digest);
    expect(subject?.externalRefs?.[0]?.referenceLocator).toMatch(
      /^pkg:oci\/app@sha256%3Ab{64}\?repository_url=ghcr\.io%2Fo%2Fapp$/,
    );
    expect(spdxProblems(imgDoc)).toEqual([]);
  });

  it('warns that the inventory is incomplete for a report without a package list', () => {
    const r = report({
      findings: [vuln({ id: 'CVE-1', pkgName: 'lodash', installedVersion: '4.17.4' })],
    });
    const out = buildSpdx([r], OPTS);
    expect(out.warnings[0]).toMatch(/incomplete/);
    expect(spdxProblems(JSON.parse(out.json))).toEqual([]);
  });
});

describe('spdxProblems (the SPDX 2.3 requirements check)', () => {
  const good = build();
  const mutate = (
    f: (
      d: Record<string, unknown> & {
        packages: Record<string, unknown>[];
        relationships: Record<string, unknown>[];
      },
    ) => void,
  ) => {
    const d = structuredClone(good) as unknown as Parameters<Parameters<typeof mutate>[0]>[0];
    f(d);
    return spdxProblems(d);
  };

  it.each<[string, Parameters<typeof mutate>[0], RegExp]>([
    [
      'wrong version',
      (d) => {
        d['spdxVersion'] = 'SPDX-2.2';
      },
      /spdxVersion/,
    ],
    [
      'no namespace',
      (d) => {
        delete d['documentNamespace'];
      },
      /documentNamespace is missing/,
    ],
    [
      'namespace with #',
      (d) => {
        d['documentNamespace'] = 'https://x/y#z';
      },
      /without "#"/,
    ],
    [
      'no creation info',
      (d) => {
        delete d['creationInfo'];
      },
      /creationInfo is missing/,
    ],
    [
      'created with millis',
      (d) => {
        d['creationInfo'] = { created: '2023-01-01T00:00:00.000Z', creators: ['Tool: x'] };
      },
      /YYYY-MM-DDThh:mm:ssZ/,
    ],
    [
      'creator without kind',
      (d) => {
        d['creationInfo'] = { created: '2023-01-01T00:00:00Z', creators: ['x'] };
      },
      /Tool:, Person: or Organization:/,
    ],
    [
      'package without SPDXID',
      (d) => {
        delete d.packages[0]?.['SPDXID'];
      },
      /SPDXID must match/,
    ],
    [
      'duplicate SPDXID',
      (d) => {
        (d.packages[1] as Record<string, unknown>)['SPDXID'] = d.packages[0]?.['SPDXID'];
      },
      /is not unique/,
    ],
    [
      'package without name',
      (d) => {
        delete d.packages[0]?.['name'];
      },
      /name is missing/,
    ],
    [
      'package without downloadLocation',
      (d) => {
        delete d.packages[0]?.['downloadLocation'];
      },
      /downloadLocation is missing/,
    ],
    [
      'package without licenseConcluded',
      (d) => {
        delete d.packages[0]?.['licenseConcluded'];
      },
      /licenseConcluded is missing/,
    ],
    [
      'undeclared LicenseRef',
      (d) => {
        delete d['hasExtractedLicensingInfos'];
      },
      /hasExtractedLicensingInfos does not declare/,
    ],
    [
      'bad purpose',
      (d) => {
        (d.packages[0] as Record<string, unknown>)['primaryPackagePurpose'] = 'OPERATING-SYSTEM';
      },
      /not an SPDX 2.3 purpose/,
    ],
    [
      'dangling relationship',
      (d) => {
        (d.relationships[1] as Record<string, unknown>)['relatedSpdxElement'] = 'SPDXRef-nowhere';
      },
      /names no element/,
    ],
    [
      'unknown relationship type',
      (d) => {
        (d.relationships[1] as Record<string, unknown>)['relationshipType'] = 'USES';
      },
      /not an SPDX 2.3 type/,
    ],
    [
      'nothing described',
      (d) => {
        d.relationships = d.relationships.filter((r) => r['relationshipType'] !== 'DESCRIBES');
      },
      /DESCRIBES nothing/,
    ],
  ])('finds %s', (_name, change, expected) => {
    expect(spdxProblems(good)).toEqual([]);
    const problems = mutate(change);
    expect(problems.join('\n')).toMatch(expected);
  });

  it('assertValidSpdx fails with SBOM_INVALID and the reasons', () => {
    const bad = JSON.stringify({ ...good, spdxVersion: 'SPDX-2.2' });
    expect(() => assertValidSpdx(bad)).toThrow(
      expect.objectContaining({
        code: 'SBOM_INVALID',
        message: expect.stringContaining('spdxVersion'),
      }),
    );
  });
});
