import { describe, expect, it } from 'vitest';
import {
  decide,
  emptyCounts,
  FAIL_ON_FORMS,
  formatRule,
  parseFailOn,
} from '../../src/policy/gate.js';
import type { Severity } from '../../src/model.js';

const counts = (c: Partial<Record<Severity, number>>) => ({ ...emptyCounts(), ...c });

describe('parseFailOn', () => {
  it.each([
    ['none', 'none'],
    ['', 'none'],
    ['high', 'high'],
    ['CRITICAL', 'critical'],
    ['critical>0,high>5', 'critical>0,high>5'],
    ['critical >= 1, medium>10', 'critical>=1,medium>10'],
  ])('accepts %j as %j', (text, formatted) => {
    const r = parseFailOn(text);
    expect(r.ok).toBe(true);
    if (r.ok) expect(formatRule(r.value)).toBe(formatted);
  });

  it.each([
    ['hihg', '"hihg" is not a severity or a count threshold'],
    ['critical>x', '"critical>x" is not a severity or a count threshold'],
    ['severe>0', '"severe" is not a severity'],
    ['high>1,high>2', 'high is given twice'],
    ['critical<1', '"critical<1" is not a severity or a count threshold'],
  ])('rejects %j: %s', (text, error) => {
    expect(parseFailOn(text)).toEqual({ ok: false, error });
  });

  it('lists the valid forms for the error message', () => {
    expect(FAIL_ON_FORMS).toMatch(/none/);
    expect(FAIL_ON_FORMS).toMatch(/critical>0,high>5/);
  });
});

describe('decide', () => {
  const rule = (t: string) => {
    const r = parseFailOn(t);
    if (!r.ok) throw new Error(r.error);
    return r.value;
  };
  it.each([
    ['none', { CRITICAL: 9 }, true],
    ['high', {}, true],
    ['high', { MEDIUM: 50, LOW: 3 }, true],
    ['high', { HIGH: 1 }, false],
    ['high', { CRITICAL: 1 }, false],
    ['medium', { MEDIUM: 1 }, false],
    ['critical', { HIGH: 100 }, true],
    ['unknown', { UNKNOWN: 1 }, false],
    ['critical>0,high>5', { HIGH: 5 }, true],
    ['critical>0,high>5', { HIGH: 6 }, false],
    ['critical>0,high>5', { CRITICAL: 1 }, false],
    ['high>=5', { HIGH: 5 }, false],
    ['high>=5', { HIGH: 4 }, true],
  ] as const)('fail-on %s with %j → pass=%s', (text, c, pass) => {
    expect(decide(rule(text), counts(c)).pass).toBe(pass);
  });

  it('says why it failed, per broken threshold', () => {
    const v = decide(rule('critical>0,high>5'), counts({ CRITICAL: 2, HIGH: 7 }));
    expect(v.reasons).toEqual([
      '2 CRITICAL findings: threshold critical>0',
      '7 HIGH findings: threshold high>5',
    ]);
  });

  it('says "new" when gating on new findings only', () => {
    const v = decide(rule('high'), counts({ HIGH: 1 }), true);
    expect(v.reasons[0]).toBe('1 HIGH new finding (fail-on: high or above)');
  });
});
