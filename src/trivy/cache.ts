/**
 * Trivy's DB between runs and within a run. Between runs: the cache directory under
 * `$RUNNER_TEMP` is restored and saved with @actions/cache under a key that changes daily, so a
 * second run on the same day downloads no DB. Within a run: the DB is downloaded ONCE, before
 * the concurrent scans, so N targets never mean N downloads. A registry that answers
 * TOOMANYREQUESTS is retried a bounded number of times with growing delays, then the error
 * names the `db-repository` input (a mirror is the fix), never a retry storm.
 */
import path from 'node:path';
import { GuardError, errorMessage } from '../errors.js';
import type { Exec } from '../exec.js';
import { buildDbDownloadArgs, durationToMs, type DbKind } from './args.js';
import { neutralize } from './stderr.js';

export const CACHE_KEY_PREFIX = 'supply-chain-guard-trivy-db';
/** Delays before the retries of a rate-limited DB download. */
export const RATE_LIMIT_BACKOFF_MS: readonly number[] = [15_000, 45_000];

/** The cache behind an interface: @actions/cache on a runner, a fake or a directory in tests. */
export interface CacheStore {
  /** Returns the key that matched (the primary or a restore key), or undefined on a miss. */
  restore(paths: string[], primaryKey: string, restoreKeys: string[]): Promise<string | undefined>;
  save(paths: string[], key: string): Promise<void>;
}

export interface CacheLogger {
  info(message: string): void;
  warning(message: string): void;
}

/** The DB cache directory: under the runner's temp dir, never in the workspace. */
export function dbCacheDir(tempDir: string): string {
  return path.join(tempDir, 'supply-chain-guard', 'trivy-cache');
}

function day(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** `supply-chain-guard-trivy-db-linux-x64-2026-11-26`; yesterday's entry is a restore key. */
export function dbCacheKeys(opts: { platform: string; arch: string; date: Date }): {
  primary: string;
  restore: string[];
} {
  const prefix = `${CACHE_KEY_PREFIX}-${opts.platform}-${opts.arch}-`;
  return { primary: `${prefix}${day(opts.date)}`, restore: [prefix] };
}

export type CacheHit = 'exact' | 'partial' | 'miss' | 'disabled' | 'unavailable';

export interface DbCacheState {
  readonly dir: string;
  readonly key: string;
  readonly hit: CacheHit;
}

/**
 * Restores the DB cache. A cache service failure is a warning, never a failed run: the scans
 * then download the DB themselves.
 */
export async function restoreDbCache(
  opts: { enabled: boolean; dir: string; platform: string; arch: string; date: Date },
  deps: { cache: CacheStore; logger: CacheLogger },
): Promise<DbCacheState> {
  const keys = dbCacheKeys(opts);
  if (!opts.enabled) return { dir: opts.dir, key: keys.primary, hit: 'disabled' };
  try {
    const matched = await deps.cache.restore([opts.dir], keys.primary, keys.restore);
    const hit: CacheHit =
      matched === undefined ? 'miss' : matched === keys.primary ? 'exact' : 'partial';
    deps.logger.info(
      hit === 'miss'
        ? `Trivy DB cache: no entry for ${keys.primary}; the DB will be downloaded`
        : `Trivy DB cache: restored ${matched}${hit === 'partial' ? ' (older; the DB will be refreshed)' : ''}`,
    );
    return { dir: opts.dir, key: keys.primary, hit };
  } catch (err) {
    deps.logger.warning(`Trivy DB cache could not be restored: ${errorMessage(err)}`);
    return { dir: opts.dir, key: keys.primary, hit: 'unavailable' };
  }
}

/** Saves the DB cache unless today's entry was restored. Call it before the gate decides. */
export async function saveDbCache(
  state: DbCacheState,
  deps: { cache: CacheStore; logger: CacheLogger },
): Promise<void> {
  if (state.hit === 'exact' || state.hit === 'disabled') return;
  try {
    await deps.cache.save([state.dir], state.key);
    deps.logger.info(`Trivy DB cache: saved ${state.key}`);
  } catch (err) {
    deps.logger.warning(`Trivy DB cache could not be saved: ${errorMessage(err)}`);
  }
}

/** Whether the DB needs downloading before the scans: not when today's copy was restored. */
export function dbIsFresh(state: DbCacheState): boolean {
  return state.hit === 'exact';
}

/**
 * @actions/cache behind {@link CacheStore}; imported lazily so the CLI never loads it. That
 * library reports most failures as a warning and a return value (-1) rather than by throwing;
 * this adapter throws instead, so the log never claims a DB cache was saved when it was not.
 */
export function actionsCacheStore(): CacheStore {
  const load = async () => {
    const cache = await import('@actions/cache');
    if (!cache.isFeatureAvailable()) {
      throw new Error('the cache service is not available to this job');
    }
    return cache;
  };
  return {
    async restore(paths, primaryKey, restoreKeys) {
      const cache = await load();
      return cache.restoreCache(paths, primaryKey, restoreKeys);
    },
    async save(paths, key) {
      const cache = await load();
      if ((await cache.saveCache(paths, key)) === -1) {
        throw new Error('the cache service did not store it (see the message above)');
      }
    },
  };
}

const RATE_LIMIT_RE = /TOOMANYREQUESTS|429 Too Many Requests|rate limit/i;

/** Trivy's stderr shows the registry refused for too many requests. */
export function isRateLimited(stderr: readonly string[]): boolean {
  return stderr.some((line) => RATE_LIMIT_RE.test(line));
}

export interface PrepareDbOptions {
  readonly trivyPath: string;
  readonly cacheDir: string;
  readonly kinds: readonly DbKind[];
  readonly dbRepositories: readonly string[];
  readonly timeout: string;
  readonly env: Readonly<Record<string, string>>;
  /** Override {@link RATE_LIMIT_BACKOFF_MS} (tests). */
  readonly backoffMs?: readonly number[];
}

export interface PrepareDbDeps {
  readonly exec: Exec;
  readonly sleep: (ms: number) => Promise<void>;
  readonly logger: CacheLogger & { group(title: string, lines: readonly string[]): void };
}

/** Downloads the vulnerability DB (and Java DB) once, with bounded back-off on rate limits. */
export async function prepareDb(opts: PrepareDbOptions, deps: PrepareDbDeps): Promise<void> {
  const backoff = opts.backoffMs ?? RATE_LIMIT_BACKOFF_MS;
  for (const kind of opts.kinds) {
    const args = buildDbDownloadArgs(kind, opts);
    const killAfter = (durationToMs(opts.timeout) ?? 900_000) + 60_000;
    for (let attempt = 0; ; attempt++) {
      const result = await deps
        .exec({ command: opts.trivyPath, args, env: opts.env, timeoutMs: killAfter })
        .catch((err: unknown) => {
          throw new GuardError('TRIVY_SCAN_FAILED', `could not start ${opts.trivyPath}`, {
            cause: err,
          });
        });
      const lines = result.stderrTail.map(neutralize);
      deps.logger.group(
        `trivy ${kind} download (${(result.durationMs / 1000).toFixed(1)} s)`,
        lines,
      );
      if (result.exitCode === 0) break;
      const limited = isRateLimited(lines);
      const delay = backoff[attempt];
      if (limited && delay !== undefined) {
        deps.logger.warning(
          `Trivy ${kind} download was rate limited (TOOMANYREQUESTS); retrying in ${Math.round(delay / 1000)} s`,
        );
        await deps.sleep(delay);
        continue;
      }
      const from =
        opts.dbRepositories.length > 0
          ? opts.dbRepositories.join(', ')
          : "Trivy's default registry";
      throw new GuardError(
        'TRIVY_SCAN_FAILED',
        limited
          ? `the Trivy ${kind} download from ${from} was rate limited (TOOMANYREQUESTS) after ${attempt + 1} attempts`
          : `the Trivy ${kind} download failed (${exitDescription(result)}):\n${lines.join('\n')}`,
        {
          remedy: limited
            ? 'set the db-repository input to a mirror (e.g. public.ecr.aws/aquasecurity/trivy-db:2), keep cache: true so one download serves the day, or retry later'
            : 'check network access to the DB registry, or set db-repository to a reachable mirror',
        },
      );
    }
  }
}

export function exitDescription(result: {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
}): string {
  if (result.timedOut) return 'timed out and was killed';
  if (result.exitCode === null) return `killed by ${result.signal ?? 'a signal'}`;
  return `exit code ${result.exitCode}`;
}
