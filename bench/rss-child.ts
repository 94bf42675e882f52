/** Child process of the benchmark: one pipeline run on a file, then print the peak RSS in bytes. */
import { readFileSync } from 'node:fs';
import { pipeline } from './pipeline.js';

pipeline(() => readFileSync(process.argv[2]!, 'utf8'));
process.stdout.write(String(process.resourceUsage().maxRSS * 1024));
