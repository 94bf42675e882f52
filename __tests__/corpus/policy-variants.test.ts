/**
 * Our filters against Trivy's own: for each report that Trivy also wrote with --severity /
 * --ignore-unfixed / --vex, applying our policy to the unfiltered report must leave exactly
 * the findings Trivy kept.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findingKey, SEVERITIES, type Severity } from '../../src/model.js';
import { applyPolicy } from '../../src/policy/apply.js';
import { parseVex } from '../../src/policy/vex.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';

const load = (rel: string) =>
  parseTrivyReport(readFileSync(corpusPath('trivy-json', rel), 'utf8'), rel);
const vexFixture = path.resolve(
  import.meta.dirname,
  '../../__fixtures__/vex/gomod-opa.openvex.json',
);

const cases: {
  full: string;
  filtered: string;
  severities?: Severity[];
  ignoreUnfixed: boolean;
  vex?: string;
}[] = [
  {
    full: 'image/alpine-39.json',
    filtered: 'image/alpine-39-high-critical.json',
    severities: ['HIGH', 'CRITICAL'],
    ignoreUnfixed: true,
  },
  {
    full: 'image/centos-7.json',
    filtered: 'image/centos-7-ignore-unfixed.json',
    ignoreUnfixed: true,
  },
  {
    full: 'image/centos-7.json',
    filtered: 'image/centos-7-medium.json',
    severities: ['MEDIUM'],
    ignoreUnfixed: true,
  },
  {
    full: 'image/debian-buster.json',
    filtered: 'image/debian-buster-ignore-unfixed.json',
    ignoreUnfixed: true,
  },
  {
    full: 'image/ubuntu-1804.json',
    filtered: 'image/ubuntu-1804-ignore-unfixed.json',
    ignoreUnfixed: true,
  },
  { full: 'fs/gomod.json', filtered: 'fs/gomod-vex.json', ignoreUnfixed: false, vex: vexFixture },
];

describe.skipIf(!HAS_CORPUS)('severity / ignore-unfixed / VEX agree with Trivy', () => {
  it.each(cases)('$full → $filtered', ({ full, filtered, severities, ignoreUnfixed, vex }) => {
    const decisions = applyPolicy([load(full)], {
      severities: severities ?? [...SEVERITIES],
      ignoreUnfixed,
      ignoreRules: [],
      vex: vex ? parseVex(readFileSync(vex, 'utf8'), vex) : [],
      now: new Date('2026-01-01T00:00:00Z'),
    });
    const kept = decisions.decisions
      .filter((d) => d.counted)
      .map((d) => findingKey(d.finding))
      .sort();
    const expected = load(filtered).findings.map(findingKey).sort();
    expect(expected.length).toBeGreaterThan(0);
    expect(kept).toEqual(expected);
    // What we did not keep is still there, with its reason.
    const dropped = decisions.decisions.filter((d) => !d.counted);
    expect(dropped.length).toBe(decisions.decisions.length - kept.length);
    for (const d of dropped) expect(d.filtered ?? d.suppression?.kind).toBeDefined();
  });
});
