/** Where the shared corpus lives, and how corpus suites say they are skipped without it. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

export const CORPUS_DIR = path.resolve(import.meta.dirname, '../../../shared/corpus');
export const HAS_CORPUS = existsSync(CORPUS_DIR);

if (!HAS_CORPUS) {
  console.warn(`corpus suites SKIPPED: ${CORPUS_DIR} is absent (CI has it and runs them)`);
}

export function corpusPath(...parts: string[]): string {
  return path.join(CORPUS_DIR, ...parts);
}

/** Every file under a corpus folder whose name ends with `ext`, sorted, relative paths. */
export function corpusFiles(dir: string, ext = '.json'): string[] {
  if (!HAS_CORPUS) return [];
  const root = corpusPath(dir);
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith(ext)) out.push(path.relative(CORPUS_DIR, p));
    }
  };
  walk(root);
  return out.sort();
}
