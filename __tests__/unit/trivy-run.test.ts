import { describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { assignCacheDirs, runEnv, terraformVarFiles } from '../../src/trivy/run.js';
import { neutralize, redactor } from '../../src/trivy/stderr.js';
import { planTargets } from '../../src/trivy/targets.js';

const plan = planTargets({
  targets: { image: 'alpine:3', config: ['k8s'], fs: ['.', 'web'] },
  policy: { baselineImage: 'alpine:2' },
});

describe('assignCacheDirs', () => {
  it('gives the prepared DB dir to the first DB run, a seeded copy to the others, a bare dir to config', () => {
    const dirs = assignCacheDirs(plan, { workDir: '/w', dbCacheDir: '/db' });
    expect(dirs.map((d) => [d.target.id, d.cacheDir, d.seedDb, d.reportFile])).toEqual([
      ['image-1', '/db', false, '/w/reports/image-1.json'],
      ['config-1', '/w/cache/config-1', false, '/w/reports/config-1.json'],
      ['fs-1', '/w/cache/fs-1', true, '/w/reports/fs-1.json'],
      ['fs-2', '/w/cache/fs-2', true, '/w/reports/fs-2.json'],
      ['baseline-image', '/w/cache/baseline-image', true, '/w/reports/baseline-image.json'],
    ]);
  });
});

describe('runEnv', () => {
  const auth = { username: 'u', password: 'p' };
  it('adds credentials to image runs only and drops any inherited ones', () => {
    const base = { PATH: '/bin', TRIVY_PASSWORD: 'stale', TRIVY_USERNAME: 'stale' };
    const [image, config, fs] = plan;
    expect(runEnv(image!, base, auth)).toEqual({
      PATH: '/bin',
      TRIVY_USERNAME: 'u',
      TRIVY_PASSWORD: 'p',
    });
    expect(runEnv(config!, base, auth)).toEqual({ PATH: '/bin' });
    expect(runEnv(fs!, base, undefined)).toEqual({ PATH: '/bin' });
  });
});

describe('redactor', () => {
  it('masks every occurrence of each secret, ignoring ones too short to mask safely', () => {
    expect(redactor(['s3cret', 'ab'])('u:s3cret@h s3cret ab')).toBe('u:***@h *** ab');
  });
});

describe('neutralize', () => {
  it.each([
    ['::add-mask::x', ':\u200b:add-mask::x'],
    ['  ::set-output name=a::b', '  :\u200b:set-output name=a::b'],
    ['INFO a::b', 'INFO a::b'],
    [':single', ':single'],
  ])('%j → %j', (input, output) => {
    expect(neutralize(input)).toBe(output);
  });
});

describe('terraformVarFiles', () => {
  it("finds what Terraform auto-loads, in Terraform's order, and nothing else", async () => {
    const ws = await mkdtemp(path.join(os.tmpdir(), 'scg-tfvars-'));
    try {
      await mkdir(path.join(ws, 'infra', 'modules'), { recursive: true });
      for (const f of [
        'main.tf',
        'b.auto.tfvars',
        'a.auto.tfvars.json',
        'terraform.tfvars',
        'prod.tfvars',
        'modules/x.auto.tfvars',
      ]) {
        await writeFile(path.join(ws, 'infra', f), '');
      }
      expect(await terraformVarFiles(ws, 'infra')).toEqual([
        path.join('infra', 'terraform.tfvars'),
        path.join('infra', 'a.auto.tfvars.json'),
        path.join('infra', 'b.auto.tfvars'),
      ]);
      expect(await terraformVarFiles(ws, 'infra/main.tf')).toEqual([]);
      expect(await terraformVarFiles(ws, 'missing')).toEqual([]);
    } finally {
      await rm(ws, { recursive: true, force: true });
    }
  });
});
