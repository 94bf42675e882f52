/**
 * The scan phase composed: install (verified) → restore the DB cache → download the DB once
 * (unless today's copy was restored) → one Trivy run per target → save the DB cache. A good DB
 * is saved even when a scan fails, so the next run does not pay for the download again (a
 * failed download is never saved); the gate runs later, so a failing gate never loses it. main.ts can call this one
 * function, or the pieces it is made of.
 */
import path from 'node:path';
import type { TrivyConfig } from '../config.js';
import type { Exec } from '../exec.js';
import { DEFAULT_TRIVY_TIMEOUT } from './args.js';
import {
  dbCacheDir,
  dbIsFresh,
  prepareDb,
  restoreDbCache,
  saveDbCache,
  type CacheLogger,
  type CacheStore,
  type DbCacheState,
} from './cache.js';
import { trivyChildEnv } from './env.js';
import { installTrivy, type InstallDeps, type InstalledTrivy } from './install.js';
import { scanTargets, type RegistryAuth, type ScanLogger, type ScanResult } from './run.js';
import { needsVulnDb, type ScanTarget } from './targets.js';

/** The Trivy inputs, plus what the run needs from the runner. */
export interface TrivyPhaseOptions extends TrivyConfig {
  readonly targets: readonly ScanTarget[];
  readonly workspace: string;
  /** $RUNNER_TEMP (or the CLI's temp dir). */
  readonly tempDir: string;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
  /** The runner's environment, read once by the entry; filtered by trivyChildEnv here. */
  readonly childEnv: Readonly<Record<string, string | undefined>>;
  /** The PATH searched for an installed trivy; '' to always install. */
  readonly pathEnv: string;
  /** Trivy processes at once (`os.availableParallelism()`). */
  readonly concurrency: number;
  readonly registryAuth?: RegistryAuth;
  /** Today, for the cache key. */
  readonly now: Date;
  /** Trivy's --timeout per run. @default '15m' */
  readonly timeout?: string;
  /** Release download location (tests). */
  readonly releaseBaseUrl?: string;
}

export interface TrivyPhaseDeps {
  readonly exec: Exec;
  readonly install: InstallDeps;
  readonly cache: CacheStore;
  readonly logger: ScanLogger & CacheLogger;
  readonly sleep: (ms: number) => Promise<void>;
}

export interface TrivyPhaseResult {
  readonly trivy: InstalledTrivy;
  readonly results: ScanResult[];
  readonly cache: DbCacheState;
}

/** Where this phase keeps per-run cache dirs and the JSON reports (under the temp dir). */
export function trivyWorkDir(tempDir: string): string {
  return path.join(tempDir, 'supply-chain-guard', 'trivy');
}

export async function runTrivyPhase(
  opts: TrivyPhaseOptions,
  deps: TrivyPhaseDeps,
): Promise<TrivyPhaseResult> {
  const childEnv = trivyChildEnv(opts.childEnv);
  const trivy = await installTrivy(
    {
      ...(opts.version !== undefined && { version: opts.version }),
      platform: opts.platform,
      arch: opts.arch,
      allowUnsigned: opts.allowUnsigned,
      ...(opts.releaseBaseUrl !== undefined && { baseUrl: opts.releaseBaseUrl }),
      pathEnv: opts.pathEnv,
      env: childEnv,
      tempDir: path.join(trivyWorkDir(opts.tempDir), 'download'),
    },
    deps.install,
  );
  const timeout = opts.timeout ?? DEFAULT_TRIVY_TIMEOUT;
  const dir = dbCacheDir(opts.tempDir);
  const cache = await restoreDbCache(
    { enabled: opts.cache, dir, platform: opts.platform, arch: opts.arch, date: opts.now },
    deps,
  );
  const needDb = needsVulnDb(opts.targets);
  // Saved only once the DB is known good: a failed download must not become today's cache.
  let dbReady = needDb && dbIsFresh(cache);
  try {
    if (needDb && !dbReady) {
      await prepareDb(
        {
          trivyPath: trivy.path,
          cacheDir: dir,
          kinds: ['db', 'java-db'],
          dbRepositories: opts.dbRepositories,
          timeout,
          env: childEnv,
        },
        deps,
      );
      dbReady = true;
    }
    const results = await scanTargets(
      opts.targets,
      {
        trivyPath: trivy.path,
        workspace: opts.workspace,
        workDir: trivyWorkDir(opts.tempDir),
        dbCacheDir: dir,
        skipDbUpdate: needDb,
        scanners: opts.scanners,
        ...(opts.configFile !== undefined && { configFile: opts.configFile }),
        timeout,
        concurrency: opts.concurrency,
        env: childEnv,
        ...(opts.registryAuth !== undefined && { registryAuth: opts.registryAuth }),
      },
      deps,
    );
    return { trivy, results, cache };
  } finally {
    if (dbReady) await saveDbCache(cache, deps);
  }
}
