/** Which commit a dependency snapshot is submitted for, per event. */
import { describe, expect, it } from 'vitest';
import { snapshotSha } from '../../src/phases/publish.js';

const MERGE = 'a'.repeat(40);
const HEAD = 'b'.repeat(40);
const pr = { pull_request: { number: 3, head: { sha: HEAD } } };

describe('snapshotSha', () => {
  it.each([
    ['pull_request', pr, HEAD],
    ['pull_request_review', pr, HEAD],
    ['pull_request_review_comment', pr, HEAD],
    // Runs on the base branch: GITHUB_SHA is the base commit, which is what it scanned.
    ['pull_request_target', pr, MERGE],
    ['push', { after: HEAD }, MERGE],
    ['pull_request', {}, MERGE],
    ['pull_request', { pull_request: { head: { sha: 7 } } }, MERGE],
    [undefined, pr, MERGE],
  ] as const)('%s → the right commit', (eventName, event, expected) => {
    expect(snapshotSha(eventName, event, MERGE)).toBe(expected);
  });
});
