/**
 * File I/O the phases need: globs for `trivy-reports`, reads that name the file when they
 * fail, and writes that never leave a half-written file behind (write to a temp name, rename).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, GuardError, InputFileError } from './errors.js';
import { globToRegExp } from './policy/match.js';

const MAGIC = /[*?[]/;

/** Expand one pattern relative to `cwd`; plain paths are returned when they exist. */
async function expand(pattern: string, cwd: string): Promise<string[]> {
  const abs = path.resolve(cwd, pattern);
  if (!MAGIC.test(pattern)) {
    const s = await stat(abs).catch(() => undefined);
    if (!s) return [];
    if (s.isDirectory()) return expand(path.join(pattern, '**/*.json'), cwd);
    return [abs];
  }
  // Walk from the longest literal directory prefix.
  const parts = abs.split(path.sep);
  const firstMagic = parts.findIndex((p) => MAGIC.test(p));
  const base = parts.slice(0, firstMagic).join(path.sep) || path.sep;
  const re = globToRegExp(parts.slice(firstMagic).join('/'));
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') await walk(p);
      } else if (re.test(path.relative(base, p).split(path.sep).join('/'))) {
        out.push(p);
      }
    }
  };
  await walk(base);
  return out.sort();
}

/**
 * Every file the patterns match, deduplicated, in pattern order. A pattern that matches
 * nothing is an error naming `input`: a typo must not pass as "no findings".
 */
export async function expandGlobs(
  patterns: readonly string[],
  cwd: string,
  input: string,
): Promise<string[]> {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pattern of patterns) {
    const files = await expand(pattern, cwd);
    if (files.length === 0) {
      throw new ConfigError(
        input,
        `no file matches "${pattern}" (relative to ${cwd})`,
        'check the path or glob',
      );
    }
    for (const f of files) {
      if (!seen.has(f)) {
        seen.add(f);
        out.push(f);
      }
    }
  }
  return out;
}

/**
 * A failed read as an error naming the file and saying why in words (`does not exist`, `is a
 * directory`), shared by every reader of user-supplied files.
 */
export function readFailure(
  code: 'REPORT_INVALID' | 'POLICY_FILE_INVALID',
  file: string,
  what: string,
  err: unknown,
): InputFileError {
  const errno = (err as NodeJS.ErrnoException).code;
  const why =
    errno === 'ENOENT'
      ? 'does not exist'
      : errno === 'EISDIR'
        ? 'is a directory'
        : `cannot be read (${errno ?? String(err)})`;
  return new InputFileError(code, file, `the ${what} file ${why}`, { cause: err });
}

export async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    // Reports are streamed by trivy/read-report.ts; what is read whole here are policy files.
    throw readFailure('POLICY_FILE_INVALID', file, what, err);
  }
}

/** Write atomically: a reader sees the old file or the whole new one, never a part. */
export async function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw new GuardError(
      'OUTPUT_WRITE_FAILED',
      `${file}: cannot write (${(err as Error).message})`,
      {
        cause: err,
        remedy: 'check that the directory is writable',
      },
    );
  }
}

export async function exists(file: string): Promise<boolean> {
  return (await stat(file).catch(() => undefined)) !== undefined;
}

/**
 * Every file an input names must exist before any work starts: a typo in `ignore-file` should
 * not cost a ten-minute scan first. Each missing one is a ConfigError naming its input.
 */
export async function checkInputFiles(
  files: readonly (readonly [input: string, file: string | undefined])[],
): Promise<void> {
  for (const [input, file] of files) {
    if (file !== undefined && !(await exists(file))) {
      throw new ConfigError(
        input,
        `${file} does not exist`,
        'check the path (relative paths start at the workspace)',
      );
    }
  }
}
