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
  // The CycloneDX library's optional XML plug-ins: never used (we write JSON), never installed.
  external: ['libxmljs2', 'xmlbuilder2'],
  logLevel: 'warning',
};

// The action: one self-contained file, as action.yml runs it.
await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir,
  banner: { js: requireShim },
});
// The CLI: its own file (the action's entry runs on import, so they cannot share one);
// minified, since nothing reads it in a diff and it would double dist/ otherwise.
await build({
  ...common,
  entryPoints: { cli: 'src/cli-main.ts' },
  outdir,
  minify: true,
  banner: { js: `#!/usr/bin/env node\n${requireShim}` },
});
