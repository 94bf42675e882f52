#!/usr/bin/env node
// TEST STAND-IN FOR TRIVY — not Trivy, scans nothing. It records how it was called (argv,
// the TRIVY_* environment, cwd, start and end times) and replays a report chosen by the
// test, with a chosen exit code, delay and stderr. Configured by the JSON file named in
// $TRIVY_STAND_IN_CONFIG:
//   { "recordDir": dir, "version": "0.75.0",
//     "targets": { "<target>": { "report": file, "exitCode": n, "delayMs": n,
//                                "stderr": [lines], "garbage": bool } },
//     "db": { "rateLimitedFirst": n, "counterFile": file, "errorLines": [lines] } }
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const argv = process.argv.slice(2);
const configFile = process.env.TRIVY_STAND_IN_CONFIG;
const config =
  configFile && existsSync(configFile) ? JSON.parse(readFileSync(configFile, 'utf8')) : {};
const started = Date.now();

function flag(name) {
  const i = argv.indexOf(name);
  return i === -1 ? undefined : argv[i + 1];
}

function record(extra) {
  if (!config.recordDir) return;
  mkdirSync(config.recordDir, { recursive: true });
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([k]) => k.startsWith('TRIVY_')),
  );
  const entry = {
    argv,
    env,
    envNames: Object.keys(process.env).sort(),
    cwd: process.cwd(),
    pid: process.pid,
    start: started,
    end: Date.now(),
    ...extra,
  };
  writeFileSync(
    path.join(config.recordDir, `${process.pid}-${started}.json`),
    JSON.stringify(entry),
  );
}

if (argv[0] === '--version' || argv[0] === 'version') {
  process.stdout.write(`Version: ${config.version ?? '0.75.0'}\n`);
  process.exit(0);
}

if (argv.includes('--download-db-only') || argv.includes('--download-java-db-only')) {
  const db = config.db ?? {};
  let attempt = 1;
  if (db.counterFile) {
    appendFileSync(db.counterFile, 'x');
    attempt = readFileSync(db.counterFile, 'utf8').length;
  }
  if (attempt <= (db.rateLimitedFirst ?? 0)) {
    process.stderr.write(
      'FATAL\tinit error: DB error: failed to download vulnerability DB: OCI repository error: GET https://ghcr.io/v2/aquasecurity/trivy-db/manifests/2: TOOMANYREQUESTS: retry-after: 118.711µs, allowed: 44000/minute\n',
    );
    record({ exitCode: 1 });
    process.exit(1);
  }
  if (db.errorLines) {
    for (const line of db.errorLines) process.stderr.write(`${line}\n`);
    record({ exitCode: 1 });
    process.exit(1);
  }
  const dir = path.join(
    flag('--cache-dir'),
    argv.includes('--download-db-only') ? 'db' : 'java-db',
  );
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'stand-in.db'), 'stand-in database, not a Trivy DB\n');
  record({ exitCode: 0 });
  process.exit(0);
}

const dashes = argv.indexOf('--');
const target = dashes === -1 ? flag('--input') : argv[dashes + 1];
const plan = (config.targets ?? {})[target] ?? {};
await sleep(plan.delayMs ?? 0);
for (const line of plan.stderr ?? []) process.stderr.write(`${line}\n`);
const exitCode = plan.exitCode ?? 0;
const output = flag('--output');
if (exitCode === 0 && output) {
  writeFileSync(
    output,
    plan.garbage ? 'panic: this is not JSON\n' : readFileSync(plan.report ?? '/dev/null'),
  );
}
record({ exitCode, target });
process.exit(exitCode);
