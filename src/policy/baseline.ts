/**
 * Baseline diff: each current finding is marked new or unchanged against the baseline
 * reports (`baseline-report`, or a scan of `baseline-image`), and the baseline findings that
 * are gone are the fixed ones. Pure.
 *
 * Identity is `findingKey` (model.ts) with two normalisations a baseline needs: OS package
 * results are named after the image and its OS version (`app:pr-1 (alpine 3.18.4)` vs
 * `app:main (alpine 3.18.2)`), so their target becomes the OS family; and misconfiguration
 * IDs use the AVD ID when the report has one (`DS002` before Trivy 0.69, `DS-0002` after).
 */
import { isFailing, type Decision, type Finding, type ScanReport } from '../model.js';
import { artifactIdentity, baselineKey } from './identity.js';

export { baselineKey } from './identity.js';

/**
 * Keys per artifact. A current finding is compared with the baseline findings of the same
 * artifact when the baseline has that artifact; otherwise (a baseline scanned under another
 * name, e.g. `.` vs an absolute path) with all of the baseline.
 */
class KeyIndex {
  private readonly byArtifact = new Map<string, Set<string>>();
  private readonly all = new Set<string>();

  constructor(findings: Iterable<Finding>) {
    for (const f of findings) {
      const key = baselineKey(f);
      const artifact = artifactIdentity(f);
      let set = this.byArtifact.get(artifact);
      if (set === undefined) {
        set = new Set();
        this.byArtifact.set(artifact, set);
      }
      set.add(key);
      this.all.add(key);
    }
  }

  has(f: Finding): boolean {
    const scoped = this.byArtifact.get(artifactIdentity(f));
    return (scoped ?? this.all).has(baselineKey(f));
  }
}

export interface BaselineOptions {
  /** `fail-on-new-only`: only new findings count toward the gate. */
  readonly failOnNewOnly: boolean;
  /**
   * Which baseline findings could have been reported at all (the `severity` filter): a
   * baseline finding outside it is never shown as fixed. @default every finding
   */
  readonly isReportable?: (f: Finding) => boolean;
}

export interface BaselineDiff {
  readonly decisions: readonly Decision[];
  /** Baseline findings that no current finding matches. */
  readonly fixed: readonly Finding[];
  readonly newCount: number;
}

/**
 * Mark every decision new/unchanged and recompute `gated` (counted, and new when
 * `fail-on-new-only`). A finding counts as present now whatever policy decided about it, so a
 * suppressed or filtered finding is never reported as fixed.
 */
export function applyBaseline(
  decisions: readonly Decision[],
  baseline: readonly ScanReport[],
  opts: BaselineOptions,
): BaselineDiff {
  const baselineFindings = baseline.flatMap((r) => r.findings).filter(isFailing);
  const before = new KeyIndex(baselineFindings);
  const now = new KeyIndex(decisions.map((d) => d.finding).filter(isFailing));
  let newCount = 0;
  const marked = decisions.map((d): Decision => {
    const state = before.has(d.finding) ? 'unchanged' : 'new';
    if (state === 'new' && d.counted) newCount += 1;
    return { ...d, baseline: state, gated: d.counted && (!opts.failOnNewOnly || state === 'new') };
  });
  const reportable = opts.isReportable ?? (() => true);
  const seen = new Set<string>();
  const fixed = baselineFindings.filter((f) => {
    if (!reportable(f) || now.has(f)) return false;
    const key = `${artifactIdentity(f)}|${baselineKey(f)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return { decisions: marked, fixed, newCount };
}
