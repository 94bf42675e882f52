/**
 * The workflows that run this action from the repository (`uses: ./`) stay in step with
 * action.yml: every `with:` key is a declared input, every `steps.<id>.outputs.<name>` of such
 * a step is a declared output, the paths they scan exist, and a replay of the JSON the action
 * kept points where the scan phase writes it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseList } from '../../src/config.js';
import { trivyWorkDir } from '../../src/trivy/phase.js';

const root = path.resolve(import.meta.dirname, '../..');
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
};

interface Step {
  id?: string;
  uses?: string;
  with?: Record<string, unknown>;
}
interface Workflow {
  jobs: Record<string, { steps?: Step[] }>;
}

const dir = path.join(root, '.github/workflows');
const files = existsSync(dir)
  ? readdirSync(dir).filter((f) => f.endsWith('.yml') || f.endsWith('.yaml'))
  : [];

/** Every step of the workflow that runs this action, with its job's name. */
function actionSteps(wf: Workflow): { job: string; step: Step }[] {
  return Object.entries(wf.jobs).flatMap(([job, j]) =>
    (j.steps ?? []).filter((s) => s.uses === './').map((step) => ({ job, step })),
  );
}

const RUNNER_TEMP = '${{ runner.temp }}';

describe('the repository has workflows that run the action', () => {
  it('at least one uses ./', () => {
    const uses = files.flatMap((f) =>
      actionSteps(parse(readFileSync(path.join(dir, f), 'utf8')) as Workflow),
    );
    expect(uses.length).toBeGreaterThan(0);
  });
});

describe.each(files)('.github/workflows/%s', (file) => {
  const text = readFileSync(path.join(dir, file), 'utf8');
  const wf = parse(text) as Workflow;
  const steps = actionSteps(wf);

  it('passes only declared inputs to uses: ./', () => {
    for (const { job, step } of steps) {
      for (const key of Object.keys(step.with ?? {})) {
        expect(Object.keys(action.inputs), `${job} / ${step.id ?? '(no id)'}: ${key}`).toContain(
          key,
        );
      }
    }
  });

  it('reads only declared outputs of those steps', () => {
    const ids = new Set(steps.map((s) => s.step.id).filter((id) => id !== undefined));
    for (const m of text.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
      if (ids.has(m[1]!)) expect(Object.keys(action.outputs), m[0]).toContain(m[2]);
    }
  });

  it('scans paths that exist in the repository', () => {
    for (const { step } of steps) {
      for (const input of ['config', 'fs', 'image-archive', 'dockerfile', 'ignore-file']) {
        const value = step.with?.[input];
        if (typeof value !== 'string' || value.includes('${{')) continue;
        for (const p of parseList(value)) expect(existsSync(path.join(root, p)), p).toBe(true);
      }
    }
  });

  it('replays Trivy JSON from where the scan phase keeps it', () => {
    const workDir = trivyWorkDir(RUNNER_TEMP);
    for (const { step } of steps) {
      const reports = step.with?.['trivy-reports'];
      if (typeof reports !== 'string' || !reports.startsWith(RUNNER_TEMP)) continue;
      for (const glob of parseList(reports)) {
        expect(path.dirname(glob)).toBe(path.join(workDir, 'reports'));
      }
    }
  });
});
