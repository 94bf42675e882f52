/**
 * The `sbom` input's documents, each checked before anyone writes it: CycloneDX through the
 * library's schema validator, SPDX through this action's SPDX 2.3 check. An invalid document
 * is a bug and fails with the reasons (GuardError `SBOM_INVALID`).
 */
import type { Decision, ScanReport } from '../model.js';
import { buildCycloneDx, type CycloneDxOptions } from './cyclonedx.js';
import { buildSpdx, type SpdxOptions } from './spdx.js';
import { assertValidSpdx } from './spdx-check.js';
import { assertValidCycloneDx } from './validate.js';

export const SBOM_FORMATS = ['cyclonedx', 'spdx'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];

/** File name suffixes: `sbom.cdx.json`, `sbom.spdx.json` (the names tools recognise). */
export const SBOM_EXTENSIONS: Readonly<Record<SbomFormat, string>> = {
  cyclonedx: '.cdx.json',
  spdx: '.spdx.json',
};

export interface RenderedSbom {
  readonly format: SbomFormat;
  readonly json: string;
  readonly packageCount: number;
}

export interface RenderedSboms {
  readonly documents: readonly RenderedSbom[];
  readonly warnings: readonly string[];
}

export type SbomRenderOptions = CycloneDxOptions & SpdxOptions;

/** Build and check the requested formats, in the order given. */
export async function renderSboms(
  reports: readonly ScanReport[],
  decisions: readonly Decision[],
  formats: readonly SbomFormat[],
  opts: SbomRenderOptions,
): Promise<RenderedSboms> {
  if (reports.length === 0) {
    return {
      documents: [],
      warnings: ['no SBOM written: there is no scan report to build it from'],
    };
  }
  const documents: RenderedSbom[] = [];
  const warnings = new Set<string>();
  for (const format of new Set(formats)) {
    if (format === 'cyclonedx') {
      const doc = buildCycloneDx(reports, decisions, opts);
      await assertValidCycloneDx(doc.json, opts.specVersion ?? '1.6');
      documents.push({ format, json: doc.json, packageCount: doc.packageCount });
      doc.warnings.forEach((w) => warnings.add(w));
    } else {
      const doc = buildSpdx(reports, opts);
      assertValidSpdx(doc.json);
      documents.push({ format, json: doc.json, packageCount: doc.packageCount });
      doc.warnings.forEach((w) => warnings.add(w));
    }
  }
  return { documents, warnings: [...warnings] };
}

const KNOWN_SUFFIXES = ['.cdx.json', '.spdx.json', '.json'];

/**
 * Where one format's document goes. No `sbom-file`: `<outputDir>/sbom.cdx.json` etc.; one
 * format: the file as given; two formats: its extension replaced per format, so
 * `out/bom.json` gives `out/bom.cdx.json` and `out/bom.spdx.json`.
 */
export function sbomFilePath(
  format: SbomFormat,
  formatCount: number,
  outputDir: string,
  file?: string,
): string {
  if (file === undefined || file === '')
    return `${outputDir.replace(/\/+$/, '')}/sbom${SBOM_EXTENSIONS[format]}`;
  if (formatCount <= 1) return file;
  const suffix = KNOWN_SUFFIXES.find((s) => file.toLowerCase().endsWith(s));
  return `${suffix ? file.slice(0, -suffix.length) : file}${SBOM_EXTENSIONS[format]}`;
}
