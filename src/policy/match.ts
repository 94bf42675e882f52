/**
 * Small matchers shared by ignore rules and VEX: globs over paths, package URLs, and check IDs
 * across Trivy's two misconfiguration ID schemes; and the literal-text escape that identity
 * patterns (signers, Kyverno policies) are built with.
 */

/** `s` as a RegExp source that matches exactly `s`. */
export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Glob → RegExp: `**` crosses `/`, `*` and `?` do not. Anchored. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        i++;
        if (glob[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += escapeRegExp(c);
    }
  }
  return new RegExp(`^${re}$`);
}

export function stripDotSlash(p: string): string {
  return p.replace(/^(\.\/)+/, '').replace(/^\/+/, '');
}

export function pathMatches(
  globs: readonly RegExp[],
  candidates: readonly (string | undefined)[],
): boolean {
  return candidates.some(
    (c) => c !== undefined && c !== '' && globs.some((g) => g.test(stripDotSlash(c))),
  );
}

export interface PackageUrl {
  readonly type: string;
  readonly namespace?: string;
  readonly name: string;
  readonly version?: string;
  readonly qualifiers: Readonly<Record<string, string>>;
}

/** Parse `pkg:type/namespace/name@version?qualifiers#subpath` (purl-spec); undefined if not one. */
export function parsePurl(text: string): PackageUrl | undefined {
  const m = /^pkg:([^/]+)\/(.+)$/.exec(text.trim());
  if (!m) return undefined;
  let rest = m[2]!.replace(/#.*$/, '');
  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const pair of rest.slice(q + 1).split('&')) {
      const eq = pair.indexOf('=');
      if (eq > 0)
        qualifiers[pair.slice(0, eq).toLowerCase()] = decodeURIComponent(pair.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    version = decodeURIComponent(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.split('/').map((p) => decodeURIComponent(p));
  const name = parts.pop() ?? '';
  if (name === '') return undefined;
  const namespace = parts.length > 0 ? parts.join('/') : undefined;
  return {
    type: m[1]!.toLowerCase(),
    name,
    qualifiers,
    ...(namespace !== undefined && { namespace }),
    ...(version !== undefined && version !== '' && { version }),
  };
}

/**
 * Does `pattern` (from an ignore rule or VEX statement) match the package `actual`? Type,
 * namespace and name must be equal; version and qualifiers only where the pattern has them.
 */
export function purlMatches(pattern: PackageUrl, actual: PackageUrl): boolean {
  if (pattern.type !== actual.type) return false;
  const fold = (s: string | undefined) => (s ?? '').toLowerCase();
  if (fold(pattern.namespace) !== fold(actual.namespace)) return false;
  if (fold(pattern.name) !== fold(actual.name)) return false;
  if (pattern.version !== undefined && pattern.version !== actual.version) return false;
  for (const [k, v] of Object.entries(pattern.qualifiers)) {
    if (actual.qualifiers[k] !== v) return false;
  }
  return true;
}

/**
 * Misconfiguration check IDs in comparable form: `DS002`, `DS-0002` and `AVD-DS-0002` all
 * become `DS:2` (Trivy renamed its checks in 0.69; ignore files use either scheme).
 */
export function checkIdKey(id: string): string {
  const m = /^(?:AVD-)?([A-Za-z]+)-?0*(\d+)$/.exec(id.trim());
  return m ? `${m[1]!.toUpperCase()}:${Number(m[2])}` : id.trim().toUpperCase();
}
