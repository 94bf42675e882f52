import { describe, expect, it } from 'vitest';
import { tally } from '../../src/policy/apply.js';
import { renderTable } from '../../src/render/table.js';
import { counted, vuln } from '../helpers/render-findings.js';

function render(title: string): string {
  const { decisions } = counted([vuln({ severity: 'CRITICAL', title })]);
  return renderTable(tally(decisions), decisions, {
    pass: false,
    reasons: ['1 CRITICAL'],
    newOnly: false,
  });
}

describe('renderTable', () => {
  it('keeps control characters from report text off the terminal', () => {
    const out = render('evil\u001b[2Jtitle\r\nnext\u009b');
    expect(out).toContain('evil [2Jtitle  next');
    // eslint-disable-next-line no-control-regex
    expect(out).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
  });

  it('cuts a long title at 60 characters with an ellipsis, never inside a surrogate pair', () => {
    const line = (title: string) =>
      render(title)
        .split('\n')
        .find((l) => l.includes('CRITICAL  CVE'));
    expect(line('x'.repeat(80))).toMatch(new RegExp(`${'x'.repeat(59)}…$`));
    expect(line('🙂'.repeat(80))).toMatch(new RegExp(`${'🙂'.repeat(59)}…$`, 'u'));
  });

  it('ends with the verdict and its reasons', () => {
    expect(render('t').split('\n').slice(-2)).toEqual(['verdict: FAIL', '  - 1 CRITICAL']);
  });
});
