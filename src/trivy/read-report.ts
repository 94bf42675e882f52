/**
 * Reads a Trivy JSON report file in chunks through the push parser, so a large report is never
 * held whole in memory. Errors name the file.
 */
import { createReadStream } from 'node:fs';
import { GuardError } from '../errors.js';
import { readFailure } from '../files.js';
import type { ScanReport } from '../model.js';
import { TrivyReportParser } from './parse.js';

const CHUNK = 1 << 20;

export async function readTrivyReport(file: string, source: string): Promise<ScanReport> {
  const parser = new TrivyReportParser(source);
  try {
    for await (const chunk of createReadStream(file, { highWaterMark: CHUNK })) {
      parser.write(chunk as Buffer);
    }
  } catch (err) {
    if (err instanceof GuardError) throw err;
    throw readFailure('REPORT_INVALID', source, 'report', err);
  }
  return parser.end();
}
