/** `npx tsx bench/sbom-run.ts [packages]`: SBOM build + check times for a synthetic report. */
import { buildAndValidateSbom, syntheticInventory } from './sbom.js';

const n = Number(process.argv[2] ?? 5000);
const report = syntheticInventory(n);
// The first run compiles the CycloneDX schema; the second shows the steady state.
for (const run of ['first', 'second']) {
  const r = await buildAndValidateSbom(report);
  console.log(
    run,
    JSON.stringify(r, (_k, v: unknown) => (typeof v === 'number' ? Math.round(v) : v)),
  );
}
