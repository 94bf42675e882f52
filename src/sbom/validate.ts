/**
 * CycloneDX validation through the CycloneDX library's own JSON validator (ajv with the
 * official schemas), made to work inside the action's single-file ESM bundle.
 *
 * The library finds its schema files from `__dirname` when its module loads, and reads them
 * from disk when a validator is first used. A bundle has neither that variable nor the files.
 * So the schemas this action writes are compiled into the bundle (imported as JSON), written
 * to a temporary `res/schema/` directory only while a validator compiles, and the library is
 * loaded lazily with a global `__dirname` that points beside it. Unbundled, the library's own
 * `__dirname` shadows the global and its own files are used; the validator is the same.
 *
 * Bundling needs `external: ['libxmljs2', 'xmlbuilder2']`: the library's optional XML
 * plug-ins, which it probes inside try/catch and this action never uses.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GuardError, errorMessage } from '../errors.js';
import type { CycloneDxVersion } from './cyclonedx.js';
// The package's `exports` hide its `res/` folder, so these paths go around them.
import bom15 from '../../node_modules/@cyclonedx/cyclonedx-library/res/schema/bom-1.5.SNAPSHOT.schema.json' with { type: 'json' };
import bom16 from '../../node_modules/@cyclonedx/cyclonedx-library/res/schema/bom-1.6.SNAPSHOT.schema.json' with { type: 'json' };
import cryptoDefs from '../../node_modules/@cyclonedx/cyclonedx-library/res/schema/cryptography-defs.SNAPSHOT.schema.json' with { type: 'json' };
import jsf from '../../node_modules/@cyclonedx/cyclonedx-library/res/schema/jsf-0.82.SNAPSHOT.schema.json' with { type: 'json' };
import spdx from '../../node_modules/@cyclonedx/cyclonedx-library/res/schema/spdx.SNAPSHOT.schema.json' with { type: 'json' };
import { isJsonObject, type JsonObject } from '../json.js';

/** The schema files the library reads for 1.5 and 1.6 documents (it loads all three refs). */
const SCHEMA_FILES: Readonly<Record<string, unknown>> = {
  'bom-1.5.SNAPSHOT.schema.json': bom15,
  'bom-1.6.SNAPSHOT.schema.json': bom16,
  'cryptography-defs.SNAPSHOT.schema.json': cryptoDefs,
  'jsf-0.82.SNAPSHOT.schema.json': jsf,
  'spdx.SNAPSHOT.schema.json': spdx,
};

/** At most this many schema errors are quoted in a failure message. */
const MAX_REPORTED_ERRORS = 20;

interface LibraryValidator {
  validate(data: string): Promise<unknown>;
}
type ValidationModule = typeof import('@cyclonedx/cyclonedx-library/Validation');

let loading: Promise<ValidationModule> | undefined;
const validators = new Map<CycloneDxVersion, LibraryValidator>();

/**
 * A private temporary directory (mode 0700) that exists only while a validator compiles:
 * `<root>/res/schema/` holds the schema files, `<root>/lib` is the stand-in `__dirname`.
 * Its path is fixed when the library loads; a later compile recreates it, and fails rather
 * than use it if something else created that path in between.
 */
let schemaRoot: string | undefined;
let rootExists = false;

function stagingRoot(): string {
  if (schemaRoot === undefined) {
    schemaRoot = mkdtempSync(path.join(tmpdir(), 'scg-cyclonedx-'));
    rootExists = true;
  }
  return schemaRoot;
}

async function withSchemaFiles<T>(fn: () => Promise<T>): Promise<T> {
  const root = stagingRoot();
  if (!rootExists) mkdirSync(root, { mode: 0o700 });
  rootExists = true;
  try {
    const dir = path.join(root, 'res', 'schema');
    mkdirSync(dir, { recursive: true });
    for (const [name, schema] of Object.entries(SCHEMA_FILES)) {
      writeFileSync(path.join(dir, name), JSON.stringify(schema));
    }
    return await fn();
  } finally {
    rmSync(root, { recursive: true, force: true });
    rootExists = false;
  }
}

async function loadLibrary(): Promise<ValidationModule> {
  const g = globalThis as { __dirname?: string };
  const previous = g.__dirname;
  if (previous === undefined) g.__dirname = path.join(stagingRoot(), 'lib');
  try {
    return await import('@cyclonedx/cyclonedx-library/Validation');
  } finally {
    // The library resolved its paths while loading; nothing else should see the global.
    if (previous === undefined) delete g.__dirname;
  }
}

async function validatorFor(version: CycloneDxVersion): Promise<LibraryValidator> {
  const cached = validators.get(version);
  if (cached) return cached;
  loading ??= loadLibrary();
  const lib = await loading;
  const { Version } = await import('@cyclonedx/cyclonedx-library/Spec');
  const v = new lib.JsonValidator(version === '1.5' ? Version.v1dot5 : Version.v1dot6);
  // The first validate() reads the schema files and compiles them; later ones need no files.
  await withSchemaFiles(() => v.validate('{}'));
  validators.set(version, v);
  return v;
}

function describeSchemaError(e: unknown): string {
  if (typeof e !== 'object' || e === null) return String(e);
  const { instancePath, message, params } = e as {
    instancePath?: unknown;
    message?: unknown;
    params?: unknown;
  };
  const where = typeof instancePath === 'string' && instancePath ? instancePath : '/';
  const extra =
    params && typeof params === 'object' && Object.keys(params).length > 0
      ? ` ${JSON.stringify(params)}`
      : '';
  return `${where}: ${typeof message === 'string' ? message : 'invalid'}${extra}`;
}

/**
 * Top-level arrays the schema declares `uniqueItems`. ajv checks that by comparing every pair
 * (O(n²) deep comparisons: 10 s for 5,000 components), so large documents are validated in
 * slices of these arrays, and their uniqueness is checked here in one pass instead.
 */
const SLICED = ['components', 'dependencies', 'vulnerabilities'] as const;
const SLICE = 100;

/** Duplicate items of the sliced arrays (exact JSON equality, as `uniqueItems` means). */
function duplicateErrors(doc: JsonObject): string[] {
  const errors: string[] = [];
  for (const key of SLICED) {
    const items = doc[key];
    if (!Array.isArray(items)) continue;
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const text = JSON.stringify(item);
      const first = seen.get(text);
      if (first === undefined) seen.set(text, i);
      else
        errors.push(
          `/${key}: must NOT have duplicate items (items ## ${first} and ${i} are identical)`,
        );
    });
  }
  return errors;
}

/** Shift `/components/3/...` in slice `n` back to its place in the whole document. */
function shiftPath(error: unknown, offsets: Readonly<Record<string, number>>): unknown {
  if (!isJsonObject(error) || typeof error['instancePath'] !== 'string') return error;
  const path = error['instancePath'].replace(
    /^\/(components|dependencies|vulnerabilities)\/(\d+)/,
    (_m, key: string, index: string) => `/${key}/${Number(index) + (offsets[key] ?? 0)}`,
  );
  return { ...error, instancePath: path };
}

async function rawErrors(validator: LibraryValidator, json: string): Promise<unknown[]> {
  const errors = await validator.validate(json);
  if (errors === null || errors === undefined) return [];
  return Array.isArray(errors) ? errors : [errors];
}

/** Schema errors of a CycloneDX JSON document; empty when it is valid. */
export async function cycloneDxErrors(
  json: string,
  version: CycloneDxVersion,
): Promise<readonly string[]> {
  const validator = await validatorFor(version);
  let doc: unknown;
  try {
    doc = JSON.parse(json);
  } catch (err) {
    return [`not JSON: ${errorMessage(err)}`];
  }
  const longest = isJsonObject(doc)
    ? Math.max(0, ...SLICED.map((k) => (Array.isArray(doc[k]) ? (doc[k] as unknown[]).length : 0)))
    : 0;
  if (!isJsonObject(doc) || longest <= SLICE) {
    return (await rawErrors(validator, json)).map(describeSchemaError);
  }
  const errors: string[] = duplicateErrors(doc);
  for (let start = 0; start < longest; start += SLICE) {
    const slice: JsonObject = { ...doc };
    const offsets: Record<string, number> = {};
    for (const key of SLICED) {
      const items = doc[key];
      if (!Array.isArray(items)) continue;
      // Every slice keeps each array (possibly empty) so that shape errors still show.
      slice[key] = items.slice(start, start + SLICE);
      offsets[key] = start;
    }
    const found = await rawErrors(validator, JSON.stringify(slice));
    for (const e of found) {
      const text = describeSchemaError(shiftPath(e, offsets));
      // Errors outside the sliced arrays repeat in every slice: report them once.
      if (!errors.includes(text)) errors.push(text);
    }
  }
  return errors;
}

/**
 * Fail when the document does not validate: an invalid SBOM is this action's bug, and it
 * must not be written, uploaded or attested.
 */
export async function assertValidCycloneDx(
  json: string,
  version: CycloneDxVersion,
  name = 'CycloneDX SBOM',
): Promise<void> {
  const errors = await cycloneDxErrors(json, version);
  if (errors.length === 0) return;
  const shown = errors.slice(0, MAX_REPORTED_ERRORS);
  const more = errors.length > shown.length ? ` (and ${errors.length - shown.length} more)` : '';
  throw new GuardError(
    'SBOM_INVALID',
    `${name} does not validate against the CycloneDX ${version} schema: ${shown.join('; ')}${more}`,
    { remedy: 'this is a bug in supply-chain-guard: please report it with the Trivy report' },
  );
}
