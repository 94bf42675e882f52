// Fails when the committed dist/ differs from a fresh build of src/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'check-dist-'));
try {
  execFileSync(process.execPath, ['scripts/build.mjs', tmp], { stdio: 'inherit' });
  const fresh = readdirSync(tmp).sort();
  const committed = readdirSync('dist').sort();
  const problems = [];
  if (fresh.join() !== committed.join())
    problems.push(`files differ: dist has [${committed}], a build gives [${fresh}]`);
  for (const f of fresh) {
    if (
      committed.includes(f) &&
      !readFileSync(path.join(tmp, f)).equals(readFileSync(path.join('dist', f)))
    ) {
      problems.push(`dist/${f} differs from a fresh build`);
    }
  }
  if (problems.length > 0) {
    console.error(`check-dist: ${problems.join('; ')}.\nRun \`npm run build\` and commit dist/.`);
    process.exit(1);
  }
  console.log(`check-dist: dist/ matches a fresh build (${fresh.join(', ')})`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
