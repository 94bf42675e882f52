/**
 * The release checksums file (`<sha256>  <file name>` per line, as GoReleaser writes it). Pure.
 */

/** File name → lowercase sha256 hex. Lines that are not a checksum line are ignored. */
export function parseChecksums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const m = /^([a-fA-F0-9]{64})\s+\*?(\S+)\s*$/.exec(line.trim());
    if (m?.[1] && m[2]) out.set(m[2], m[1].toLowerCase());
  }
  return out;
}
