/**
 * Ignore files, Trivy's two forms:
 * - `.trivyignore`: one ID per line, `#` comments (a comment right above an ID is kept as its
 *   statement), optional `exp:YYYY-MM-DD` after the ID.
 * - `.trivyignore.yaml`: `vulnerabilities` / `misconfigurations` / `secrets` / `licenses`
 *   lists of `{id, paths, purls, expired_at, statement}`.
 * See Trivy's docs "Filtering → By Finding IDs / By Open Policy Agent" for the semantics.
 */
import { parse as parseYaml } from 'yaml';
import { InputFileError } from '../errors.js';
import type { Finding, FindingClass } from '../model.js';
import {
  checkIdKey,
  globToRegExp,
  parsePurl,
  pathMatches,
  purlMatches,
  type PackageUrl,
} from './match.js';

export interface IgnoreRule {
  readonly file: string;
  readonly id: string;
  /** Undefined: applies to every class (plain `.trivyignore`). */
  readonly kinds?: readonly FindingClass[];
  readonly paths: readonly RegExp[];
  readonly pathTexts: readonly string[];
  readonly purls: readonly PackageUrl[];
  /** ISO date `YYYY-MM-DD`; the rule stops suppressing after that day. */
  readonly expiresAt?: string;
  readonly statement?: string;
}

const YAML_SECTIONS: Record<string, FindingClass> = {
  vulnerabilities: 'vulnerability',
  misconfigurations: 'misconfiguration',
  secrets: 'secret',
  licenses: 'license',
};

const REMEDY =
  'see Trivy\'s ignore file format: one ID per line, or YAML with "vulnerabilities:", "misconfigurations:", "secrets:", "licenses:" lists of {id, paths, purls, expired_at, statement}';

function isYamlName(file: string): boolean {
  return /\.ya?ml$/i.test(file);
}

function checkDate(file: string, where: string, value: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})/.exec(value);
  if (!m || Number.isNaN(Date.parse(`${m[1]}T00:00:00Z`))) {
    throw new InputFileError('POLICY_FILE_INVALID', file, `${where}: "${value}" is not a date`, {
      remedy: 'write dates as YYYY-MM-DD',
    });
  }
  return m[1]!;
}

/** Parse an ignore file's text; `file` names it in errors and in suppression reasons. */
export function parseIgnoreFile(text: string, file: string): IgnoreRule[] {
  return isYamlName(file) ? parseYamlIgnore(text, file) : parsePlainIgnore(text, file);
}

function parsePlainIgnore(text: string, file: string): IgnoreRule[] {
  const rules: IgnoreRule[] = [];
  let comment: string[] = [];
  for (const [n, rawLine] of text.split(/\r?\n/).entries()) {
    const line = rawLine.trim();
    if (line === '') {
      comment = [];
      continue;
    }
    if (line.startsWith('#')) {
      comment.push(line.replace(/^#+\s*/, ''));
      continue;
    }
    const [id, ...rest] = line.split(/\s+/);
    let expiresAt: string | undefined;
    for (const token of rest) {
      if (token.startsWith('#')) break;
      if (token.startsWith('exp:')) expiresAt = checkDate(file, `line ${n + 1}`, token.slice(4));
    }
    const statement = comment.join(' ').trim();
    rules.push({
      file,
      id: id!,
      paths: [],
      pathTexts: [],
      purls: [],
      ...(expiresAt && { expiresAt }),
      ...(statement && { statement }),
    });
    comment = [];
  }
  return rules;
}

function parseYamlIgnore(text: string, file: string): IgnoreRule[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new InputFileError(
      'POLICY_FILE_INVALID',
      file,
      `not valid YAML: ${(err as Error).message}`,
      {
        cause: err,
        remedy: REMEDY,
      },
    );
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new InputFileError('POLICY_FILE_INVALID', file, 'the top level is not a mapping', {
      remedy: REMEDY,
    });
  }
  const rules: IgnoreRule[] = [];
  for (const [section, entries] of Object.entries(doc as Record<string, unknown>)) {
    const kind = YAML_SECTIONS[section];
    if (kind === undefined) {
      throw new InputFileError('POLICY_FILE_INVALID', file, `unknown section "${section}"`, {
        remedy: REMEDY,
      });
    }
    if (entries === null) continue;
    if (!Array.isArray(entries)) {
      throw new InputFileError('POLICY_FILE_INVALID', file, `"${section}" is not a list`, {
        remedy: REMEDY,
      });
    }
    for (const [i, entry] of entries.entries()) {
      const where = `${section}[${i}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
        throw new InputFileError('POLICY_FILE_INVALID', file, `${where} is not a mapping`, {
          remedy: REMEDY,
        });
      }
      const e = entry as Record<string, unknown>;
      if (typeof e['id'] !== 'string' || e['id'].trim() === '') {
        throw new InputFileError('POLICY_FILE_INVALID', file, `${where} has no "id"`, {
          remedy: REMEDY,
        });
      }
      const list = (key: string): string[] => {
        const v = e[key];
        if (v === undefined || v === null) return [];
        if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
          throw new InputFileError(
            'POLICY_FILE_INVALID',
            file,
            `${where}.${key} is not a list of strings`,
            {
              remedy: REMEDY,
            },
          );
        }
        return v as string[];
      };
      const pathTexts = list('paths');
      const purls = list('purls').map((p) => {
        const parsed = parsePurl(p);
        if (!parsed) {
          throw new InputFileError(
            'POLICY_FILE_INVALID',
            file,
            `${where}.purls: "${p}" is not a package URL`,
            {
              remedy: 'write purls as pkg:type/namespace/name[@version]',
            },
          );
        }
        return parsed;
      });
      const rawExp = e['expired_at'];
      // YAML parses an unquoted 2024-01-01 as a string with the default schema; accept Dates too.
      const expText =
        rawExp instanceof Date
          ? rawExp.toISOString()
          : typeof rawExp === 'string'
            ? rawExp
            : undefined;
      if (rawExp !== undefined && rawExp !== null && expText === undefined) {
        throw new InputFileError('POLICY_FILE_INVALID', file, `${where}.expired_at is not a date`, {
          remedy: 'write dates as YYYY-MM-DD',
        });
      }
      const expiresAt =
        expText === undefined ? undefined : checkDate(file, `${where}.expired_at`, expText);
      const statement = typeof e['statement'] === 'string' ? e['statement'] : undefined;
      rules.push({
        file,
        id: e['id'].trim(),
        kinds: [kind],
        paths: pathTexts.map(globToRegExp),
        pathTexts,
        purls,
        ...(expiresAt && { expiresAt }),
        ...(statement && { statement }),
      });
    }
  }
  return rules;
}

/** Has the rule expired at `now`? A rule is valid through the whole of its `expired_at` day. */
export function isExpired(rule: IgnoreRule, now: Date): boolean {
  if (rule.expiresAt === undefined) return false;
  return now.getTime() >= Date.parse(`${rule.expiresAt}T00:00:00Z`) + 86_400_000;
}

function idMatches(rule: IgnoreRule, f: Finding): boolean {
  if (rule.id === f.id) return true;
  if (f.kind === 'misconfiguration') {
    const key = checkIdKey(rule.id);
    return key === checkIdKey(f.id) || (f.avdId !== undefined && key === checkIdKey(f.avdId));
  }
  return false;
}

/** The file paths a rule's `paths` are matched against, per finding class. */
function findingPaths(f: Finding): (string | undefined)[] {
  switch (f.kind) {
    case 'vulnerability':
      return [f.pkgPath, f.target];
    case 'license':
      return [f.filePath, f.target];
    default:
      return [f.target];
  }
}

/** Does this (unexpired) rule cover the finding? */
export function ruleMatches(rule: IgnoreRule, f: Finding): boolean {
  if (rule.kinds && !rule.kinds.includes(f.kind)) return false;
  if (!idMatches(rule, f)) return false;
  if (rule.paths.length > 0 && !pathMatches(rule.paths, findingPaths(f))) return false;
  if (rule.purls.length > 0) {
    const purl = f.kind === 'vulnerability' && f.purl ? parsePurl(f.purl) : undefined;
    if (!purl || !rule.purls.some((p) => purlMatches(p, purl))) return false;
  }
  return true;
}
