import { describe, expect, it } from 'vitest';
import { renderSboms, sbomFilePath } from '../../src/sbom/render.js';
import { pkg, report, vuln } from '../helpers/sbom-fixtures.js';

const OPTS = { toolVersion: '1.0.0', sourceDateEpoch: 1_700_000_000 };

describe('renderSboms', () => {
  it('builds and checks each requested format once, in order', async () => {
    const r = report({ packages: [pkg({ name: 'react', version: '16.8.6' })] });
    const out = await renderSboms([r], [], ['spdx', 'cyclonedx', 'spdx'], OPTS);
    expect(out.documents.map((d) => d.format)).toEqual(['spdx', 'cyclonedx']);
    expect(out.documents.map((d) => d.packageCount)).toEqual([1, 1]);
    expect(JSON.parse(out.documents[0]?.json ?? '')).toMatchObject({ spdxVersion: 'SPDX-2.3' });
    expect(JSON.parse(out.documents[1]?.json ?? '')).toMatchObject({ specVersion: '1.6' });
    expect(out.warnings).toEqual([]);
  });

  it('reports the incomplete-inventory warning once for both formats', async () => {
    const r = report({
      findings: [vuln({ id: 'CVE-1', pkgName: 'lodash', installedVersion: '4.17.4' })],
    });
    const out = await renderSboms([r], [], ['cyclonedx', 'spdx'], OPTS);
    expect(out.documents).toHaveLength(2);
    expect(out.warnings).toHaveLength(1);
  });
});

describe('renderSboms without reports', () => {
  it('writes nothing and says why', async () => {
    const out = await renderSboms([], [], ['cyclonedx'], OPTS);
    expect(out).toEqual({ documents: [], warnings: [expect.stringContaining('no scan report')] });
  });
});

describe('sbomFilePath', () => {
  it.each([
    ['cyclonedx', 1, undefined, '/tmp/scg/sbom.cdx.json'],
    ['spdx', 2, undefined, '/tmp/scg/sbom.spdx.json'],
    ['cyclonedx', 1, 'out/bom.json', 'out/bom.json'],
    ['cyclonedx', 2, 'out/bom.json', 'out/bom.cdx.json'],
    ['spdx', 2, 'out/bom.json', 'out/bom.spdx.json'],
    ['spdx', 2, 'out/bom.cdx.json', 'out/bom.spdx.json'],
    ['cyclonedx', 2, 'out/bom', 'out/bom.cdx.json'],
  ] as const)('%s of %i formats, sbom-file %s → %s', (format, count, file, expected) => {
    expect(sbomFilePath(format, count, '/tmp/scg/', file)).toBe(expected);
  });
});
