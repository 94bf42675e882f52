/**
 * A CacheStore on a local directory that behaves like @actions/cache: the exact key first,
 * then the newest entry starting with a restore key; entries are whole directory copies.
 */
import { cp, readdir } from 'node:fs/promises';
import path from 'node:path';
import type { CacheStore } from '../../src/trivy/cache.js';

export function dirCacheStore(root: string): CacheStore & { saved: string[] } {
  const saved: string[] = [];
  return {
    saved,
    async restore(paths, primaryKey, restoreKeys) {
      const keys = (await readdir(root).catch(() => [] as string[])).sort().reverse();
      const hit =
        keys.find((k) => k === primaryKey) ??
        keys.find((k) => restoreKeys.some((p) => k.startsWith(p)));
      if (hit === undefined) return undefined;
      await cp(path.join(root, hit), paths[0] ?? '', { recursive: true });
      return hit;
    },
    async save(paths, key) {
      saved.push(key);
      await cp(paths[0] ?? '', path.join(root, key), { recursive: true });
    },
  };
}
