/**
 * The one place external commands run. No shell ever: the command and its arguments go to
 * `spawn` as an argv array, so nothing from an input can be interpreted by a shell. The
 * child's environment is exactly the `env` given (callers build it from the runner's
 * environment once, up front). A timeout kills the process; stderr is kept as a bounded tail
 * for error messages and streamed line by line to an optional observer.
 */
import { spawn } from 'node:child_process';

/** Lines of stderr kept for error messages. */
export const STDERR_TAIL_LINES = 20;
/** Stdout kept in memory at most; a child that writes more is killed. */
export const MAX_STDOUT_BYTES = 64 * 1024 * 1024;
/** After SIGTERM on timeout, how long the child gets before SIGKILL. */
const KILL_GRACE_MS = 5_000;

export interface ExecRequest {
  readonly command: string;
  readonly args: readonly string[];
  /** The child's complete environment. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Kill the process after this many milliseconds. */
  readonly timeoutMs?: number;
  /** Called with each complete stderr line, as it arrives. */
  readonly onStderrLine?: (line: string) => void;
}

export interface ExecResult {
  /** null when the process was ended by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  /** The last {@link STDERR_TAIL_LINES} lines of stderr. */
  readonly stderrTail: readonly string[];
  readonly timedOut: boolean;
  /** Stdout passed {@link MAX_STDOUT_BYTES} and the process was killed. */
  readonly stdoutOverflow: boolean;
  readonly durationMs: number;
}

/** Runs one command. Rejects only when the process cannot be started (e.g. ENOENT). */
export type Exec = (request: ExecRequest) => Promise<ExecResult>;

/** Keeps the last `max` lines of a stream that arrives in arbitrary chunks. */
class LineTail {
  private partial = '';
  readonly lines: string[] = [];
  constructor(
    private readonly max: number,
    private readonly onLine?: (line: string) => void,
  ) {}

  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.add(line);
  }

  end(): void {
    if (this.partial !== '') this.add(this.partial);
    this.partial = '';
  }

  private add(line: string): void {
    this.onLine?.(line);
    this.lines.push(line);
    if (this.lines.length > this.max) this.lines.shift();
  }
}

export const exec: Exec = (request) =>
  new Promise<ExecResult>((resolve, reject) => {
    const started = performance.now();
    const child = spawn(request.command, [...request.args], {
      env: { ...request.env },
      ...(request.cwd !== undefined && { cwd: request.cwd }),
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const stdout: Buffer[] = [];
    let stdoutBytes = 0;
    let stdoutOverflow = false;
    let timedOut = false;
    const tail = new LineTail(STDERR_TAIL_LINES, request.onStderrLine);
    let killTimer: NodeJS.Timeout | undefined;

    const terminate = (): void => {
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer =
      request.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            terminate();
          }, request.timeoutMs);

    child.stdout.on('data', (chunk: Buffer) => {
      if (stdoutOverflow) return;
      stdoutBytes += chunk.length;
      if (stdoutBytes > MAX_STDOUT_BYTES) {
        stdoutOverflow = true;
        terminate();
        return;
      }
      stdout.push(chunk);
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => tail.push(chunk));

    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      tail.end();
      resolve({
        exitCode: code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderrTail: tail.lines,
        timedOut,
        stdoutOverflow,
        durationMs: Math.round(performance.now() - started),
      });
    });
  });
