/**
 * Runs the plan: exactly ONE Trivy process per target, however many outputs are wanted (every
 * render is made from that one JSON report). Targets run concurrently, bounded by the runner's
 * cores. Each run gets its own cache directory: Trivy's BoltDB files take an exclusive lock, so
 * concurrent processes sharing one directory would block each other or fail with "cache may be
 * in use by another process". The first run that needs the DB uses the prepared directory; the
 * others get a copy of its DB. stderr is shown per target in a collapsed group once the target
 * is done (groups cannot interleave), and a failure names the target, the exit code and the
 * last stderr lines. Registry credentials reach Trivy by environment only, and are redacted
 * from anything logged.
 */
import { constants as fsConstants } from 'node:fs';
import { cp, mkdir, open, readdir, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { GuardError, errorMessage } from '../errors.js';
import type { Exec, ExecResult } from '../exec.js';
import { exists } from '../files.js';
import { buildScanArgs, durationToMs, DEFAULT_TRIVY_TIMEOUT } from './args.js';
import { exitDescription, isRateLimited } from './cache.js';
import { neutralize, redactor } from './stderr.js';
import { describeTarget, type ScanTarget } from './targets.js';

/** A run gets this long past Trivy's own `--timeout` before we kill it. */
const KILL_GRACE_MS = 60_000;
/** DB directories inside a Trivy cache dir that a run reads. */
const DB_DIRS = ['db', 'java-db'] as const;

export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
}

export interface ScanOptions {
  readonly trivyPath: string;
  /** Working directory of every run: paths in reports are relative to it. */
  readonly workspace: string;
  /** Per-run cache dirs and reports go here (under $RUNNER_TEMP). */
  readonly workDir: string;
  /** The cache dir holding the prepared DB (cache.ts). */
  readonly dbCacheDir: string;
  /** The DB was prepared: runs pass --skip-db-update. */
  readonly skipDbUpdate: boolean;
  readonly scanners: readonly string[];
  readonly configFile?: string;
  /** Trivy's --timeout per run. @default '15m' */
  readonly timeout?: string;
  /** At most this many Trivy processes at once (the runner's cores). */
  readonly concurrency: number;
  /** The child environment (the runner's, read once by the entry point). */
  readonly env: Readonly<Record<string, string>>;
  /** Kill a run after this long. @default Trivy's timeout + 60 s */
  readonly killAfterMs?: number;
  /** For image targets; passed as TRIVY_USERNAME / TRIVY_PASSWORD. */
  readonly registryAuth?: RegistryAuth;
}

export interface ScanLogger {
  info(message: string): void;
  /** A collapsed group (core.group on a runner) holding these lines. */
  group(title: string, lines: readonly string[]): void;
}

export interface ScanDeps {
  readonly exec: Exec;
  readonly logger: ScanLogger;
}

export interface ScanResult {
  readonly target: ScanTarget;
  /**
   * The JSON report Trivy wrote (under workDir), for readTrivyReport, which streams it: a large
   * image report is never held whole in memory here. Kept for artifacts too.
   */
  readonly reportFile: string;
  readonly bytes: number;
  readonly durationMs: number;
}

interface RunPlan {
  readonly target: ScanTarget;
  readonly cacheDir: string;
  /** Copy the prepared DB into cacheDir before running. */
  readonly seedDb: boolean;
  readonly reportFile: string;
}

/** Which run uses which cache dir. Pure; exported for tests. */
export function assignCacheDirs(
  targets: readonly ScanTarget[],
  opts: Pick<ScanOptions, 'workDir' | 'dbCacheDir'>,
): RunPlan[] {
  let sharedTaken = false;
  return targets.map((target) => {
    const reportFile = path.join(opts.workDir, 'reports', `${target.id}.json`);
    const ownDir = path.join(opts.workDir, 'cache', target.id);
    if (target.kind === 'config') return { target, cacheDir: ownDir, seedDb: false, reportFile };
    if (!sharedTaken) {
      sharedTaken = true;
      return { target, cacheDir: opts.dbCacheDir, seedDb: false, reportFile };
    }
    return { target, cacheDir: ownDir, seedDb: true, reportFile };
  });
}

/** The child environment: credentials only for image runs, and only by env. */
export function runEnv(
  target: ScanTarget,
  base: Readonly<Record<string, string>>,
  auth: RegistryAuth | undefined,
): Record<string, string> {
  const env: Record<string, string> = { ...base };
  delete env.TRIVY_USERNAME;
  delete env.TRIVY_PASSWORD;
  if (auth && target.kind === 'image') {
    env.TRIVY_USERNAME = auth.username;
    env.TRIVY_PASSWORD = auth.password;
  }
  return env;
}

const TFVARS_RE = /^(?:terraform\.tfvars|[^/]+\.auto\.tfvars)(?:\.json)?$/;

/**
 * The variable files Terraform itself would load for a directory: `terraform.tfvars[.json]`,
 * then `*.auto.tfvars[.json]` in lexical order. Trivy loads none unless told (`--tf-vars`), so
 * without this a scan would evaluate other values than `terraform plan` does.
 */
export async function terraformVarFiles(workspace: string, target: string): Promise<string[]> {
  const names = await readdir(path.resolve(workspace, target)).catch(() => [] as string[]);
  const matching = names.filter((n) => TFVARS_RE.test(n));
  const rank = (n: string) => (n.startsWith('terraform.tfvars') ? 0 : 1);
  return matching
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => path.join(target, n));
}

async function seed(plan: RunPlan, dbCacheDir: string): Promise<void> {
  await rm(plan.cacheDir, { recursive: true, force: true });
  await mkdir(plan.cacheDir, { recursive: true });
  if (!plan.seedDb) return;
  for (const dir of DB_DIRS) {
    const from = path.join(dbCacheDir, dir);
    if (await exists(from)) {
      // A reflink where the filesystem offers one; a plain copy otherwise.
      await cp(from, path.join(plan.cacheDir, dir), {
        recursive: true,
        mode: fsConstants.COPYFILE_FICLONE,
      });
    }
  }
}

class RunFailure extends Error {
  constructor(
    readonly target: ScanTarget,
    message: string,
    readonly stderr: readonly string[],
    readonly rateLimited: boolean,
  ) {
    super(message);
  }
}

async function runOne(plan: RunPlan, opts: ScanOptions, deps: ScanDeps): Promise<ScanResult> {
  const { target } = plan;
  const name = describeTarget(target);
  const redact = redactor(opts.registryAuth ? [opts.registryAuth.password] : []);
  const timeout = opts.timeout ?? DEFAULT_TRIVY_TIMEOUT;
  try {
    if (plan.cacheDir !== opts.dbCacheDir) await seed(plan, opts.dbCacheDir);
    await mkdir(path.dirname(plan.reportFile), { recursive: true });
    await rm(plan.reportFile, { force: true });
  } catch (err) {
    throw new RunFailure(
      target,
      `${name}: could not prepare its cache and report directories: ${errorMessage(err)}`,
      [],
      false,
    );
  }
  const tfVars =
    target.kind === 'config' ? await terraformVarFiles(opts.workspace, target.path) : [];
  const args = buildScanArgs(target, {
    ...(tfVars.length > 0 && { tfVars }),
    scanners: opts.scanners,
    cacheDir: plan.cacheDir,
    outputFile: plan.reportFile,
    timeout,
    skipDbUpdate: opts.skipDbUpdate,
    ...(opts.configFile !== undefined && { configFile: opts.configFile }),
  });
  let result: ExecResult;
  try {
    result = await deps.exec({
      command: opts.trivyPath,
      args,
      env: runEnv(target, opts.env, opts.registryAuth),
      cwd: opts.workspace,
      timeoutMs: opts.killAfterMs ?? (durationToMs(timeout) ?? 900_000) + KILL_GRACE_MS,
    });
  } catch (err) {
    throw new RunFailure(
      target,
      `${name}: could not start ${opts.trivyPath}: ${errorMessage(err)}`,
      [],
      false,
    );
  }
  const stderr = result.stderrTail.map((line) => neutralize(redact(line)));
  const title = (extra: string): string =>
    `${name} (${(result.durationMs / 1000).toFixed(1)} s, ${exitDescription(result)}${extra})`;
  if (result.exitCode !== 0) {
    deps.logger.group(title(''), stderr);
    throw new RunFailure(
      target,
      `${name} failed (${exitDescription(result)})`,
      stderr,
      isRateLimited(stderr),
    );
  }
  const head = await sniff(plan.reportFile);
  if (head === undefined || !head.text.trimStart().startsWith('{')) {
    deps.logger.group(title(''), stderr);
    throw new RunFailure(
      target,
      `${name} exited 0 but did not write a JSON report to ${plan.reportFile}${head === undefined || head.text === '' ? '' : ` (it starts with ${JSON.stringify(head.text.slice(0, 40))})`}`,
      stderr,
      false,
    );
  }
  deps.logger.group(title(`, ${formatBytes(head.size)} report`), stderr);
  return { target, reportFile: plan.reportFile, bytes: head.size, durationMs: result.durationMs };
}

/** The first bytes and the size of a report, without reading it whole. */
async function sniff(file: string): Promise<{ text: string; size: number } | undefined> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, 'r');
    const { size } = await handle.stat();
    const buf = Buffer.alloc(Math.min(size, 256));
    const { bytesRead } = await handle.read(buf, 0, buf.length, 0);
    return { text: buf.subarray(0, bytesRead).toString('utf8'), size };
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

function formatBytes(n: number): string {
  return n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/** Runs `items` through `fn` with at most `limit` in flight; results keep the input order. */
async function pool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      const item = items[i] as T;
      try {
        results[i] = { status: 'fulfilled', value: await fn(item) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  const workers = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: workers }, worker));
  return results;
}

function remedyFor(failures: readonly RunFailure[]): string {
  if (failures.some((f) => f.rateLimited)) {
    return failures.some((f) => f.rateLimited && f.target.kind === 'image')
      ? 'the registry rate-limited the pull: set registry-username / registry-password, or scan an image-archive'
      : 'set the db-repository input to a mirror and keep cache: true';
  }
  return 'read the Trivy output above; run the same command locally with the supply-chain-guard CLI to reproduce';
}

/**
 * Scans every target; resolves with one report per target, in plan order. Waits for every run
 * to end before failing, so no Trivy process outlives the step.
 */
export async function scanTargets(
  targets: readonly ScanTarget[],
  opts: ScanOptions,
  deps: ScanDeps,
): Promise<ScanResult[]> {
  const plans = assignCacheDirs(targets, opts);
  const limit = Math.max(1, Math.floor(opts.concurrency));
  deps.logger.info(
    `Scanning ${targets.length} target${targets.length === 1 ? '' : 's'} with up to ${Math.min(limit, targets.length)} Trivy process${limit === 1 ? '' : 'es'} at once`,
  );
  const settled = await pool(plans, limit, (plan) => runOne(plan, opts, deps));
  const failures: RunFailure[] = [];
  const ok: ScanResult[] = [];
  for (const s of settled) {
    if (s.status === 'fulfilled') ok.push(s.value);
    else if (s.reason instanceof RunFailure) failures.push(s.reason);
    else throw s.reason;
  }
  if (failures.length === 0) return ok;
  const detail = failures
    .map((f) =>
      f.stderr.length === 0
        ? f.message
        : `${f.message}; last stderr lines:\n  ${f.stderr.join('\n  ')}`,
    )
    .join('\n');
  const head =
    failures.length === 1 ? '' : `${failures.length} of ${targets.length} Trivy runs failed:\n`;
  throw new GuardError('TRIVY_SCAN_FAILED', `${head}${detail}`, { remedy: remedyFor(failures) });
}
