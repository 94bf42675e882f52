/**
 * The scan plan: Config → the list of Trivy runs, one per target. Pure; the order is the
 * order of the inputs (image, image-archive, config paths, fs paths, then the baseline image),
 * so logs and reports are stable from run to run.
 */
import type { PolicyConfig, Targets } from '../config.js';
import { parseImageReference } from '../oci/reference.js';

/** `primary` targets are the subject of the run; the `baseline` one feeds the baseline diff. */
export type TargetRole = 'primary' | 'baseline';

interface TargetBase {
  /** Unique within a plan; safe as a file name (`image-1`, `config-2`). */
  readonly id: string;
  /** What a human recognises: the reference or the path as the user wrote it. */
  readonly label: string;
  readonly role: TargetRole;
}

export type ScanTarget =
  | (TargetBase & { readonly kind: 'image'; readonly ref: string })
  | (TargetBase & { readonly kind: 'image-archive'; readonly path: string })
  | (TargetBase & { readonly kind: 'config'; readonly path: string })
  | (TargetBase & { readonly kind: 'fs'; readonly path: string });

export type TargetKind = ScanTarget['kind'];

/** A path given to Trivy must not be read as a flag; `./-x` still reaches the same file. */
function safePath(p: string): string {
  return p.startsWith('-') ? `./${p}` : p;
}

/** Builds the plan. Image references are validated here (ConfigError naming the input). */
export function planTargets(config: {
  readonly targets: Pick<Targets, 'image' | 'imageArchive' | 'config' | 'fs'>;
  readonly policy: Pick<PolicyConfig, 'baselineImage'>;
}): ScanTarget[] {
  const plan: ScanTarget[] = [];
  const count: Partial<Record<TargetKind, number>> = {};
  const nextId = (kind: TargetKind): string => {
    const n = (count[kind] ?? 0) + 1;
    count[kind] = n;
    return `${kind}-${n}`;
  };
  const { image, imageArchive, config: configPaths, fs } = config.targets;
  if (image !== undefined) {
    parseImageReference(image, 'image');
    plan.push({ kind: 'image', id: nextId('image'), label: image, role: 'primary', ref: image });
  }
  if (imageArchive !== undefined) {
    plan.push({
      kind: 'image-archive',
      id: nextId('image-archive'),
      label: imageArchive,
      role: 'primary',
      path: safePath(imageArchive),
    });
  }
  for (const p of configPaths) {
    plan.push({
      kind: 'config',
      id: nextId('config'),
      label: p,
      role: 'primary',
      path: safePath(p),
    });
  }
  for (const p of fs) {
    plan.push({ kind: 'fs', id: nextId('fs'), label: p, role: 'primary', path: safePath(p) });
  }
  const baseline = config.policy.baselineImage;
  if (baseline !== undefined) {
    parseImageReference(baseline, 'baseline-image');
    plan.push({
      kind: 'image',
      id: 'baseline-image',
      label: baseline,
      role: 'baseline',
      ref: baseline,
    });
  }
  return plan;
}

/** Whether any target reads the vulnerability DB (config scans only need the checks bundle). */
export function needsVulnDb(targets: readonly ScanTarget[]): boolean {
  return targets.some((t) => t.kind !== 'config');
}

/** `trivy image alpine:3.20`, `trivy config deploy/` — how a target is named in logs and errors. */
export function describeTarget(target: ScanTarget): string {
  const sub = target.kind === 'image-archive' ? 'image --input' : target.kind;
  const role = target.role === 'baseline' ? ' (baseline)' : '';
  return `trivy ${sub} ${target.label}${role}`;
}
