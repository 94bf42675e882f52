import { describe, expect, it } from 'vitest';
import {
  escapeCode,
  escapeCommandData,
  escapeCommandProperty,
  escapeHtml,
  escapeHtmlInline,
  escapeLabelValue,
  escapeMarkdownInline,
  markdownLink,
  safeUrl,
  truncate,
} from '../../src/render/escape.js';

const ZWSP = '\u200b';

describe('escapeMarkdownInline makes hostile report text inert', () => {
  it.each([
    ['an HTML image with an event handler', '<img src=x onerror=alert(1)>', /<img/],
    ['a script tag', '<script>alert(1)</script>', /<script/],
    ['a javascript: link', '[click](javascript:alert(1))', /\]\(javascript/],
    ['a reference-style image', '![x][1]', /!\[/],
    ['an HTML comment that would hide the rest', '<!-- hidden', /<!--/],
    ['a details tag that would swallow the table', '</details><details open>', /<\/?details/],
  ])('%s', (_, input, forbidden) => {
    const out = escapeMarkdownInline(input);
    expect(out).not.toMatch(forbidden);
  });

  it('keeps the text readable: entities and backslashes, not deletion', () => {
    expect(escapeMarkdownInline('<b>x</b>')).toBe('&lt;b&gt;x&lt;/b&gt;');
    expect(escapeMarkdownInline('a*b_c')).toBe('a\\*b\\_c');
  });

  it.each([
    ['@org/team', `@${ZWSP}org/team`],
    ['ping @octocat now', `ping @${ZWSP}octocat now`],
  ])('breaks the mention in %s so it does not ping', (input, expected) => {
    expect(escapeMarkdownInline(input)).toBe(expected);
  });

  it('breaks issue references and autolinked URLs', () => {
    const out = escapeMarkdownInline('see #123 and https://evil.example/x and www.evil.example');
    expect(out).toContain(`#${ZWSP}123`);
    expect(out).not.toContain('https://');
    expect(out).toContain(`www${ZWSP}\\.evil`);
  });

  it('escapes pipes and removes line breaks so a table row stays one row', () => {
    const out = escapeMarkdownInline('a | b\n| c | d |\r\n---');
    expect(out).not.toMatch(/[\r\n]/);
    expect(out.replace(/\\\|/g, '')).not.toContain('|');
  });

  it('bounds a 100 KB description', () => {
    const out = escapeMarkdownInline('A'.repeat(100_000), 300);
    expect(out.length).toBeLessThanOrEqual(300);
    expect(out.endsWith('…')).toBe(true);
  });
});

describe('escapeCode', () => {
  it('puts text in a code span without backticks or pipes that could break out', () => {
    const out = escapeCode('a`b|c`<img>');
    expect(out.startsWith('`') && out.endsWith('`')).toBe(true);
    expect(out.slice(1, -1)).not.toMatch(/[`|]/);
  });
  it('gives an empty string for empty input', () => {
    expect(escapeCode('   ')).toBe('');
  });
});

describe('safeUrl and markdownLink', () => {
  it.each([
    ['javascript:alert(1)', undefined],
    ['data:text/html,<b>', undefined],
    ['/relative/path', undefined],
    ['https://user:pass@example.com/', undefined],
    ['https://avd.aquasec.com/nvd/cve-2024-0001', 'https://avd.aquasec.com/nvd/cve-2024-0001'],
    ['https://example.com/a)b(c', 'https://example.com/a%29b%28c'],
  ])('%s', (input, expected) => {
    expect(safeUrl(input)).toBe(expected);
  });

  it('drops the link but keeps the escaped label for an unsafe URL', () => {
    expect(markdownLink('[x]', 'javascript:alert(1)')).toBe('\\[x\\]');
    expect(markdownLink('CVE-1', 'https://example.com/')).toBe('[CVE\\-1](https://example.com/)');
  });
});

describe('workflow command and metrics escaping', () => {
  it('encodes line breaks and % so a message cannot start a new ::command::', () => {
    expect(escapeCommandData('50%\n::set-output name=x::y')).toBe('50%25%0A::set-output name=x::y');
    expect(escapeCommandProperty('a:b,c\r')).toBe('a%3Ab%2Cc%0D');
  });
  it('escapes Prometheus label values', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
  });
  it('escapes HTML', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;',
    );
  });
  it('escapes one line of HTML text and breaks mentions in it', () => {
    expect(escapeHtmlInline('<b>@octo/team</b>\n#12')).toBe(
      `&lt;b&gt;@${ZWSP}octo/team&lt;/b&gt; #${ZWSP}12`,
    );
  });
  it('truncates by code point', () => {
    expect(truncate('🔴🔴🔴', 2)).toBe('🔴…');
    expect(truncate('abc', 3)).toBe('abc');
  });
});
