/**
 * SBOM benchmark hook: build and check both SBOM formats of one (large) report, as the action
 * does before writing them. The lead's benchmark calls `buildAndValidateSbom` on its generated
 * report; `syntheticInventory` makes a report of any size (bench/sbom-run.ts uses it):
 *   npx tsx bench/sbom-run.ts 5000
 */
import type { Package, ScanReport } from '../src/model.js';
import { buildCycloneDx } from '../src/sbom/cyclonedx.js';
import { buildSpdx } from '../src/sbom/spdx.js';
import { assertValidSpdx } from '../src/sbom/spdx-check.js';
import { assertValidCycloneDx } from '../src/sbom/validate.js';

export interface SbomBenchResult {
  readonly packages: number;
  readonly cyclonedxBytes: number;
  readonly spdxBytes: number;
  /** Milliseconds per step. */
  readonly buildCycloneDxMs: number;
  readonly validateCycloneDxMs: number;
  readonly buildSpdxMs: number;
  readonly checkSpdxMs: number;
  readonly totalMs: number;
}

const OPTS = { toolVersion: 'bench', sourceDateEpoch: 1_700_000_000 } as const;

/** Build CycloneDX 1.6 + SPDX 2.3 and check both; throws GuardError SBOM_INVALID if invalid. */
export async function buildAndValidateSbom(report: ScanReport): Promise<SbomBenchResult> {
  const t0 = performance.now();
  const cdx = buildCycloneDx([report], [], OPTS);
  const t1 = performance.now();
  await assertValidCycloneDx(cdx.json, '1.6');
  const t2 = performance.now();
  const spdx = buildSpdx([report], OPTS);
  const t3 = performance.now();
  assertValidSpdx(spdx.json);
  const t4 = performance.now();
  return {
    packages: cdx.packageCount,
    cyclonedxBytes: Buffer.byteLength(cdx.json),
    spdxBytes: Buffer.byteLength(spdx.json),
    buildCycloneDxMs: t1 - t0,
    validateCycloneDxMs: t2 - t1,
    buildSpdxMs: t3 - t2,
    checkSpdxMs: t4 - t3,
    totalMs: t4 - t0,
  };
}

/** A report with `n` npm packages, each depending on up to three earlier ones. */
export function syntheticInventory(n: number): ScanReport {
  const packages: Package[] = [];
  for (let i = 0; i < n; i++) {
    const name = `pkg-${i}`;
    packages.push({
      id: `${name}@1.0.${i % 10}`,
      name,
      version: `1.0.${i % 10}`,
      purl: `pkg:npm/${name}@1.0.${i % 10}`,
      licenses: i % 3 === 0 ? ['MIT'] : i % 3 === 1 ? ['Apache-2.0 OR MIT'] : ['Custom License'],
      dependsOn: [1, 2, 3]
        .filter((k) => i - k * 7 >= 0)
        .map((k) => `pkg-${i - k * 7}@1.0.${(i - k * 7) % 10}`),
      relationship: i < 50 ? 'direct' : 'indirect',
      target: 'package-lock.json',
      resultClass: 'lang-pkgs',
      resultType: 'npm',
    });
  }
  return {
    source: 'synthetic.json',
    schemaVersion: 2,
    trivyVersion: '0.70.0',
    artifact: { name: 'synthetic', type: 'filesystem', repoTags: [], repoDigests: [], diffIds: [] },
    results: [
      {
        artifact: 'synthetic',
        artifactType: 'filesystem',
        target: 'package-lock.json',
        resultClass: 'lang-pkgs',
        resultType: 'npm',
        packageCount: n,
      },
    ],
    findings: [],
    packages,
    hasPackageList: true,
  };
}
