/** Child process of the benchmark: one pipeline run on a file, then print the peak RSS in bytes. */
import { pipeline } from './pipeline.js';

await pipeline(process.argv[2]!);
process.stdout.write(String(process.resourceUsage().maxRSS * 1024));
