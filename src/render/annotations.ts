/**
 * File/line annotations for config and secret findings. GitHub shows only the first few
 * annotations of each level per step (10 errors, 10 warnings, 10 notices; 50 per job), so the
 * most severe come first and the caller says how many were left out. Pure: main.ts hands
 * each record to core.error/warning/notice, which escapes the workflow command.
 */
import { severityRank, type Decision, type Severity } from '../model.js';
import { truncate } from './escape.js';
import { repoFilePath, type PathOptions } from './location.js';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  readonly level: AnnotationLevel;
  readonly title: string;
  readonly message: string;
  /** Repository-relative file. */
  readonly file: string;
  readonly startLine?: number;
  readonly endLine?: number;
}

export interface AnnotationSet {
  readonly annotations: readonly Annotation[];
  /** Config/secret findings that were not annotated because of the per-level limit. */
  readonly omitted: number;
}

/** What the runner displays per level and step. */
export const ANNOTATIONS_PER_LEVEL = 10;

export function annotationLevel(s: Severity): AnnotationLevel {
  if (s === 'CRITICAL' || s === 'HIGH') return 'error';
  if (s === 'MEDIUM') return 'warning';
  return 'notice';
}

export interface AnnotationOptions extends PathOptions {
  /** @default ANNOTATIONS_PER_LEVEL */
  readonly perLevel?: number;
}

/**
 * Counted (not filtered, not suppressed) misconfigurations and secrets that point at a file
 * in the repository, most severe first, at most `perLevel` per level.
 */
export function toAnnotations(
  decisions: readonly Decision[],
  opts: AnnotationOptions = {},
): AnnotationSet {
  const perLevel = opts.perLevel ?? ANNOTATIONS_PER_LEVEL;
  const candidates: { a: Annotation; rank: number; order: number }[] = [];
  decisions.forEach((d, order) => {
    const f = d.finding;
    if (!d.counted || (f.kind !== 'misconfiguration' && f.kind !== 'secret')) return;
    const file = repoFilePath(f, opts);
    if (file === undefined) return;
    const lines =
      f.startLine !== undefined && f.startLine > 0
        ? {
            startLine: f.startLine,
            ...(f.endLine !== undefined && f.endLine >= f.startLine && { endLine: f.endLine }),
          }
        : {};
    // A secret's message names the rule and category only, never the matched text.
    const message =
      f.kind === 'secret'
        ? `${f.severity} secret (${f.category}, rule ${f.id}): ${truncate(f.title, 200)}. Remove it and rotate the credential.`
        : `${f.severity} ${f.id}: ${truncate(f.message || f.title, 500)}${f.resolution ? ` Fix: ${truncate(f.resolution, 300)}` : ''}`;
    candidates.push({
      a: {
        level: annotationLevel(f.severity),
        title: truncate(`${f.id}: ${f.title}`, 120),
        message,
        file,
        ...lines,
      },
      rank: severityRank(f.severity),
      order,
    });
  });
  candidates.sort((x, y) => x.rank - y.rank || x.order - y.order);
  const used: Record<AnnotationLevel, number> = { error: 0, warning: 0, notice: 0 };
  const annotations: Annotation[] = [];
  let omitted = 0;
  for (const { a } of candidates) {
    if (used[a.level] >= perLevel) {
      omitted += 1;
      continue;
    }
    used[a.level] += 1;
    annotations.push(a);
  }
  return { annotations, omitted };
}
