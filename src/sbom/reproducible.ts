/**
 * What makes an SBOM reproducible: with `SOURCE_DATE_EPOCH` the timestamp is that instant and
 * the document's UUID is derived from its content (a name-based UUIDv5), so the same report
 * gives a byte-identical document. Without it the time is now and the UUID random, as
 * CycloneDX and SPDX expect of a new document.
 * https://reproducible-builds.org/specs/source-date-epoch/
 */
import { createHash, randomUUID } from 'node:crypto';

/** UUIDv5 namespace of this action's documents (a fixed, randomly chosen UUID). */
const NAMESPACE = 'b7c1e5f2-3d4a-4c8e-9f61-2a7d0e9c5b13';

/** Seconds since 1970-01-01 UTC, as `SOURCE_DATE_EPOCH` gives them. */
export type SourceDateEpoch = number;

export interface Reproducibility {
  /** Pins the timestamp and derives the UUID from the content. */
  readonly sourceDateEpoch?: SourceDateEpoch;
}

/** The document's creation time, whole seconds (both formats want no fractions). */
export function documentTime(opts: Reproducibility, now: () => Date = () => new Date()): Date {
  const ms = opts.sourceDateEpoch === undefined ? now().getTime() : opts.sourceDateEpoch * 1000;
  return new Date(Math.floor(ms / 1000) * 1000);
}

/** ISO 8601 UTC without milliseconds: `2021-08-25T12:20:30Z`. */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** RFC 9562 UUIDv5 (SHA-1, name-based) of `name` in `namespace`. */
export function uuidV5(name: string, namespace: string = NAMESPACE): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  const b = hash.subarray(0, 16);
  b[6] = ((b[6] as number) & 0x0f) | 0x50;
  b[8] = ((b[8] as number) & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The document UUID: content-derived when reproducible, else random. */
export function documentUuid(opts: Reproducibility, content: () => string): string {
  return opts.sourceDateEpoch === undefined
    ? randomUUID()
    : uuidV5(`${opts.sourceDateEpoch}\n${content()}`);
}
