/** The `supply-chain-guard` executable. */
import { cli } from './cli.js';

process.exitCode = await cli(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(`${s}\n`),
  stderr: (s) => process.stderr.write(`${s}\n`),
  env: process.env,
});
