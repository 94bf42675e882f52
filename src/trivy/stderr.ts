/**
 * Trivy's stderr on its way to the job log and to error messages. Pure.
 */

/**
 * Trivy's stderr can quote file names and image contents; a line that starts with `::` would
 * be read by the runner as a workflow command (set-output, add-mask ...) when logged.
 */
export function neutralize(line: string): string {
  return line.replace(/^(\s*):(?=:)/, '$1:\u200b');
}

/** Replaces each secret (3+ characters) with `***` wherever it appears in a line. */
export function redactor(secrets: readonly string[]): (line: string) => string {
  const live = secrets.filter((s) => s.length >= 3);
  return (line) => live.reduce((acc, s) => acc.split(s).join('***'), line);
}
