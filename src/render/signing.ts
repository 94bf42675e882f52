/**
 * The signing and verification parts of the job summary, pure: the digest and references, the
 * Rekor log index, a ready-to-run `cosign verify` command and a Kyverno `verifyImages` policy
 * for the signing identity, and (verify mode) every signature found with why it was rejected.
 */
import { stringify } from 'yaml';
import { escapeRegExp } from '../policy/match.js';

const PUBLIC_GOOD_REKOR = 'https://rekor.sigstore.dev';

export interface SigningSummary {
  /** `registry/repo@sha256:…` */
  readonly imageRef: string;
  readonly imageDigest: string;
  readonly signatureRef: string;
  readonly attestationRefs: readonly string[];
  readonly rekorLogIndex?: number;
  /** The certificate SAN and OIDC issuer of the run. */
  readonly identity: { readonly subject: string; readonly issuer: string };
  readonly format: 'legacy' | 'bundle';
  /** Predicate types attested in this run. */
  readonly predicateTypes: readonly string[];
  /** Rekor URL when not public-good. */
  readonly rekorUrl?: string;
}

/** One signature or attestation found in verify mode, and the verdict on it. */
export interface VerifiedRow {
  readonly kind: 'signature' | 'attestation';
  readonly format: 'legacy' | 'bundle';
  /** Where it was found: `repo:sha256-….sig` or the referrer manifest digest. */
  readonly source: string;
  readonly predicateType?: string;
  readonly subject?: string;
  readonly issuer?: string;
  readonly rekorLogIndex?: number;
  readonly ok: boolean;
  /** Why it was rejected; absent when ok. */
  readonly reason?: string;
}

export interface VerifySummary {
  readonly imageRef: string;
  readonly identity: string;
  readonly issuer: string;
  readonly passed: boolean;
  readonly signatures: readonly VerifiedRow[];
  readonly attestations: readonly VerifiedRow[];
  readonly missingAttestations: readonly string[];
}

/** Text from certificates and registries is untrusted: neutralise Markdown/HTML in table cells. */
export function escapeCell(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~!])/g, '\\$1');
}

/** A code span safe inside a table cell (GFM reads `\|` there even in code). */
function code(text: string): string {
  const clean = text.replace(/[\r\n]+/g, ' ').replace(/\|/g, '\\|');
  return clean.includes('`') ? `\`\` ${clean} \`\`` : `\`${clean}\``;
}

/** POSIX shell single-quoting. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * Identity patterns for a SAN: a GitHub workflow identity is matched at any ref
 * (`…/release.yml@*`), anything else exactly.
 */
export function identityPatterns(subject: string): { regexp: string; glob: string } {
  const at = subject.lastIndexOf('@');
  if (subject.startsWith('https://') && at > 0) {
    const base = subject.slice(0, at + 1);
    return { regexp: `^${escapeRegExp(base)}`, glob: `${base}*` };
  }
  return { regexp: `^${escapeRegExp(subject)}$`, glob: subject };
}

/** cosign's short `--type` for a predicate type (the URI itself works too). */
export function cosignType(predicateType: string): string {
  switch (predicateType) {
    case 'https://cyclonedx.org/bom':
      return 'cyclonedx';
    case 'https://spdx.dev/Document':
      return 'spdxjson';
    case 'https://cosign.sigstore.dev/attestation/vuln/v1':
      return 'vuln';
    default:
      return predicateType;
  }
}

export function cosignVerifyCommands(s: SigningSummary): string[] {
  const { regexp } = identityPatterns(s.identity.subject);
  const common = [
    `--certificate-identity-regexp ${shellQuote(regexp)}`,
    `--certificate-oidc-issuer ${shellQuote(s.identity.issuer)}`,
    ...(s.rekorUrl && s.rekorUrl !== PUBLIC_GOOD_REKOR
      ? [`--rekor-url ${shellQuote(s.rekorUrl)}`]
      : []),
  ];
  const cmds = [['cosign verify', ...common, shellQuote(s.imageRef)].join(' \\\n  ')];
  for (const t of s.predicateTypes) {
    cmds.push(
      [
        'cosign verify-attestation',
        `--type ${shellQuote(cosignType(t))}`,
        ...common,
        shellQuote(s.imageRef),
      ].join(' \\\n  '),
    );
  }
  return cmds;
}

function repositoryOf(imageRef: string): string {
  return imageRef.replace(/@sha256:[a-f0-9]{64}$/, '').replace(/:[\w][\w.-]*$/, '');
}

/** A Kyverno ClusterPolicy that admits only images signed (and attested) by this identity. */
export function kyvernoPolicy(s: SigningSummary): string {
  const repo = repositoryOf(s.imageRef);
  const { regexp, glob } = identityPatterns(s.identity.subject);
  const keyless: Record<string, unknown> =
    s.format === 'bundle'
      ? { subjectRegExp: regexp, issuer: s.identity.issuer }
      : { subject: glob, issuer: s.identity.issuer };
  if (s.rekorUrl && s.rekorUrl !== PUBLIC_GOOD_REKOR) keyless.rekor = { url: s.rekorUrl };
  const attestors = [{ entries: [{ keyless }] }];
  const name = `verify-${
    repo
      .split('/')
      .pop()
      ?.replace(/[^a-z0-9-]/g, '-') ?? 'image'
  }`.slice(0, 63);
  const policy = {
    apiVersion: 'kyverno.io/v1',
    kind: 'ClusterPolicy',
    metadata: { name },
    spec: {
      webhookConfiguration: { failurePolicy: 'Fail', timeoutSeconds: 30 },
      background: false,
      rules: [
        {
          name: 'signed-by-release-workflow',
          match: { any: [{ resources: { kinds: ['Pod'] } }] },
          verifyImages: [
            {
              imageReferences: [`${repo}*`],
              type: s.format === 'bundle' ? 'SigstoreBundle' : 'Cosign',
              failureAction: 'Enforce',
              mutateDigest: true,
              verifyDigest: true,
              required: true,
              attestors,
              ...(s.predicateTypes.length > 0 && {
                attestations: s.predicateTypes.map((type) => ({ type, attestors })),
              }),
            },
          ],
        },
      ],
    },
  };
  // No &anchors / *aliases for the shared attestors: the policy is read and edited by people.
  return stringify(policy, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** The summary section after signing. */
export function renderSigningSummary(s: SigningSummary): string {
  const rows = [
    ['Image', code(s.imageRef)],
    ['Digest', code(s.imageDigest)],
    ['Signature', code(s.signatureRef)],
    ...s.attestationRefs.map((r, i) => [i === 0 ? 'Attestations' : '', code(r)]),
    [
      'Format',
      s.format === 'legacy' ? 'cosign `.sig`/`.att` tags' : 'Sigstore bundle referrers (OCI 1.1)',
    ],
    ['Signer', code(s.identity.subject)],
    ['Issuer', code(s.identity.issuer)],
  ];
  if (s.rekorLogIndex !== undefined) {
    const publicGood = !s.rekorUrl || s.rekorUrl === PUBLIC_GOOD_REKOR;
    rows.push([
      'Rekor log index',
      publicGood
        ? `[${s.rekorLogIndex}](https://search.sigstore.dev/?logIndex=${s.rekorLogIndex})`
        : String(s.rekorLogIndex),
    ]);
  }
  return [
    '### Signed image',
    '',
    '| | |',
    '|---|---|',
    ...rows.map(([k, v]) => `| ${k} | ${v} |`),
    '',
    '<details><summary>Verify with cosign</summary>',
    '',
    '```sh',
    cosignVerifyCommands(s).join('\n\n'),
    '```',
    '',
    '</details>',
    '',
    '<details><summary>Kyverno policy</summary>',
    '',
    '```yaml',
    kyvernoPolicy(s).trimEnd(),
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
}

function row(r: VerifiedRow): string {
  const what =
    r.kind === 'signature'
      ? 'signature'
      : `attestation ${r.predicateType ? code(r.predicateType) : ''}`;
  return `| ${r.ok ? '✅' : '❌'} | ${what} | ${r.format} | ${r.subject ? escapeCell(r.subject) : '—'} | ${
    r.rekorLogIndex ?? '—'
  } | ${r.ok ? 'verified' : escapeCell(r.reason ?? 'rejected')} |`;
}

/** The summary section in verify mode: every signature found, and why rejected ones were. */
export function renderVerifySummary(v: VerifySummary): string {
  const all = [...v.signatures, ...v.attestations];
  const lines = [
    `### Signature verification: ${v.passed ? 'passed' : 'failed'}`,
    '',
    `Image ${code(v.imageRef)}, identity ${code(v.identity)}, issuer ${code(v.issuer)}.`,
    '',
  ];
  if (all.length === 0) {
    lines.push(
      'No signatures or attestations were found (neither `.sig`/`.att` tags nor bundle referrers).',
      '',
    );
  } else {
    lines.push(
      '| | kind | format | signer | Rekor index | result |',
      '|---|---|---|---|---|---|',
      ...all.map(row),
      '',
    );
  }
  if (!v.signatures.some((s) => s.ok))
    lines.push('No signature matches the identity and issuer.', '');
  for (const t of v.missingAttestations)
    lines.push(`No verified attestation of type ${code(t)}.`, '');
  return lines.join('\n');
}
