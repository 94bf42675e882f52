/**
 * The I/O collaborators main.ts is handed: Trivy runs, registry and Sigstore clients, GitHub's
 * artifact store and REST API. The entry points build the real ones from the process
 * environment (read once, there); tests build them around local servers and stand-ins.
 */
import os from 'node:os';
import path from 'node:path';
import type { Config, SigningConfig } from './config.js';
import { exec as realExec, type Exec } from './exec.js';
import { createArtifactUploader, type ArtifactUploader } from './github/artifact.js';
import type { Logger } from './main.js';
import type { RegistryClient } from './oci/client.js';
import { registryClient, runSigner, trustedRoot } from './sigstore/setup.js';
import type { RunSigner } from './sigstore/signer.js';
import type { TrustedRoot } from './sigstore/trusted-root.js';
import { actionsCacheStore, type CacheStore } from './trivy/cache.js';
import {
  directoryToolCache,
  loadTrustedRoot,
  toolCacheInstallDeps,
  type ToolCacheLike,
} from './trivy/install.js';
import { runTrivyPhase, type TrivyPhaseResult } from './trivy/phase.js';
import type { ScanTarget } from './trivy/targets.js';
import type { TrustedRootDoc } from './trivy/signature.js';

export interface Scanner {
  /** Install (verified), prepare the DB, and run Trivy once per target. */
  scan(targets: readonly ScanTarget[], config: Config, log: Logger): Promise<TrivyPhaseResult>;
}

export interface Services {
  readonly scanner: Scanner;
  registry(signing: SigningConfig): RegistryClient;
  trustedRoot(signing: SigningConfig): Promise<TrustedRoot>;
  signer(signing: SigningConfig): RunSigner;
  artifacts(): Promise<ArtifactUploader>;
  /** For GitHub's REST API. */
  readonly fetch: typeof fetch;
}

export interface ProcessFacts {
  /** The process environment, read once by the entry point; Trivy's child env is filtered from it. */
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly platform: NodeJS.Platform;
  readonly arch: string;
}

export interface ScannerOptions {
  readonly facts: ProcessFacts;
  /** Outside a runner (the CLI): a plain directory instead of $RUNNER_TOOL_CACHE. */
  readonly toolCache?: ToolCacheLike;
  /** Where Trivy's DB is cached between runs. */
  readonly cacheStore: CacheStore;
  readonly exec?: Exec;
  /** Tests: a fake release server, and the trusted root its bundles were made with. */
  readonly releaseBaseUrl?: string;
  readonly installTrustedRoot?: () => Promise<TrustedRootDoc>;
}

/**
 * Trivy processes at once, at least: image, config and fs scans of one step run side by side
 * even on a 2-core runner (much of a scan waits on the registry and the disk, and a config
 * scan is light). More targets than this wait for the runner's cores.
 */
const MIN_TRIVY_PROCESSES = 3;

/** Trivy's collapsed groups of lines, on the action's logger. */
function scanLogger(log: Logger) {
  return {
    info: (m: string) => log.info(m),
    warning: (m: string) => log.warning(m),
    group: (title: string, lines: readonly string[]) => log.groupLines(title, lines),
  };
}

export function trivyScanner(opts: ScannerOptions): Scanner {
  const exec = opts.exec ?? realExec;
  return {
    async scan(targets, config, log) {
      const logger = scanLogger(log);
      const trustedRootForInstall =
        opts.installTrustedRoot ??
        (() =>
          // Trivy's releases are signed on the public-good instance, whatever `trusted-root` says.
          loadTrustedRoot({
            tufCacheDir: path.join(config.env.tempDir, 'supply-chain-guard', 'tuf'),
          }));
      const install = await toolCacheInstallDeps(
        exec,
        logger,
        trustedRootForInstall,
        opts.toolCache,
      );
      const { signing } = config;
      return runTrivyPhase(
        {
          ...config.trivy,
          targets,
          workspace: config.env.workspace,
          tempDir: config.env.tempDir,
          platform: opts.facts.platform,
          arch: opts.facts.arch,
          childEnv: opts.facts.env,
          pathEnv: opts.facts.env['PATH'] ?? '',
          concurrency: Math.max(MIN_TRIVY_PROCESSES, os.availableParallelism()),
          ...(signing.registryUsername !== undefined &&
            signing.registryPassword !== undefined && {
              registryAuth: {
                username: signing.registryUsername,
                password: signing.registryPassword,
              },
            }),
          now: new Date(),
          ...(opts.releaseBaseUrl !== undefined && { releaseBaseUrl: opts.releaseBaseUrl }),
        },
        {
          exec,
          install,
          cache: opts.cacheStore,
          logger,
          sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
        },
      );
    },
  };
}

/** The docker config directory: $DOCKER_CONFIG, else ~/.docker. */
export function dockerConfigDir(env: Readonly<Record<string, string | undefined>>): string {
  return env['DOCKER_CONFIG'] || path.join(env['HOME'] || os.homedir(), '.docker');
}

/** The real services, for the action (`inActions`) or the CLI. */
export function realServices(
  facts: ProcessFacts,
  config: { inActions: boolean; cliToolCache?: string },
): Services {
  const toolCache = config.cliToolCache ? directoryToolCache(config.cliToolCache) : undefined;
  return {
    scanner: trivyScanner({
      facts,
      ...(toolCache && { toolCache }),
      // Outside Actions there is no cache service: the DB stays in the temp dir.
      cacheStore: config.inActions ? actionsCacheStore() : noCache,
    }),
    registry: (signing) => registryClient(signing, dockerConfigDir(facts.env)),
    trustedRoot: (signing) => trustedRoot(signing),
    signer: (signing) =>
      runSigner(signing, {
        ...(facts.env['ACTIONS_ID_TOKEN_REQUEST_URL'] && {
          idTokenRequestUrl: facts.env['ACTIONS_ID_TOKEN_REQUEST_URL'],
        }),
        ...(facts.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'] && {
          idTokenRequestToken: facts.env['ACTIONS_ID_TOKEN_REQUEST_TOKEN'],
        }),
      }),
    artifacts: createArtifactUploader,
    fetch: globalThis.fetch,
  };
}

const noCache: CacheStore = {
  restore: async () => undefined,
  save: async () => undefined,
};
