/**
 * The DB cache across runs and the one DB download per run, with a directory-backed cache
 * store (it behaves like @actions/cache: exact key first, then the newest entry with a
 * restore-key prefix) and the Trivy STAND-IN (a test double) as the downloader.
 */
import { mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { exec } from '../../src/exec.js';
import {
  dbCacheDir,
  dbCacheKeys,
  dbIsFresh,
  prepareDb,
  restoreDbCache,
  saveDbCache,
  type CacheStore,
} from '../../src/trivy/cache.js';
import {
  createHarness,
  memoryLogger,
  STAND_IN,
  type Harness,
} from '../helpers/stand-in-harness.js';
import { dirCacheStore } from '../helpers/dir-cache-store.js';

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.cleanup();
});

const platform = { platform: 'linux', arch: 'x64' };
const noSleep = {
  sleeps: [] as number[],
  sleep(ms: number) {
    this.sleeps.push(ms);
    return Promise.resolve();
  },
};

async function attempts(): Promise<number> {
  return (await readFile(path.join(h.root, 'db-attempts'), 'utf8').catch(() => '')).length;
}

describe('dbCacheKeys', () => {
  it('keys by platform and UTC day, with the platform prefix as restore key', () => {
    expect(dbCacheKeys({ ...platform, date: new Date('2026-11-26T23:59:00Z') })).toEqual({
      primary: 'supply-chain-guard-trivy-db-linux-x64-2026-11-26',
      restore: ['supply-chain-guard-trivy-db-linux-x64-'],
    });
  });

  it('puts the cache under the runner temp dir', () => {
    expect(dbCacheDir('/runner/_temp')).toBe(
      path.join('/runner/_temp', 'supply-chain-guard', 'trivy-cache'),
    );
  });
});

describe('DB cache across runs', () => {
  it('downloads once on a cold day, then a second run the same day downloads nothing', async () => {
    await h.configure({});
    const store = dirCacheStore(path.join(h.root, 'store'));
    const logger = memoryLogger();
    const day = new Date('2026-11-26T10:00:00Z');
    const runOnce = async (date: Date) => {
      const dir = path.join(h.root, `runner-${date.getTime()}-${Math.random()}`, 'trivy-cache');
      await mkdir(dir, { recursive: true });
      const state = await restoreDbCache(
        { enabled: true, dir, ...platform, date },
        { cache: store, logger },
      );
      if (!dbIsFresh(state)) {
        await prepareDb(
          {
            trivyPath: STAND_IN,
            cacheDir: dir,
            kinds: ['db', 'java-db'],
            dbRepositories: [],
            timeout: '5m',
            env: h.env,
          },
          { exec, sleep: noSleep.sleep.bind(noSleep), logger },
        );
      }
      await saveDbCache(state, { cache: store, logger });
      return { state, dir };
    };

    const first = await runOnce(day);
    expect(first.state.hit).toBe('miss');
    expect(await attempts()).toBe(2);
    expect(await readdir(first.dir)).toEqual(['db', 'java-db']);

    const second = await runOnce(new Date('2026-11-26T18:00:00Z'));
    expect(second.state.hit).toBe('exact');
    expect(await attempts()).toBe(2);
    expect(await readdir(path.join(second.dir, 'db'))).toEqual(['stand-in.db']);

    const nextDay = await runOnce(new Date('2026-11-27T08:00:00Z'));
    expect(nextDay.state.hit).toBe('partial');
    expect(await attempts()).toBe(4);
    expect(store.saved).toEqual([
      'supply-chain-guard-trivy-db-linux-x64-2026-11-26',
      'supply-chain-guard-trivy-db-linux-x64-2026-11-27',
    ]);
  });

  it('turns a broken cache service into a warning, and cache: false into no cache at all', async () => {
    const logger = memoryLogger();
    const broken: CacheStore = {
      restore: () => Promise.reject(new Error('cache service unavailable')),
      save: () => Promise.reject(new Error('cache service unavailable')),
    };
    const args = { dir: h.dbCacheDir, ...platform, date: new Date() };
    const state = await restoreDbCache({ enabled: true, ...args }, { cache: broken, logger });
    expect(state.hit).toBe('unavailable');
    await saveDbCache(state, { cache: broken, logger });
    expect(logger.lines).toEqual([
      'warning: Trivy DB cache could not be restored: cache service unavailable',
      'warning: Trivy DB cache could not be saved: cache service unavailable',
    ]);
    const off = await restoreDbCache({ enabled: false, ...args }, { cache: broken, logger });
    expect(off.hit).toBe('disabled');
    await saveDbCache(off, { cache: broken, logger });
    expect(logger.lines).toHaveLength(2);
  });
});

describe('prepareDb and TOOMANYREQUESTS', () => {
  const prepare = (mirrors: string[], sleeper: typeof noSleep) =>
    prepareDb(
      {
        trivyPath: STAND_IN,
        cacheDir: h.dbCacheDir,
        kinds: ['db'],
        dbRepositories: mirrors,
        timeout: '5m',
        env: h.env,
        backoffMs: [10, 20],
      },
      { exec, sleep: sleeper.sleep.bind(sleeper), logger: memoryLogger() },
    );

  it('backs off and retries a rate-limited download, then succeeds', async () => {
    await h.configure({ db: { rateLimitedFirst: 2 } });
    const sleeper = { ...noSleep, sleeps: [] as number[] };
    await prepare([], sleeper);
    expect(sleeper.sleeps).toEqual([10, 20]);
    expect(await attempts()).toBe(3);
    const runs = await h.records();
    expect(runs.map((r) => r.argv.slice(0, 2))).toEqual(
      Array(3).fill(['image', '--download-db-only']),
    );
  });

  it('stops after the bounded retries with an error naming the db-repository input', async () => {
    await h.configure({ db: { rateLimitedFirst: 99 } });
    const sleeper = { ...noSleep, sleeps: [] as number[] };
    const err = await prepare(['mirror.example/trivy-db:2'], sleeper).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GuardError);
    expect((err as GuardError).message).toBe(
      'the Trivy db download from mirror.example/trivy-db:2 was rate limited (TOOMANYREQUESTS) after 3 attempts',
    );
    expect((err as GuardError).remedy).toMatch(/^set the db-repository input to a mirror/);
    expect(await attempts()).toBe(3);
    const runs = await h.records();
    expect(runs[0]?.argv).toContain('--db-repository');
  });

  it("fails at once, with Trivy's last lines, on an error that is not a rate limit", async () => {
    await h.configure({
      db: {
        errorLines: ['INFO downloading', 'FATAL unable to open cache dir: read-only file system'],
      },
    });
    const sleeper = { ...noSleep, sleeps: [] as number[] };
    const err = await prepare([], sleeper).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as GuardError).message).toBe(
      'the Trivy db download failed (exit code 1):\nINFO downloading\nFATAL unable to open cache dir: read-only file system',
    );
    expect(sleeper.sleeps).toEqual([]);
    expect(await attempts()).toBe(1);
  });

  it('names the executable when it cannot be started', async () => {
    await h.configure({});
    const err = await prepareDb(
      {
        trivyPath: path.join(h.root, 'nope'),
        cacheDir: h.dbCacheDir,
        kinds: ['db'],
        dbRepositories: [],
        timeout: '5m',
        env: h.env,
      },
      { exec, sleep: noSleep.sleep.bind(noSleep), logger: memoryLogger() },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as GuardError).message).toMatch(/^could not start .*nope/);
  });
});
