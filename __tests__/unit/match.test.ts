import { describe, expect, it } from 'vitest';
import { escapeRegExp, globToRegExp } from '../../src/policy/match.js';

describe('escapeRegExp', () => {
  it.each([
    [
      'https://github.com/o/r/.github/workflows/release.yml@refs/tags/v1',
      'https://github.com/o/r/xgithub/workflows/release.yml@refs/tags/v1',
    ],
    ['a.b*c+d?e^f$g{1}h(i)j|k[l]m\\n', 'a.b*c+d?e^f$g{1}h(i)j|k[l]m\\\\n'],
  ])('%s matches itself only', (literal, other) => {
    const re = new RegExp(`^${escapeRegExp(literal)}$`);
    expect(re.test(literal)).toBe(true);
    expect(re.test(other)).toBe(false);
  });
});

describe('globToRegExp', () => {
  it.each([
    ['src/**/*.ts', 'src/a/b/c.ts', true],
    ['src/**/*.ts', 'src/c.ts', true],
    ['src/*.ts', 'src/a/c.ts', false],
    ['file?.json', 'file1.json', true],
    ['a+b(c).json', 'a+b(c).json', true],
    ['a+b(c).json', 'aab(c)xjson', false],
  ])('%s on %s is %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });
});
