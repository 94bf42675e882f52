/** The report pipeline the benchmark times: parse → policy → gate → summary, as main.ts runs it. */
import { SEVERITIES } from '../src/model.js';
import { applyPolicy, oldestCriticalDays, tally } from '../src/policy/apply.js';
import { decide, formatRule, parseFailOn } from '../src/policy/gate.js';
import { renderSummary } from '../src/render/markdown.js';
import { readTrivyReport } from '../src/trivy/read-report.js';

const parsed = parseFailOn('critical>0,high>10');
if (!parsed.ok) throw new Error(parsed.error);
const failOn = parsed;
const NOW = new Date('2026-11-26T00:00:00Z');

/** From the file, as main.ts reads it: in chunks through the push parser. */
export async function pipeline(file: string): Promise<string> {
  const report = await readTrivyReport(file, 'bench.json');
  const decisions = applyPolicy([report], {
    severities: SEVERITIES,
    ignoreUnfixed: false,
    ignoreRules: [],
    vex: [],
    now: NOW,
  });
  const t = tally(decisions.decisions);
  const verdict = decide(failOn.value, t.gateCounts);
  return renderSummary([report], decisions, {
    verdict,
    failOn: formatRule(failOn.value),
    notes: [
      `${t.total} counted`,
      `oldest unpatched critical: ${oldestCriticalDays(decisions.decisions, NOW) ?? 0} days`,
    ],
  });
}
