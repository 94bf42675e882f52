/**
 * Loggers for the two entry points. Report text reaches logs, so every line is neutralised:
 * a line starting with `::` would be read by the runner as a workflow command.
 */
import type { Logger } from './main.js';

export function neutralise(message: string): string {
  return message.replace(/(^|\n)(\s*)::/g, '$1$2:\u200b:');
}

/** The runner's log, through @actions/core (passed in so this file stays import-light). */
export interface CoreLike {
  info(m: string): void;
  warning(m: string): void;
  error(m: string): void;
  debug(m: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export function actionsLogger(core: CoreLike): Logger {
  return {
    info: (m) => core.info(neutralise(m)),
    warning: (m) => core.warning(neutralise(m)),
    error: (m) => core.error(neutralise(m)),
    debug: (m) => core.debug(neutralise(m)),
    group: (name, fn) => core.group(neutralise(name), fn),
  };
}

/** The terminal: info to stderr (stdout carries the table), debug only when asked. */
export function terminalLogger(opts: { verbose: boolean; write: (line: string) => void }): Logger {
  const w = (prefix: string) => (m: string) => opts.write(`${prefix}${neutralise(m)}`);
  return {
    info: opts.verbose ? w('') : () => undefined,
    warning: w('warning: '),
    error: w('error: '),
    debug: opts.verbose ? w('debug: ') : () => undefined,
    group: async (name, fn) => {
      if (opts.verbose) opts.write(`── ${neutralise(name)}`);
      return fn();
    },
  };
}
