/** The default leg key: the categories of the SARIF runs, stable and order-free. */
import { describe, expect, it } from 'vitest';
import { defaultCommentKey, targetsCategory } from '../../src/github/publish.js';
import type { SarifLog } from '../../src/render/sarif.js';

function log(...ids: string[]): SarifLog {
  return { runs: ids.map((id) => ({ automationDetails: { id } })) } as unknown as SarifLog;
}

describe('targetsCategory', () => {
  it.each([
    [[], undefined],
    [['image:ghcr.io/o/app/'], 'image:ghcr.io/o/app'],
    [['image:ghcr.io/o/b/', 'fs:deploy/'], 'fs:deploy,image:ghcr.io/o/b'],
    [['fs:deploy/', 'image:ghcr.io/o/b/'], 'fs:deploy,image:ghcr.io/o/b'],
    [['fs:./', 'fs:./'], 'fs:.'],
  ] as const)('%j → %s', (ids, expected) => {
    expect(targetsCategory(log(...ids))).toBe(expected);
  });

  it('gives matrix legs of one job different comment keys', () => {
    const a = defaultCommentKey('scan', targetsCategory(log('image:ghcr.io/o/a/')));
    const b = defaultCommentKey('scan', targetsCategory(log('image:ghcr.io/o/b/')));
    expect(a).toBe('scan/image:ghcr.io/o/a');
    expect(a).not.toBe(b);
  });
});
