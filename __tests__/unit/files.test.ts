import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InputFileError } from '../../src/errors.js';
import { readText } from '../../src/files.js';
import { readTrivyReport } from '../../src/trivy/read-report.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'scg-files-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function caught(p: Promise<unknown>): Promise<InputFileError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputFileError);
  return err as InputFileError;
}

describe('read failures name the file and say why', () => {
  it.each([
    ['a missing file', 'missing.yaml', 'does not exist'],
    ['a directory', '.', 'is a directory'],
  ])('readText on %s', async (_, name, why) => {
    const file = path.join(dir, name);
    const err = await caught(readText(file, 'ignore'));
    expect(err.code).toBe('POLICY_FILE_INVALID');
    expect(err.message).toBe(`${file}: the ignore file ${why}`);
  });

  it.each([
    ['a missing file', 'missing.json', 'does not exist'],
    ['a directory', '.', 'is a directory'],
  ])('readTrivyReport on %s names the source', async (_, name, why) => {
    const err = await caught(readTrivyReport(path.join(dir, name), 'reports/app.json'));
    expect(err.code).toBe('REPORT_INVALID');
    expect(err.message).toBe(`reports/app.json: the report file ${why}`);
  });
});
