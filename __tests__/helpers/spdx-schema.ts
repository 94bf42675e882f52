/** The official SPDX 2.3 JSON schema from the corpus, compiled once with ajv. */
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { corpusPath } from './corpus.js';

let compiled: ValidateFunction | undefined;

/** Schema errors as `path: message`; empty when the document is valid. */
export function spdxSchemaErrors(doc: unknown): string[] {
  if (!compiled) {
    const schema = JSON.parse(
      readFileSync(corpusPath('schemas', 'spdx-2.3.schema.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    compiled = ajv.compile(schema);
  }
  return compiled(doc)
    ? []
    : (compiled.errors ?? []).map((e) => `${e.instancePath || '/'}: ${e.message ?? ''}`);
}
