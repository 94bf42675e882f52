/** action.yml, the inputs table in code, the outputs list and the README stay in step. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { INPUT_DEFAULTS, INPUT_NAMES } from '../../src/inputs.js';
import { OUTPUT_NAMES } from '../../src/main.js';

const root = path.resolve(import.meta.dirname, '../..');
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default: string }>;
  outputs: Record<string, { description: string }>;
  runs: { using: string; main: string };
};
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('action.yml', () => {
  it('runs the bundle on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js' });
  });

  it('declares exactly the inputs the code reads, each with a description and the same default', () => {
    expect(Object.keys(action.inputs).sort()).toEqual([...INPUT_NAMES].sort());
    for (const name of INPUT_NAMES) {
      const input = action.inputs[name]!;
      expect(input.description, name).toBeTruthy();
      const expected = name === 'github-token' ? '${{ github.token }}' : INPUT_DEFAULTS[name];
      expect(String(input.default), name).toBe(expected);
    }
  });

  it('declares exactly the outputs the code sets, each with a description', () => {
    expect(Object.keys(action.outputs).sort()).toEqual([...OUTPUT_NAMES].sort());
    for (const name of OUTPUT_NAMES) expect(action.outputs[name]!.description, name).toBeTruthy();
  });

  it('is documented input by input and output by output in the README', () => {
    for (const name of [...INPUT_NAMES, ...OUTPUT_NAMES]) {
      expect(readme, `README lacks ${name}`).toContain(`| \`${name}\` |`);
    }
  });
});
