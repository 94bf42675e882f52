import { describe, expect, it } from 'vitest';
import type { Vulnerability } from '../../src/model.js';
import { parseVex, vexFor } from '../../src/policy/vex.js';

const vuln = (over: Partial<Vulnerability> = {}): Vulnerability => ({
  kind: 'vulnerability',
  artifact: 'ghcr.io/acme/app:1.2.3',
  artifactType: 'container_image',
  resultClass: 'lang-pkgs',
  source: 'r.json',
  id: 'CVE-2023-1111',
  severity: 'CRITICAL',
  title: 't',
  target: 'app/go.mod',
  pkgName: 'golang.org/x/net',
  installedVersion: 'v0.1.0',
  purl: 'pkg:golang/golang.org/x/net@v0.1.0',
  cweIds: [],
  references: [],
  ...over,
});

const openvex = (statements: unknown[]) =>
  JSON.stringify({
    '@context': 'https://openvex.dev/ns/v0.2.0',
    '@id': 'x',
    author: 'a',
    timestamp: '2024-01-01T00:00:00Z',
    version: 1,
    statements,
  });

describe('OpenVEX', () => {
  it('matches by vulnerability ID and subcomponent purl (v0.2.0)', () => {
    const s = parseVex(
      openvex([
        {
          vulnerability: { name: 'CVE-2023-1111' },
          products: [
            {
              '@id': 'pkg:oci/app',
              subcomponents: [{ '@id': 'pkg:golang/golang.org/x/net@v0.1.0' }],
            },
          ],
          status: 'not_affected',
          justification: 'vulnerable_code_not_present',
        },
      ]),
      'vex.json',
    );
    expect(vexFor(s, vuln())).toMatchObject({
      status: 'not_affected',
      justification: 'vulnerable_code_not_present',
      document: 'vex.json',
    });
    expect(vexFor(s, vuln({ purl: 'pkg:golang/golang.org/x/net@v0.2.0' }))).toBeUndefined();
    expect(vexFor(s, vuln({ id: 'CVE-2023-2222' }))).toBeUndefined();
  });

  it('reads v0.0.x string forms and aliases', () => {
    const s = parseVex(
      openvex([
        { vulnerability: 'GHSA-aaaa', products: ['pkg:golang/golang.org/x/net'], status: 'fixed' },
      ]),
      'v.json',
    );
    expect(vexFor(s, vuln({ id: 'GHSA-aaaa' }))?.status).toBe('fixed');
  });

  it('lets a later "affected" statement override an earlier "not_affected"', () => {
    const s = parseVex(
      openvex([
        {
          vulnerability: { name: 'CVE-2023-1111' },
          products: ['pkg:golang/golang.org/x/net'],
          status: 'not_affected',
          justification: 'component_not_present',
          timestamp: '2024-01-01T00:00:00Z',
        },
        {
          vulnerability: { name: 'CVE-2023-1111' },
          products: ['pkg:golang/golang.org/x/net'],
          status: 'affected',
          timestamp: '2024-03-01T00:00:00Z',
        },
      ]),
      'v.json',
    );
    expect(vexFor(s, vuln())?.status).toBe('affected');
  });

  it('matches a statement about the image itself by reference', () => {
    const s = parseVex(
      openvex([
        {
          vulnerability: { name: 'CVE-2023-1111' },
          products: ['ghcr.io/acme/app'],
          status: 'not_affected',
        },
      ]),
      'v.json',
    );
    expect(vexFor(s, vuln())?.status).toBe('not_affected');
  });

  it('rejects an unknown status naming the document and the statement', () => {
    expect(() =>
      parseVex(openvex([{ vulnerability: 'X', products: [], status: 'ok' }]), 'vex/app.json'),
    ).toThrow(/^vex\/app\.json: statements\[0\]\.status "ok" is not one of/);
  });

  it('rejects a document that is neither OpenVEX nor CycloneDX', () => {
    expect(() => parseVex('{"runs": []}', 'x.json')).toThrow(
      /x\.json: not an OpenVEX or CycloneDX VEX document/,
    );
    expect(() => parseVex('{', 'x.json')).toThrow(/x\.json: not valid JSON/);
  });
});

describe('CycloneDX VEX', () => {
  it('maps analysis states and resolves bom-refs to purls', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [{ 'bom-ref': 'net', name: 'x/net', purl: 'pkg:golang/golang.org/x/net@v0.1.0' }],
      vulnerabilities: [
        {
          id: 'CVE-2023-1111',
          analysis: { state: 'false_positive', detail: 'scanner mismatch' },
          affects: [{ ref: 'net' }],
        },
        { id: 'CVE-2023-3333', analysis: { state: 'exploitable' }, affects: [{ ref: 'net' }] },
      ],
    };
    const s = parseVex(JSON.stringify(doc), 'bom.vex.json');
    expect(vexFor(s, vuln())).toMatchObject({
      status: 'not_affected',
      statement: 'scanner mismatch',
    });
    expect(vexFor(s, vuln({ id: 'CVE-2023-3333' }))?.status).toBe('affected');
  });
});
