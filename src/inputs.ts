/**
 * The action's inputs, by their kebab-case names (the contract with users; action.yml declares
 * exactly these, a test keeps the two in step). Defaults live in action.yml and in
 * `INPUT_DEFAULTS` for the CLI, which has no runner to fill them in. A capability that is not
 * built yet defaults to off (see NOT_IMPLEMENTED in config.ts), so a default run never trips it.
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
  'upload-sarif': 'false',
  'sarif-category': '',
  'pr-comment': 'false',
  'comment-key': '',
  summary: 'true',
  annotations: 'false',
  sbom: 'none',
  'sbom-file': '',
  'sbom-vulnerabilities': 'false',
  'upload-artifact': 'false',
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
  /** `SOURCE_DATE_EPOCH` in seconds: pins timestamps in generated documents. */
  readonly sourceDateEpoch?: number;
  /** Whether this is running inside GitHub Actions (the CLI says false). */
  readonly inActions: boolean;
}
