/**
 * The CLI's entry: argv → the same RawInputs the action reads, the same run, a terminal table.
 * Exit codes: 0 pass, 1 the gate failed, 2 usage or input error.
 */
import path from 'node:path';
import { buildConfig } from './config.js';
import { readEnvironment } from './environment.js';
import { INPUT_DEFAULTS, INPUT_NAMES, type InputName, type RawInputs } from './inputs.js';
import { terminalLogger } from './log.js';
import { runAndGate, type OutputName } from './main.js';
import { renderTable } from './render/table.js';
import { realServices } from './services.js';

/** Publishing to GitHub makes no sense from a terminal: off unless asked for. */
const CLI_DEFAULTS: Partial<Record<InputName, string>> = {
  'upload-sarif': 'false',
  'pr-comment': 'false',
  'upload-artifact': 'false',
  summary: 'false',
  annotations: 'false',
};

const BOOLEAN_INPUTS = INPUT_NAMES.filter((n) => ['true', 'false'].includes(INPUT_DEFAULTS[n]));

export const USAGE = `Usage: supply-chain-guard [options]

Runs the supply-chain-guard pipeline: scans with a verified Trivy (image, config, fs) and/or
reads Trivy JSON reports, applies the policy, writes the summary, SARIF, SBOM and metrics files,
and gates on the findings. Every option is the action input of the same name (see README):

  supply-chain-guard --image alpine:3.20 --config deploy/ --fs . --fail-on critical
  supply-chain-guard --trivy-reports 'reports/*.json' --fail-on 'critical>0,high>5'
  supply-chain-guard --trivy-reports report.json --ignore-file .trivyignore.yaml --vex vex.json

Options:
${INPUT_NAMES.map((n) => `  --${n}${BOOLEAN_INPUTS.includes(n) ? '[=true|false]' : ' <value>'}`).join('\n')}
  --output-dir <dir>   where summary.md and other files go (default: a temp dir)
  --verbose            log every phase to stderr
  --help               this text

Exit status: 0 pass, 1 the gate failed, 2 usage or input error.
`;

export class UsageError extends Error {}

export interface ParsedArgs {
  readonly inputs: RawInputs;
  readonly verbose: boolean;
  readonly help: boolean;
  readonly outputDir?: string;
}

/** Pure: argv (without node and script) → inputs. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const inputs: Record<string, string> = { ...INPUT_DEFAULTS, ...CLI_DEFAULTS };
  let verbose = false;
  let help = false;
  let outputDir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (arg === '--verbose' || arg === '-v') {
      verbose = true;
      continue;
    }
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/s.exec(arg);
    if (!m) throw new UsageError(`unexpected argument "${arg}"`);
    const name = m[1]!;
    let value = m[2];
    const isBoolean = BOOLEAN_INPUTS.includes(name as InputName);
    if (value === undefined) {
      const next = argv[i + 1];
      if (
        isBoolean &&
        (next === undefined || next.startsWith('--') || !/^(true|false)$/i.test(next))
      ) {
        value = 'true';
      } else if (next === undefined) {
        throw new UsageError(`--${name} needs a value`);
      } else {
        value = next;
        i++;
      }
    }
    if (name === 'output-dir') {
      outputDir = value;
      continue;
    }
    if (!(INPUT_NAMES as string[]).includes(name)) throw new UsageError(`unknown option --${name}`);
    // Repeated list options accumulate, like a multi-line input.
    const prev = inputs[name];
    const isList = ['trivy-reports', 'config', 'fs', 'vex'].includes(name);
    inputs[name] = isList && prev ? `${prev}\n${value}` : value.trim();
  }
  return {
    inputs: inputs as RawInputs,
    verbose,
    help,
    ...(outputDir !== undefined && { outputDir }),
  };
}

export async function cli(
  argv: readonly string[],
  io: {
    stdout: (s: string) => void;
    stderr: (s: string) => void;
    env: Readonly<Record<string, string | undefined>>;
  },
): Promise<0 | 1 | 2> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    io.stderr(
      `supply-chain-guard: ${(err as Error).message}\nRun supply-chain-guard --help for the options.`,
    );
    return 2;
  }
  if (args.help) {
    io.stdout(USAGE);
    return 0;
  }
  const env = readEnvironment(
    args.outputDir ? { ...io.env, RUNNER_TEMP: args.outputDir } : io.env,
    { inActions: false },
  );
  const outputs: Partial<Record<OutputName, string>> = {};
  let failure: string | undefined;
  const { exitCode, result } = await runAndGate(() => buildConfig(args.inputs, env), {
    log: terminalLogger({ verbose: args.verbose, write: io.stderr }),
    sink: {
      setOutput: (name, value) => {
        outputs[name] = value;
      },
      writeJobSummary: async () => undefined,
      annotate: () => undefined,
      // Printed after the table, so the reason is the last thing on screen.
      fail: (message) => {
        failure = message;
      },
    },
    now: () => new Date(),
    services: realServices(
      { env: io.env, platform: process.platform, arch: process.arch },
      // No runner tool cache here: verified Trivy binaries are kept under the output dir.
      { inActions: false, cliToolCache: path.join(env.tempDir, 'supply-chain-guard', 'tools') },
    ),
  });
  if (result) {
    io.stdout(renderTable(result.tally, result.decisions.decisions, result.verdict));
    io.stdout(`summary: ${outputs['summary-file'] ?? '(not written)'}`);
  }
  if (failure !== undefined) io.stderr(`supply-chain-guard: ${failure}`);
  return exitCode;
}
