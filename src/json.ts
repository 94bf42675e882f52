/** Shape checks for parsed JSON, which is untrusted until checked (no `any`, no casts). */

/** A JSON object: not null, not an array. */
export type JsonObject = Record<string, unknown>;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The value at `keys` down nested objects, or undefined where the path breaks. */
export function dig(v: unknown, keys: readonly string[]): unknown {
  let cur = v;
  for (const k of keys) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}
