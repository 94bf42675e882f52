/**
 * The SBOM phase: documents built from the inventory of the same reports the findings came
 * from, checked, then written atomically. Returns what was written for outputs, signing and
 * the artifact.
 */
import type { Config } from '../config.js';
import { writeFileAtomic } from '../files.js';
import type { Logger } from '../main.js';
import type { Decision, ScanReport } from '../model.js';
import { renderSboms, sbomFilePath, type SbomFormat } from '../sbom/render.js';
import { VERSION } from '../version.js';

export interface WrittenSbom {
  readonly format: SbomFormat;
  readonly file: string;
  readonly json: string;
  readonly packageCount: number;
}

export async function sbomPhase(
  reports: readonly ScanReport[],
  decisions: readonly Decision[],
  config: Config,
  log: Logger,
): Promise<WrittenSbom[]> {
  const { sbom, env } = config;
  const rendered = await renderSboms(reports, decisions, sbom.formats, {
    toolVersion: VERSION,
    ...(env.sourceDateEpoch !== undefined && { sourceDateEpoch: env.sourceDateEpoch }),
    ...(env.repository && {
      subjectName: env.repository,
      namespaceBase: `${env.serverUrl}/${env.repository}`,
    }),
    specVersion: sbom.cyclonedxVersion,
    includeVulnerabilities: sbom.vulnerabilities,
  });
  for (const w of rendered.warnings) log.warning(w);
  const written: WrittenSbom[] = [];
  for (const doc of rendered.documents) {
    const file = sbomFilePath(
      doc.format,
      rendered.documents.length,
      config.reporting.outputDir,
      sbom.file,
    );
    await writeFileAtomic(file, doc.json);
    log.info(`${doc.format} SBOM: ${doc.packageCount} packages → ${file}`);
    written.push({ format: doc.format, file, json: doc.json, packageCount: doc.packageCount });
  }
  return written;
}
