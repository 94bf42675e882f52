/**
 * The action's entry: the only place that reads inputs and the runner's environment.
 */
import * as core from '@actions/core';
import { buildConfig } from './config.js';
import { INPUT_NAMES, SECRET_INPUTS, type RawInputs, type RunEnvironment } from './inputs.js';
import { actionsLogger } from './log.js';
import { runAndGate } from './main.js';
import { realServices } from './services.js';
import { readEnvironment } from './environment.js';

function readInputs(): RawInputs {
  const raw = {} as Record<string, string>;
  for (const name of INPUT_NAMES) {
    raw[name] = core.getInput(name);
    if (SECRET_INPUTS.includes(name) && raw[name] !== '') core.setSecret(raw[name]);
  }
  return raw as RawInputs;
}

async function main(): Promise<void> {
  const env: RunEnvironment = readEnvironment(process.env, { inActions: true });
  if (env.idTokenRequestToken) core.setSecret(env.idTokenRequestToken);
  const { exitCode } = await runAndGate(() => buildConfig(readInputs(), env), {
    log: actionsLogger(core),
    sink: {
      setOutput: (name, value) => core.setOutput(name, value),
      writeJobSummary: async (markdown) => {
        await core.summary.addRaw(markdown, true).write();
      },
      annotate: (a) => {
        const props = {
          title: a.title,
          file: a.file,
          ...(a.startLine !== undefined && { startLine: a.startLine }),
          ...(a.endLine !== undefined && { endLine: a.endLine }),
        };
        if (a.level === 'error') core.error(a.message, props);
        else if (a.level === 'warning') core.warning(a.message, props);
        else core.notice(a.message, props);
      },
      fail: (message) => core.setFailed(message),
    },
    now: () => new Date(),
    services: realServices(
      { env: process.env, platform: process.platform, arch: process.arch },
      { inActions: true },
    ),
  });
  process.exitCode = exitCode === 0 ? 0 : 1;
}

await main();
