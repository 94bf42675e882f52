/**
 * Runs the action's own entry path (`runAndGate` with `buildConfig`) the way index.ts does, but
 * with in-memory sinks and the services a test hands in, and keeps everything the logger and
 * the sink received so a test can assert on what would reach the job log.
 */
import { chmod, copyFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { buildConfig } from '../../src/config.js';
import { INPUT_DEFAULTS, type InputName } from '../../src/inputs.js';
import {
  runAndGate,
  type Deps,
  type ExitCode,
  type OutputName,
  type RunResult,
} from '../../src/main.js';
import type { Scanner, Services } from '../../src/services.js';
import { STAND_IN } from './stand-in-harness.js';

export interface ActionRun {
  readonly exitCode: ExitCode;
  readonly result?: RunResult;
  readonly outputs: Partial<Record<OutputName, string>>;
  /** What the sink was asked to fail the step with. */
  readonly failures: string[];
  /** Every message, group name and grouped line the logger received, in order. */
  readonly log: string[];
}

/**
 * Services for a scan-only run: the given scanner, and collaborators that fail loudly if the
 * run reaches for a registry, Sigstore, the artifact store or GitHub's API.
 */
export function scanOnlyServices(scanner: Scanner): Services {
  const unexpected = (what: string) => (): never => {
    throw new Error(`this test expects no ${what}`);
  };
  return {
    scanner,
    registry: unexpected('registry client'),
    trustedRoot: unexpected('signing trusted root'),
    signer: unexpected('signer'),
    artifacts: unexpected('artifact upload'),
    fetch: unexpected('GitHub API call'),
  };
}

export async function runAction(
  inputs: Partial<Record<InputName, string>>,
  opts: { workspace: string; tempDir: string; services?: Services; now?: Date },
): Promise<ActionRun> {
  const outputs: Partial<Record<OutputName, string>> = {};
  const failures: string[] = [];
  const log: string[] = [];
  const deps: Deps = {
    log: {
      info: (m) => void log.push(m),
      warning: (m) => void log.push(`warning: ${m}`),
      error: (m) => void log.push(`error: ${m}`),
      debug: (m) => void log.push(`debug: ${m}`),
      group: (name, fn) => {
        log.push(`group: ${name}`);
        return fn();
      },
      groupLines: (name, lines) => void log.push(`group: ${name}`, ...lines),
    },
    sink: {
      setOutput: (name, value) => void (outputs[name] = value),
      writeJobSummary: () => Promise.resolve(),
      annotate: () => undefined,
      fail: (m) => void failures.push(m),
    },
    now: () => opts.now ?? new Date('2026-11-26T12:00:00Z'),
    ...(opts.services && { services: opts.services }),
  };
  const env = {
    workspace: opts.workspace,
    tempDir: opts.tempDir,
    serverUrl: 'https://github.com',
    apiUrl: 'https://api.github.com',
    inActions: false,
  };
  const { exitCode, result } = await runAndGate(
    () => buildConfig({ ...INPUT_DEFAULTS, ...inputs }, env),
    deps,
  );
  return { exitCode, ...(result && { result }), outputs, failures, log };
}

/** A directory holding the Trivy STAND-IN as `trivy`; returns a PATH that finds it first. */
export async function standInOnPath(dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  await copyFile(STAND_IN, path.join(dir, 'trivy'));
  await chmod(path.join(dir, 'trivy'), 0o755);
  return [dir, process.env['PATH'] ?? ''].join(path.delimiter);
}
