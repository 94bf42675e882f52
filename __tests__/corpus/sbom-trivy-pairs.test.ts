/**
 * Our CycloneDX against the CycloneDX Trivy itself produced from the same input (pairs listed
 * in the corpus SOURCES.md): the component purls and the dependency edges must match.
 *
 * Edges are compared by identity, not bom-ref: a package by its purl (qualifiers sorted,
 * because Trivy's older fixture orders them differently), the scanned artifact as ROOT, and
 * an OS or lockfile component by type and name. Trivy's bom-refs for those are random UUIDs.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildCycloneDx } from '../../src/sbom/cyclonedx.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';

interface Cdx {
  metadata: { component: { 'bom-ref': string } };
  components?: { 'bom-ref': string; type: string; name: string; purl?: string }[];
  dependencies?: { ref: string; dependsOn?: string[] }[];
}

function normPurl(purl: string): string {
  const [base, query] = purl.split('?');
  return query ? `${base}?${query.split('&').sort().join('&')}` : (base as string);
}

function libraryPurls(doc: Cdx): Set<string> {
  return new Set(
    (doc.components ?? []).flatMap((c) =>
      c.type === 'library' && c.purl ? [normPurl(c.purl)] : [],
    ),
  );
}

function edges(doc: Cdx): Set<string> {
  const id = new Map<string, string>([[doc.metadata.component['bom-ref'], 'ROOT']]);
  for (const c of doc.components ?? []) {
    id.set(c['bom-ref'], c.purl ? normPurl(c.purl) : `${c.type}:${c.name}`);
  }
  const out = new Set<string>();
  for (const d of doc.dependencies ?? []) {
    for (const to of d.dependsOn ?? []) out.add(`${id.get(d.ref) ?? d.ref} -> ${id.get(to) ?? to}`);
  }
  return out;
}

function ours(jsonReport: string): Cdx {
  const file = corpusPath('trivy-json', jsonReport);
  const report = parseTrivyReport(readFileSync(file, 'utf8'), file);
  return JSON.parse(buildCycloneDx([report], [], { toolVersion: 'test' }).json) as Cdx;
}

function trivys(cdx: string): Cdx {
  return JSON.parse(readFileSync(corpusPath('trivy-cyclonedx', cdx), 'utf8')) as Cdx;
}

describe.skipIf(!HAS_CORPUS)('CycloneDX matches what Trivy itself produced', () => {
  it('fs/npm.json ⇄ npm-cyclonedx.json (trivy convert of this very report): same purls, same edges', () => {
    const a = ours('fs/npm.json');
    const b = trivys('npm-cyclonedx.json');
    expect(libraryPurls(a).size).toBe(12);
    expect(libraryPurls(a)).toEqual(libraryPurls(b));
    // ROOT -> lockfile -> [jquery, promise, react, redux] and the packages' own DependsOn.
    expect(edges(a)).toEqual(edges(b));
    expect(edges(a)).toContain('application:package-lock.json -> pkg:npm/redux@4.0.1');
  });

  it('image/centos-7.json ⇄ fixture-centos-7-cyclonedx.json: same purls, same edges', () => {
    // The JSON was scanned without --list-all-pkgs, so its inventory is the two vulnerable
    // packages; Trivy's fixture SBOM holds exactly those two as well.
    const a = ours('image/centos-7.json');
    const b = trivys('fixture-centos-7-cyclonedx.json');
    expect(libraryPurls(a)).toEqual(libraryPurls(b));
    expect(edges(a)).toEqual(edges(b));
    expect(edges(a)).toContain('ROOT -> operating-system:centos');
  });

  it('image/fluentd-gems.json ⇄ fluentd-multiple-lockfiles.cdx.json: ours is the subset the report knows', () => {
    // Deliberate difference: this JSON was scanned without --list-all-pkgs (and with
    // --ignore-unfixed), so it names only the 2 vulnerable packages of Trivy's 160 and none
    // of the DependsOn graph. Every purl and every artifact edge we write is Trivy's; the
    // one edge Trivy lacks is OS -> libidn2-0: without the graph we cannot know that other
    // Debian packages pull libidn2-0 in, so it hangs off its OS like any package whose
    // dependents are unknown.
    const a = ours('image/fluentd-gems.json');
    const b = trivys('fluentd-multiple-lockfiles.cdx.json');
    expect(libraryPurls(a).size).toBe(2);
    for (const purl of libraryPurls(a)) expect(libraryPurls(b)).toContain(purl);
    const theirs = edges(b);
    const extra = [...edges(a)].filter((e) => !theirs.has(e));
    expect(extra).toEqual([
      'operating-system:debian -> pkg:deb/debian/libidn2-0@2.0.5-1?arch=amd64&distro=debian-10.2',
    ]);
    expect(edges(a)).toEqual(
      new Set([
        'ROOT -> operating-system:debian',
        'ROOT -> pkg:gem/activesupport@6.0.2.1',
        ...extra,
      ]),
    );
  });
});
