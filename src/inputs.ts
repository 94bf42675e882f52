/**
 * The action's inputs, by their kebab-case names (the contract with users; action.yml declares
 * exactly these, a test keeps the two in step). Defaults live in action.yml and in
 * `INPUT_DEFAULTS` for the CLI, which has no runner to fill them in.
 */
export const INPUT_DEFAULTS = {
  image: '',
  'image-archive': '',
  config: '',
  fs: '',
  'trivy-reports': '',
  dockerfile: '',
  scanners: 'vuln,secret',
  severity: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
  'fail-on': 'high',
  'fail-on-new-only': 'false',
  'ignore-unfixed': 'false',
  'ignore-file': '',
  vex: '',
  'baseline-report': '',
  'baseline-image': '',
  sarif: '',
  'upload-sarif': 'true',
  'sarif-category': '',
  'pr-comment': 'true',
  'comment-key': '',
  summary: 'true',
  annotations: 'true',
  sbom: 'cyclonedx',
  'sbom-file': '',
  'sbom-vulnerabilities': 'false',
  'cyclonedx-version': '1.6',
  'upload-artifact': 'true',
  'dependency-snapshot': 'false',
  sign: 'false',
  'attest-sbom': '',
  'attest-vuln': 'false',
  'signature-format': 'legacy',
  'verify-identity': '',
  'verify-issuer': 'https://token.actions.githubusercontent.com',
  'fulcio-url': '',
  'rekor-url': '',
  'tsa-url': '',
  'trusted-root': '',
  'registry-username': '',
  'registry-password': '',
  'trivy-version': '',
  'trivy-allow-unsigned': 'false',
  'trivy-config': '',
  cache: 'true',
  'db-repository': '',
  'github-token': '',
} as const;

export type InputName = keyof typeof INPUT_DEFAULTS;
export const INPUT_NAMES = Object.keys(INPUT_DEFAULTS) as InputName[];

/** Every input as the runner (or the CLI) hands it over: trimmed strings, '' when unset. */
export type RawInputs = Readonly<Record<InputName, string>>;

/** Inputs whose values are secrets: masked in logs, never echoed. */
export const SECRET_INPUTS: readonly InputName[] = ['registry-password', 'github-token'];

/** The runner's environment as the action uses it, read once by the entry point. */
export interface RunEnvironment {
  readonly workspace: string;
  readonly tempDir: string;
  readonly eventName?: string;
  readonly eventPath?: string;
  readonly repository?: string;
  readonly sha?: string;
  readonly ref?: string;
  readonly job?: string;
  readonly runId?: string;
  readonly runAttempt?: string;
  readonly workflowRef?: string;
  readonly serverUrl: string;
  readonly apiUrl: string;
  readonly runnerOs?: string;
  readonly runnerArch?: string;
  readonly idTokenRequestUrl?: string;
  readonly idTokenRequestToken?: string;
  /** `GITHUB_WORKFLOW`: the workflow's name (dependency snapshot correlator). */
  readonly workflow?: string;
  /** `GITHUB_ACTION_REPOSITORY`: where this action comes from (detector URL). */
  readonly actionRepository?: string;
  /** `SOURCE_DATE_EPOCH` in seconds: pins timestamps in generated documents. */
  readonly sourceDateEpoch?: number;
  /** Whether this is running inside GitHub Actions (the CLI says false). */
  readonly inActions: boolean;
}
