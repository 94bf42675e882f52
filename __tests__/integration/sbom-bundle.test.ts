/**
 * The SBOM code inside a single-file ESM bundle, as dist/ ships it: built with esbuild (the
 * project's bundler, with the createRequire banner) into an empty temp directory without
 * node_modules, then run there with node. The CycloneDX library's validator must work
 * without its own schema files on disk.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(path.join(tmpdir(), 'scg-sbom-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SBOM build and validation in an esbuild ESM bundle', () => {
  it('builds, validates, and rejects an invalid document, with no node_modules around', async () => {
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        `import { buildAndValidateSbom, syntheticInventory } from ${JSON.stringify(path.join(root, 'bench/sbom.ts'))};`,
        `import { cycloneDxErrors } from ${JSON.stringify(path.join(root, 'src/sbom/validate.ts'))};`,
        'const r = await buildAndValidateSbom(syntheticInventory(400));',
        "const bad = await cycloneDxErrors(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.5', version: 'x' }), '1.5');",
        'console.log(JSON.stringify({ packages: r.packages, bad }));',
      ].join('\n'),
    );
    const outfile = path.join(dir, 'out', 'bundle.mjs');
    await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile,
      logLevel: 'silent',
      // The library's optional XML plug-ins; it catches their absence, and we write JSON only.
      external: ['libxmljs2', 'xmlbuilder2'],
      banner: {
        js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
      },
    });
    const run = spawnSync(process.execPath, [outfile], {
      cwd: path.dirname(outfile),
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({
      packages: 400,
      bad: ['/version: must be integer {"type":"integer"}'],
    });
  });
});
