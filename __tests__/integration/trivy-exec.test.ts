/** exec.ts against real child processes (node itself, so no shell is involved anywhere). */
import { describe, expect, it } from 'vitest';
import { exec, STDERR_TAIL_LINES } from '../../src/exec.js';

const node = process.execPath;
const env = { PATH: process.env.PATH ?? '' };

describe('exec', () => {
  it('hands arguments over verbatim: shell syntax in an argument is just text', async () => {
    const hostile = '$(touch /tmp/pwned); `id` && echo "x" | cat > /dev/null; *';
    const r = await exec({
      command: node,
      args: ['-e', 'process.stdout.write(JSON.stringify(process.argv.slice(1)))', hostile, ''],
      env,
    });
    expect(r.exitCode).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([hostile, '']);
  });

  it('gives the child exactly the environment passed, nothing inherited', async () => {
    const r = await exec({
      command: node,
      args: ['-e', 'process.stdout.write(JSON.stringify(Object.keys(process.env).sort()))'],
      env: { ONLY_THIS: '1' },
    });
    // node may add nothing of its own; the parent's variables (HOME, PATH...) must be absent
    expect(JSON.parse(r.stdout)).toEqual(['ONLY_THIS']);
  });

  it('reports the exit code and keeps only the last stderr lines', async () => {
    const r = await exec({
      command: node,
      args: ['-e', 'for (let i = 1; i <= 50; i++) console.error("line " + i); process.exit(3)'],
      env,
    });
    expect(r.exitCode).toBe(3);
    expect(r.timedOut).toBe(false);
    expect(r.stderrTail).toHaveLength(STDERR_TAIL_LINES);
    expect(r.stderrTail.at(-1)).toBe('line 50');
    expect(r.stderrTail[0]).toBe(`line ${51 - STDERR_TAIL_LINES}`);
  });

  it('streams stderr lines to the observer as they come', async () => {
    const seen: string[] = [];
    await exec({
      command: node,
      args: [
        '-e',
        'process.stderr.write("a\\nb"); setTimeout(() => process.stderr.write("c\\n"), 20)',
      ],
      env,
      onStderrLine: (l) => seen.push(l),
    });
    expect(seen).toEqual(['a', 'bc']);
  });

  it('kills a process that outlives its timeout', async () => {
    const r = await exec({
      command: node,
      args: ['-e', 'setTimeout(() => {}, 60_000)'],
      env,
      timeoutMs: 300,
    });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode).toBeNull();
    expect(r.signal).toBe('SIGTERM');
    expect(r.durationMs).toBeLessThan(10_000);
  });

  it('rejects when the command does not exist', async () => {
    await expect(exec({ command: '/nonexistent/trivy', args: [], env })).rejects.toThrow(/ENOENT/);
  });
});
