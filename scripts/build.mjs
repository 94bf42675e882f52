// Bundles the action (dist/index.js) and the CLI (dist/cli.js) into one ESM file each.
// `node scripts/build.mjs [outdir]`: check-dist builds into a temp dir and compares.
import { build } from 'esbuild';
import path from 'node:path';

const outdir = path.resolve(process.argv[2] ?? 'dist');
// Bundled CommonJS dependencies call require(); ESM output needs one.
const requireShim =
  "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);";

const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
};

await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir,
  banner: { js: requireShim },
});
await build({
  ...common,
  entryPoints: { cli: 'src/cli-main.ts' },
  outdir,
  banner: { js: `#!/usr/bin/env node\n${requireShim}` },
});
