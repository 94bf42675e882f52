import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../../src/model.js';
import { buildCycloneDx } from '../../src/sbom/cyclonedx.js';
import { buildSpdx } from '../../src/sbom/spdx.js';
import { spdxProblems } from '../../src/sbom/spdx-check.js';
import { cycloneDxErrors } from '../../src/sbom/validate.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusFiles, corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { spdxSchemaErrors } from '../helpers/spdx-schema.js';

const OPTS = { toolVersion: '0.0.0-test', sourceDateEpoch: 1_700_000_000 };

/** The purls a report knows, read from the raw JSON independently of the parser. */
function rawPurls(text: string): Set<string> {
  const doc = JSON.parse(text) as {
    Results?: {
      Packages?: { Identifier?: { PURL?: string } }[];
      Vulnerabilities?: { PkgIdentifier?: { PURL?: string } }[];
    }[];
  };
  const out = new Set<string>();
  for (const r of doc.Results ?? []) {
    for (const p of r.Packages ?? []) if (p.Identifier?.PURL) out.add(p.Identifier.PURL);
    for (const v of r.Vulnerabilities ?? [])
      if (v.PkgIdentifier?.PURL) out.add(v.PkgIdentifier.PURL);
  }
  return out;
}

const reports = [...corpusFiles('trivy-json'), ...corpusFiles('action-golden')]
  .map((file) => {
    const text = readFileSync(corpusPath(file), 'utf8');
    return { file, text, report: parseTrivyReport(text, file) };
  })
  .filter(
    ({ report }) =>
      report.packages.length > 0 || report.findings.some((f) => f.kind === 'vulnerability'),
  );

function cdxPurls(json: string): Set<string> {
  const doc = JSON.parse(json) as { components?: { purl?: string; type: string }[] };
  return new Set(
    (doc.components ?? []).flatMap((c) => (c.type === 'library' && c.purl ? [c.purl] : [])),
  );
}

function spdxPurls(json: string): Set<string> {
  const doc = JSON.parse(json) as {
    packages: {
      primaryPackagePurpose?: string;
      externalRefs?: { referenceType: string; referenceLocator: string }[];
    }[];
  };
  // Packages only: an image itself also carries a (pkg:oci) purl.
  return new Set(
    doc.packages
      .filter((p) => p.primaryPackagePurpose === 'LIBRARY')
      .flatMap((p) =>
        (p.externalRefs ?? [])
          .filter((r) => r.referenceType === 'purl')
          .map((r) => r.referenceLocator),
      ),
  );
}

describe.skipIf(!HAS_CORPUS)('SBOMs of every corpus report with an inventory', () => {
  it('finds the reports (a suite over nothing must not pass)', () => {
    expect(reports.length).toBeGreaterThan(40);
    expect(reports.filter((r) => r.report.hasPackageList).length).toBeGreaterThan(15);
  });

  it.each(reports)(
    '$file: CycloneDX 1.6 validates and holds exactly its purls',
    async ({ text, report }) => {
      const doc = buildCycloneDx([report], [], OPTS);
      expect(await cycloneDxErrors(doc.json, '1.6')).toEqual([]);
      expect(cdxPurls(doc.json)).toEqual(rawPurls(text));
      expect(doc.warnings.length > 0).toBe(!report.hasPackageList);
    },
  );

  it.each(reports)(
    '$file: SPDX 2.3 passes the schema and our check, and holds exactly its purls',
    ({ text, report }) => {
      const doc = buildSpdx([report], OPTS);
      const parsed: unknown = JSON.parse(doc.json);
      expect(spdxSchemaErrors(parsed)).toEqual([]);
      expect(spdxProblems(parsed)).toEqual([]);
      expect(spdxPurls(doc.json)).toEqual(rawPurls(text));
    },
  );

  it('CycloneDX 1.5 with vulnerabilities validates for every report, reproducibly', async () => {
    for (const { file, report } of reports) {
      const decisions = report.findings.map((finding) => ({ finding, counted: true, gated: true }));
      const build = () =>
        buildCycloneDx([report], decisions, {
          ...OPTS,
          specVersion: '1.5',
          includeVulnerabilities: true,
        }).json;
      const json = build();
      expect({ file, errors: await cycloneDxErrors(json, '1.5') }).toEqual({ file, errors: [] });
      expect({ file, same: build() === json }).toEqual({ file, same: true });
      // Every vulnerability affects a component of the document.
      const doc = JSON.parse(json) as {
        components?: { 'bom-ref': string }[];
        vulnerabilities?: { id: string; affects?: { ref: string }[] }[];
      };
      const refs = new Set((doc.components ?? []).map((c) => c['bom-ref']));
      for (const v of doc.vulnerabilities ?? []) {
        expect({
          file,
          id: v.id,
          ok: (v.affects ?? []).length > 0 && (v.affects ?? []).every((a) => refs.has(a.ref)),
        }).toEqual({ file, id: v.id, ok: true });
      }
    }
  });

  it('all reports in one document validate in both formats and keep every purl', async () => {
    const all: ScanReport[] = reports.map((r) => r.report);
    const cdx = buildCycloneDx(all, [], { ...OPTS, subjectName: 'corpus' });
    expect(await cycloneDxErrors(cdx.json, '1.6')).toEqual([]);
    const spdx = buildSpdx(all, {
      ...OPTS,
      subjectName: 'corpus',
      namespaceBase: 'https://example.com/o/r',
    });
    expect(spdxSchemaErrors(JSON.parse(spdx.json))).toEqual([]);
    expect(spdxProblems(JSON.parse(spdx.json))).toEqual([]);
    const union = new Set(reports.flatMap((r) => [...rawPurls(r.text)]));
    expect(cdxPurls(cdx.json)).toEqual(union);
    expect(spdxPurls(spdx.json)).toEqual(union);
  });
});
