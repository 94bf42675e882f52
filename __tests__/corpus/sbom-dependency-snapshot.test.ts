/** Our dependency snapshot against the one Trivy writes itself (`--format github`). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toDependencySnapshot, type SnapshotContext } from '../../src/sbom/dependency-snapshot.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';

interface Gsbom {
  manifests: Record<
    string,
    {
      name: string;
      file?: { source_location: string };
      resolved: Record<
        string,
        { package_url: string; scope?: string; relationship?: string; dependencies?: string[] }
      >;
    }
  >;
}

const CTX: SnapshotContext = {
  sha: '39da54a1ff04120a31df8cbc94ce9ede251d21a3',
  ref: 'refs/heads/feature-1',
  correlator: 'workflow-name_integration',
  jobId: '1910764383',
  detectorVersion: 'test',
  detectorUrl: 'https://github.com/octo-org/supply-chain-guard',
  scanned: new Date('2021-08-25T12:20:30Z'),
};

function report(file: string) {
  return parseTrivyReport(readFileSync(corpusPath('trivy-json', file), 'utf8'), file);
}

describe.skipIf(!HAS_CORPUS)("dependency snapshot compared with Trivy's own", () => {
  it("alpine-310: same manifest key and name; our packages are Trivy's, with the same purls and scope", () => {
    const theirs = JSON.parse(
      readFileSync(corpusPath('trivy-other-formats', 'alpine-310.gsbom.json'), 'utf8'),
    ) as Gsbom;
    const ours = toDependencySnapshot([report('image/alpine-310.json')], CTX);
    expect(Object.keys(ours.manifests)).toEqual(Object.keys(theirs.manifests));
    const key = Object.keys(theirs.manifests)[0] as string;
    const a = ours.manifests[key];
    const b = theirs.manifests[key];
    expect(a?.name).toBe(b?.name);
    // The JSON was scanned without --list-all-pkgs: it knows the two vulnerable packages of
    // Trivy's fourteen. Keys differ on purpose: ours are package IDs (name@version), so two
    // versions of one package cannot overwrite each other; Trivy keys by name.
    expect(Object.keys(a?.resolved ?? {})).toEqual([
      'libcrypto1.1@1.1.1c-r0',
      'libssl1.1@1.1.1c-r0',
    ]);
    for (const dep of Object.values(a?.resolved ?? {})) {
      const name = /^pkg:apk\/alpine\/([^@]+)@/.exec(dep.package_url)?.[1] as string;
      expect(dep.package_url).toBe(b?.resolved[name]?.package_url);
      expect(dep.scope).toBe(b?.resolved[name]?.scope);
      // Trivy calls every OS package "direct"; this report does not say, so we do not either.
      expect(dep.relationship).toBeUndefined();
    }
  });

  it('dependencies are purls (as the API documents), where Trivy writes package IDs', () => {
    const snap = toDependencySnapshot([report('fs/npm.json')], CTX);
    const m = snap.manifests['package-lock.json'];
    expect(m?.name).toBe('npm');
    expect(m?.file).toEqual({ source_location: 'testdata/fixtures/repo/npm/package-lock.json' });
    expect(m?.resolved['react@16.8.6']?.dependencies).toEqual([
      'pkg:npm/loose-envify@1.4.0',
      'pkg:npm/object-assign@4.1.1',
      'pkg:npm/prop-types@15.7.2',
      'pkg:npm/scheduler@0.13.6',
    ]);
  });

  it('cargo: Relationship is kept, the root project is left out, two memchr versions both stay', () => {
    const snap = toDependencySnapshot([report('fs/cargo.lock.json')], CTX);
    const resolved = Object.values(snap.manifests)[0]?.resolved ?? {};
    expect(
      Object.fromEntries(Object.entries(resolved).map(([k, d]) => [k, d.relationship])),
    ).toEqual({
      'memchr@1.0.2': 'direct',
      'regex@1.7.3': 'direct',
      'aho-corasick@0.7.20': 'indirect',
      'libc@0.2.171': 'indirect',
      'memchr@2.7.4': 'indirect',
      'regex-syntax@0.6.29': 'indirect',
    });
  });

  it('dev dependencies get the development scope', () => {
    const snap = toDependencySnapshot([report('fs/npm-with-dev.json')], CTX);
    const resolved = Object.values(snap.manifests).flatMap((m) => Object.values(m.resolved));
    expect(resolved.some((d) => d.scope === 'development')).toBe(true);
    expect(resolved.some((d) => d.scope === 'runtime')).toBe(true);
  });

  it('image manifests point at the Dockerfile, not into the image (Trivy writes image@digest there)', () => {
    const snap = toDependencySnapshot([report('image/busybox-with-lockfile.json')], {
      ...CTX,
      imageManifestPath: 'build/Dockerfile',
    });
    const files = Object.values(snap.manifests).map((m) => m.file?.source_location);
    expect(files.length).toBeGreaterThan(0);
    expect(new Set(files)).toEqual(new Set(['build/Dockerfile']));
  });
});
