// Regenerates the inputs/outputs tables in README.md from action.yml (npm run docs).
// `--check` fails instead of writing when README is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { parse } from 'yaml';

const action = parse(readFileSync('action.yml', 'utf8'));
const cell = (s) =>
  String(s ?? '')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\|/g, '\\|');
const inputs = [
  '| input | description | default |',
  '|---|---|---|',
  ...Object.entries(action.inputs).map(
    ([k, v]) =>
      `| \`${k}\` | ${cell(v.description)} | ${v.default === '' ? '' : `\`${cell(v.default)}\``} |`,
  ),
].join('\n');
const outputs = [
  '| output | description |',
  '|---|---|',
  ...Object.entries(action.outputs).map(([k, v]) => `| \`${k}\` | ${cell(v.description)} |`),
].join('\n');

const readme = readFileSync('README.md', 'utf8');
const replace = (text, name, body) =>
  text.replace(
    new RegExp(`(<!-- ${name}:start -->)[\\s\\S]*?(<!-- ${name}:end -->)`),
    `$1\n${body}\n$2`,
  );
const next = replace(replace(readme, 'inputs', inputs), 'outputs', outputs);
if (process.argv.includes('--check')) {
  if (next !== readme) {
    console.error('README.md inputs/outputs tables differ from action.yml: run `npm run docs`.');
    process.exit(1);
  }
} else {
  writeFileSync('README.md', next);
}
