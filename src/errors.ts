/**
 * The action's errors. Each carries a `code` from a closed union and, where one exists, the
 * `cause`. `main.ts` is the only place that turns one into a failed step; the CLI maps codes
 * to exit codes.
 */

export type ErrorCode =
  | 'CONFIG_INVALID' // an input has a bad value
  | 'REPORT_INVALID' // a report file is not a Trivy JSON report
  | 'POLICY_FILE_INVALID' // ignore file or VEX document cannot be read
  | 'TRIVY_INSTALL_FAILED'
  | 'TRIVY_VERIFY_FAILED'
  | 'TRIVY_SCAN_FAILED'
  | 'OUTPUT_WRITE_FAILED'
  | 'GITHUB_API_FAILED'
  | 'REGISTRY_FAILED'
  | 'SIGNING_FAILED'
  | 'VERIFY_FAILED'
  | 'SBOM_INVALID'
  | 'INTERNAL';

export class GuardError extends Error {
  readonly code: ErrorCode;
  /** What the user can do about it, printed after the message. */
  readonly remedy: string | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; remedy?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GuardError';
    this.code = code;
    this.remedy = options.remedy;
  }
}

/** A bad input value: the message always names the kebab-case input. */
export class ConfigError extends GuardError {
  readonly input: string;
  constructor(input: string, message: string, remedy?: string) {
    super('CONFIG_INVALID', `${input}: ${message}`, remedy === undefined ? {} : { remedy });
    this.name = 'ConfigError';
    this.input = input;
  }
}

/** A report or document file that cannot be used: names the file and what is wrong. */
export class InputFileError extends GuardError {
  readonly file: string;
  constructor(
    code: 'REPORT_INVALID' | 'POLICY_FILE_INVALID',
    file: string,
    message: string,
    options: { cause?: unknown; remedy?: string } = {},
  ) {
    super(code, `${file}: ${message}`, options);
    this.name = 'InputFileError';
    this.file = file;
  }
}

/** The message of anything thrown (an Error's message, else its string form). */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** One line for logs: the message, the cause's message when it adds something, the remedy. */
export function describeError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const parts = [err.message];
  const cause = err.cause;
  if (cause instanceof Error && cause.message && !err.message.includes(cause.message)) {
    parts.push(`(cause: ${cause.message})`);
  }
  if (err instanceof GuardError && err.remedy) parts.push(`— ${err.remedy}`);
  return parts.join(' ');
}
