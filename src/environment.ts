/**
 * The runner's environment variables → RunEnvironment. Called only by the entry points.
 */
import os from 'node:os';
import path from 'node:path';
import type { RunEnvironment } from './inputs.js';

type Env = Readonly<Record<string, string | undefined>>;

function opt(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v === '' ? undefined : v;
}

export function readEnvironment(
  env: Env,
  opts: { inActions: boolean; cwd?: string },
): RunEnvironment {
  const cwd = opts.cwd ?? process.cwd();
  const epoch = opt(env, 'SOURCE_DATE_EPOCH');
  const fields: Record<string, string | undefined> = {
    eventName: opt(env, 'GITHUB_EVENT_NAME'),
    eventPath: opt(env, 'GITHUB_EVENT_PATH'),
    repository: opt(env, 'GITHUB_REPOSITORY'),
    sha: opt(env, 'GITHUB_SHA'),
    ref: opt(env, 'GITHUB_REF'),
    job: opt(env, 'GITHUB_JOB'),
    runId: opt(env, 'GITHUB_RUN_ID'),
    runAttempt: opt(env, 'GITHUB_RUN_ATTEMPT'),
    workflowRef: opt(env, 'GITHUB_WORKFLOW_REF'),
    runnerOs: opt(env, 'RUNNER_OS'),
    runnerArch: opt(env, 'RUNNER_ARCH'),
    idTokenRequestUrl: opt(env, 'ACTIONS_ID_TOKEN_REQUEST_URL'),
    idTokenRequestToken: opt(env, 'ACTIONS_ID_TOKEN_REQUEST_TOKEN'),
  };
  const defined = Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined));
  const epochSeconds = epoch !== undefined && /^\d+$/.test(epoch) ? Number(epoch) : undefined;
  return {
    ...defined,
    workspace: path.resolve(opt(env, 'GITHUB_WORKSPACE') ?? cwd),
    tempDir: path.resolve(opt(env, 'RUNNER_TEMP') ?? os.tmpdir()),
    serverUrl: opt(env, 'GITHUB_SERVER_URL') ?? 'https://github.com',
    apiUrl: opt(env, 'GITHUB_API_URL') ?? 'https://api.github.com',
    inActions: opts.inActions,
    ...(epochSeconds !== undefined && { sourceDateEpoch: epochSeconds }),
  };
}
