import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TrivyReportParser, parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusFiles, corpusPath, HAS_CORPUS } from '../helpers/corpus.js';

function parseInChunks(text: string, size: number) {
  const bytes = Buffer.from(text, 'utf8');
  const parser = new TrivyReportParser('r.json');
  for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
  return parser.end();
}

const tricky = JSON.stringify({
  SchemaVersion: 2,
  ArtifactName: 'a "quoted" \\ name ✓ 🚀',
  ArtifactType: 'filesystem',
  Results: [
    {
      Target: 'dir\\\\with\\"escapes"',
      Class: 'lang-pkgs',
      Type: 'npm',
      Packages: [{ ID: 'x@1', Name: 'x', Version: '1', DependsOn: [] }],
      Vulnerabilities: [
        {
          VulnerabilityID: 'CVE-1',
          PkgName: 'x',
          InstalledVersion: '1',
          Severity: 'HIGH',
          Title: 'ends with a backslash \\',
          Description: '{"not": ["structure"]} }]',
          References: [],
        },
        {
          VulnerabilityID: 'CVE-2',
          PkgName: 'x',
          InstalledVersion: '1',
          Severity: 'LOW',
          Title: '\\\\\\"',
          CVSS: { nvd: { V3Score: 9.1 } },
          SeveritySource: 'nvd',
        },
      ],
    },
    { Target: 'empty', Class: 'secret', Secrets: [] },
  ],
});

describe('the push parser', () => {
  it.each([1, 2, 3, 5, 7, 64])(
    'gives the same report whatever the chunk size (%i bytes)',
    (size) => {
      expect(parseInChunks(tricky, size)).toEqual(parseTrivyReport(tricky, 'r.json'));
    },
  );

  it('keeps escapes, multi-byte characters and structure-like text inside strings', () => {
    const r = parseTrivyReport(tricky, 'r.json');
    expect(r.artifact.name).toBe('a "quoted" \\ name ✓ 🚀');
    expect(r.findings.map((f) => f.title)).toEqual(['ends with a backslash \\', '\\\\\\"']);
    expect(r.findings[0]!.description).toBe('{"not": ["structure"]} }]');
    expect(r.results.map((x) => x.target)).toEqual(['dir\\\\with\\"escapes"', 'empty']);
    expect(r.hasPackageList).toBe(true);
  });

  it('converts fields that come in any order (items before Target, Results before ArtifactName)', () => {
    const r = parseTrivyReport(
      '{"SchemaVersion":2,"Results":[{"Vulnerabilities":[{"VulnerabilityID":"CVE-9","PkgName":"p","Severity":"LOW"}],"Target":"t","Class":"os-pkgs"}],"ArtifactName":"late"}',
      'r.json',
    );
    expect(r.findings[0]).toMatchObject({
      id: 'CVE-9',
      target: 't',
      resultClass: 'os-pkgs',
      artifact: 'late',
    });
  });

  it.each([
    ['trailing data', '{"SchemaVersion":2} x', /unexpected data after the report/],
    ['a missing comma', '{"SchemaVersion":2 "Results":[]}', /expected "," or "}"/],
    [
      'a bad number inside an item',
      '{"SchemaVersion":2,"Results":[{"Target":"t","Vulnerabilities":[{"Severity": 01}]}]}',
      /not valid JSON/,
    ],
    [
      'a result that is not an object',
      '{"SchemaVersion":2,"Results":[42]}',
      /Results\[0\] is not an object/,
    ],
  ])('rejects %s', (_, text, message) => {
    expect(() => parseTrivyReport(text, 'r.json')).toThrow(message);
  });
});

describe('the fast path for indented reports', () => {
  // Two lists at the same indentation in one chunk: a guess that spans from the first list into
  // the second must fail its JSON.parse and fall back, never merge the lists.
  const pkg = (n: number) => ({ ID: `p${n}@1`, Name: `p${n}`, Version: '1', DependsOn: [] });
  const vuln = (n: number) => ({
    VulnerabilityID: `CVE-${n}`,
    PkgName: `p${n}`,
    InstalledVersion: '1',
    Severity: 'LOW',
    Title: 'x }, {',
  });
  const doc = {
    SchemaVersion: 2,
    ArtifactName: 'img',
    ArtifactType: 'container_image',
    Results: [
      {
        Target: 'a',
        Class: 'os-pkgs',
        Type: 'debian',
        Packages: [1, 2, 3].map(pkg),
        Vulnerabilities: [1, 2, 3, 4].map(vuln),
      },
      {
        Target: 'b',
        Class: 'lang-pkgs',
        Type: 'npm',
        Packages: [5, 6].map(pkg),
        Vulnerabilities: [5].map(vuln),
      },
    ],
  };
  const pretty = JSON.stringify(doc, null, 2);
  const minified = JSON.stringify(doc);

  it.each([pretty.length + 10, 97, 400])('keeps every list apart (chunks of %i bytes)', (size) => {
    const r = parseInChunks(pretty, size);
    expect(r).toEqual(parseTrivyReport(minified, 'r.json'));
    expect(r.packages.map((p) => `${p.target}:${p.name}`)).toEqual([
      'a:p1',
      'a:p2',
      'a:p3',
      'b:p5',
      'b:p6',
    ]);
    expect(r.findings.map((f) => `${f.target}:${f.id}`)).toEqual([
      'a:CVE-1',
      'a:CVE-2',
      'a:CVE-3',
      'a:CVE-4',
      'b:CVE-5',
    ]);
  });

  it('falls back when the indentation is not consistent', () => {
    const odd = pretty.replace(/\n {8}\}/, '\n   }');
    expect(parseInChunks(odd, 1 << 20)).toEqual(parseTrivyReport(minified, 'r.json'));
  });
});

describe.skipIf(!HAS_CORPUS)('the push parser on the corpus', () => {
  const files = corpusFiles('trivy-json');
  it.each(files)('%s: as written (fast paths) gives what the minified text gives', (file) => {
    const text = readFileSync(corpusPath(file), 'utf8');
    const minified = parseTrivyReport(JSON.stringify(JSON.parse(text)), 'r.json');
    expect(parseInChunks(text, 1 << 20)).toEqual(minified);
    expect(parseInChunks(text, 4096)).toEqual(minified);
  });

  it.each(files)('%s: 13-byte chunks give what JSON.parse of the whole gives', (file) => {
    const text = readFileSync(corpusPath(file), 'utf8');
    expect(parseInChunks(text, 13)).toEqual(
      parseTrivyReport(JSON.stringify(JSON.parse(text)), 'r.json'),
    );
  });
});
