/**
 * Drives the Trivy stand-in (trivy-stand-in.mjs — a test double, never a real scan): writes its
 * config, gives the env that points it there, and reads back what each process recorded.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const STAND_IN = fileURLToPath(new URL('./trivy-stand-in.mjs', import.meta.url));

export interface StandInTarget {
  report?: string;
  exitCode?: number;
  delayMs?: number;
  stderr?: string[];
  garbage?: boolean;
}

export interface StandInConfig {
  version?: string;
  targets?: Record<string, StandInTarget>;
  db?: { rateLimitedFirst?: number; errorLines?: string[] };
}

export interface Recorded {
  argv: string[];
  env: Record<string, string>;
  /** Names of every variable in the process environment. */
  envNames: string[];
  cwd: string;
  start: number;
  end: number;
  exitCode: number;
  target?: string;
}

export interface Harness {
  readonly root: string;
  readonly workspace: string;
  readonly workDir: string;
  readonly dbCacheDir: string;
  /** Environment for the child: PATH (to find node) and the stand-in's config. */
  readonly env: Record<string, string>;
  configure(config: StandInConfig): Promise<void>;
  /** Writes a small report fixture and returns its path. */
  report(name: string, body: object): Promise<string>;
  records(): Promise<Recorded[]>;
  cleanup(): Promise<void>;
}

export async function createHarness(): Promise<Harness> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'scg-trivy-'));
  const dirs = {
    workspace: path.join(root, 'workspace'),
    workDir: path.join(root, 'work'),
    dbCacheDir: path.join(root, 'trivy-cache'),
    records: path.join(root, 'records'),
    fixtures: path.join(root, 'fixtures'),
  };
  await Promise.all(Object.values(dirs).map((d) => mkdir(d, { recursive: true })));
  const configFile = path.join(root, 'stand-in.json');
  return {
    root,
    workspace: dirs.workspace,
    workDir: dirs.workDir,
    dbCacheDir: dirs.dbCacheDir,
    env: { PATH: process.env.PATH ?? '', TRIVY_STAND_IN_CONFIG: configFile },
    async configure(config) {
      const db = { ...config.db, counterFile: path.join(root, 'db-attempts') };
      await writeFile(configFile, JSON.stringify({ ...config, db, recordDir: dirs.records }));
    },
    async report(name, body) {
      const file = path.join(dirs.fixtures, `${name}.json`);
      await writeFile(file, JSON.stringify(body));
      return file;
    },
    async records() {
      const files = await readdir(dirs.records);
      const all = await Promise.all(
        files.map(
          async (f) => JSON.parse(await readFile(path.join(dirs.records, f), 'utf8')) as Recorded,
        ),
      );
      return all.sort((a, b) => a.start - b.start);
    },
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

/** The largest number of recorded runs that were alive at the same moment. */
export function maxOverlap(runs: readonly Recorded[]): number {
  return Math.max(
    0,
    ...runs.map((r) => runs.filter((o) => o.start <= r.start && r.start < o.end).length),
  );
}

/** A logger that keeps everything, for asserting on what would reach the job log. */
export function memoryLogger(): {
  lines: string[];
  groups: { title: string; lines: readonly string[] }[];
  info(m: string): void;
  warning(m: string): void;
  group(title: string, lines: readonly string[]): void;
  text(): string;
} {
  const lines: string[] = [];
  const groups: { title: string; lines: readonly string[] }[] = [];
  return {
    lines,
    groups,
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    group: (title, ls) => groups.push({ title, lines: ls }),
    text: () => [...lines, ...groups.flatMap((g) => [g.title, ...g.lines])].join('\n'),
  };
}
