/**
 * Escaping of untrusted text (titles, package names, descriptions and paths from reports)
 * before it reaches Markdown, HTML or a workflow command. Everything a report says is
 * treated as hostile: no HTML, no links, no images, no @mentions that ping, no issue
 * cross-references, and no characters that break a table row.
 */

/** Zero-width space: breaks `@name` and `#123` autolinks without changing what a reader sees. */
const ZWSP = '\u200b';

/** Characters that CommonMark lets a backslash escape (all ASCII punctuation we care about). */
const MARKDOWN_PUNCTUATION = /[\\`*_{}[\]()<>#+\-.!|~"'&=:$^%]/g;

const HTML_ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Text for an HTML context (`<summary>`, attribute values): entities for `& < > " '`. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ENTITIES[c] ?? c);
}

/**
 * One line of text for an HTML element such as `<summary>`: entities, no line breaks, and the
 * same zero-width space after `@` and `#` as in Markdown (mentions are found in HTML text too).
 */
export function escapeHtmlInline(text: string, maxLength = 300): string {
  return escapeHtml(
    truncate(
      // eslint-disable-next-line no-control-regex -- control characters are exactly what we strip
      text.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim(),
      maxLength,
    ),
  )
    .replace(/@(?=[\w-])/g, `@${ZWSP}`)
    .replace(/#(?=\d)/g, `#${ZWSP}`);
}

/** Cut to `max` characters (by code point), marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const points = Array.from(text);
  if (points.length <= max) return text;
  return `${points.slice(0, Math.max(0, max - 1)).join('')}…`;
}

/**
 * One line of inert Markdown: safe inside a table cell, a heading or running text.
 * Newlines and other control characters become spaces, HTML special characters become
 * entities, Markdown punctuation is backslash-escaped, `@` and `#` get a zero-width
 * space after them so they neither ping nor cross-reference.
 */
export function escapeMarkdownInline(text: string, maxLength = 200): string {
  const flat = truncate(
    text
      // eslint-disable-next-line no-control-regex -- control characters are exactly what we strip
      .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
      .replace(/\s+/g, ' ')
      .trim(),
    maxLength,
  );
  // Autolinks are found after escapes are resolved, so break them with a zero-width space
  // first (mentions, issue references, URLs, www. links), then escape the punctuation.
  return flat
    .replace(/@(?=[\w-])/g, `@${ZWSP}`)
    .replace(/#(?=\d)/g, `#${ZWSP}`)
    .replace(/:\/\//g, `:${ZWSP}//`)
    .replace(/\bwww\./gi, (m) => `${m.slice(0, 3)}${ZWSP}.`)
    .replace(MARKDOWN_PUNCTUATION, (c) => HTML_ENTITIES[c] ?? `\\${c}`);
}

/**
 * Inline code for identifiers and versions (`1.2.3`, `lodash`): shown verbatim in a code
 * span, so Markdown inside is inert. Backticks and pipes are replaced because a code span
 * cannot escape them reliably inside a table.
 */
export function escapeCode(text: string, maxLength = 120): string {
  const flat = truncate(
    text
      // eslint-disable-next-line no-control-regex -- control characters are exactly what we strip
      .replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ')
      .trim(),
    maxLength,
  );
  if (flat === '') return '';
  // `|` would end the table cell even inside a code span; `<` stays literal in code spans.
  const safe = flat.replace(/`/g, 'ˋ').replace(/\|/g, '¦');
  return `\`${safe}\``;
}

/**
 * A URL from a report, usable as a Markdown link target: only absolute http(s) URLs are
 * accepted; characters that could end the link or start HTML are percent-encoded.
 * Anything else (`javascript:`, `data:`, relative paths) gives undefined.
 */
export function safeUrl(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return url.href.replace(
    /[()<>[\]"' `|\\]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`,
  );
}

/** `[text](url)` when the URL is safe, else the escaped text alone. */
export function markdownLink(text: string, url: string | undefined, maxLength = 200): string {
  const label = escapeMarkdownInline(text, maxLength);
  const href = safeUrl(url);
  return href === undefined ? label : `[${label}](${href})`;
}

/**
 * The data part of a workflow command (`::error file=...::DATA`): the runner reads up to the
 * end of the line, so line breaks and `%` must be encoded. (@actions/core does the same; the
 * CLI and tests use this one.)
 */
export function escapeCommandData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** A property value of a workflow command (`file=`, `title=`): also `:` and `,`. */
export function escapeCommandProperty(text: string): string {
  return escapeCommandData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/**
 * A Prometheus label value: backslash, double quote and line feed escaped, as the text
 * exposition format requires.
 */
export function escapeLabelValue(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
