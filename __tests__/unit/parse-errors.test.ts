import { describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/errors.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';

function failure(text: string): InputFileError {
  try {
    parseTrivyReport(text, 'reports/app.json');
  } catch (err) {
    if (err instanceof InputFileError) return err;
    throw err;
  }
  throw new Error('expected a failure');
}

describe('parseTrivyReport on bad input', () => {
  it.each([
    ['an empty file', '', /the file is empty/],
    ['whitespace only', '  \n', /the file is empty/],
    ['not JSON', 'Report Summary\n┌──', /not valid JSON/],
    ['a truncated report', '{"SchemaVersion": 2, "Results": [{"Target": "x"', /truncated/],
    [
      'a SARIF file',
      '{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[]}',
      /a SARIF file, not Trivy JSON/,
    ],
    ['a CycloneDX SBOM', '{"bomFormat":"CycloneDX","specVersion":"1.6"}', /a CycloneDX SBOM/],
    ['an SPDX document', '{"spdxVersion":"SPDX-2.3"}', /an SPDX document/],
    [
      'a pre-0.20 array report',
      '[{"Target":"x","Vulnerabilities":[]}]',
      /pre-0\.20 Trivy report format/,
    ],
    ['a wrong SchemaVersion', '{"SchemaVersion": 3, "Results": []}', /unsupported SchemaVersion 3/],
    ['no SchemaVersion', '{"ArtifactName": "x"}', /no SchemaVersion/],
    [
      'Results of the wrong type',
      '{"SchemaVersion": 2, "Results": {}}',
      /"Results" is not an array/,
    ],
    ['a JSON string', '"hello"', /JSON string, not a report object/],
  ])('%s: names the file and says what is wrong', (_, text, message) => {
    const err = failure(text);
    expect(err.code).toBe('REPORT_INVALID');
    expect(err.message.startsWith('reports/app.json: ')).toBe(true);
    expect(err.message).toMatch(message);
    expect(err.remedy).toMatch(/--format json/);
  });

  it('accepts a report with no Results (nothing found) as zero findings, not an error', () => {
    const r = parseTrivyReport(
      '{"SchemaVersion":2,"ArtifactName":"alpine:3.20","ArtifactType":"container_image"}',
      'r.json',
    );
    expect(r.findings).toEqual([]);
    expect(r.artifact.name).toBe('alpine:3.20');
  });

  it('tolerates old reports: no PkgIdentifier, AVDID beside ID, zero line numbers', () => {
    const r = parseTrivyReport(
      JSON.stringify({
        SchemaVersion: 2,
        ArtifactName: '.',
        ArtifactType: 'filesystem',
        Results: [
          {
            Target: 'Dockerfile',
            Class: 'config',
            Type: 'dockerfile',
            Misconfigurations: [
              {
                Type: 'Dockerfile Security Check',
                ID: 'DS002',
                AVDID: 'AVD-DS-0002',
                Title: 'root',
                Severity: 'HIGH',
                Status: 'FAIL',
                CauseMetadata: { StartLine: 0, EndLine: 0 },
              },
            ],
          },
          {
            Target: 'go.sum',
            Class: 'lang-pkgs',
            Type: 'gomod',
            Vulnerabilities: [
              { VulnerabilityID: 'CVE-1', PkgName: 'x', InstalledVersion: '1', Severity: 'weird' },
            ],
          },
        ],
      }),
      'old.json',
    );
    expect(r.findings[0]).toMatchObject({
      kind: 'misconfiguration',
      id: 'DS002',
      avdId: 'AVD-DS-0002',
      status: 'FAIL',
    });
    expect((r.findings[0] as { startLine?: number }).startLine).toBeUndefined();
    expect(r.findings[1]).toMatchObject({
      kind: 'vulnerability',
      severity: 'UNKNOWN',
      title: 'CVE-1',
    });
    expect((r.findings[1] as { purl?: string }).purl).toBeUndefined();
  });
});
