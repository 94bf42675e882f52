/**
 * submitSnapshot against a local stand-in of GitHub's dependency submission endpoint on
 * 127.0.0.1. Every request body is validated against GitHub's own OpenAPI description
 * (@octokit/openapi), so a snapshot GitHub would reject fails here too.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { submitSnapshot } from '../../src/github/dependency-graph.js';
import {
  toDependencySnapshot,
  type DependencySnapshot,
  type SnapshotContext,
} from '../../src/sbom/dependency-snapshot.js';
import { parseTrivyReport } from '../../src/trivy/parse.js';
import { corpusPath, HAS_CORPUS } from '../helpers/corpus.js';
import { fromOpenApi } from '../helpers/github-api-server.js';

const TOKEN = 'ghs_test-token-never-logged';
const PATH = '/repos/octo-org/octo-repo/dependency-graph/snapshots';

/** The request-body schema of POST .../dependency-graph/snapshots from GitHub's OpenAPI. */
function snapshotValidator(): ValidateFunction {
  const require = createRequire(import.meta.url);
  const api = require('@octokit/openapi/generated/api.github.com.json') as {
    paths: Record<
      string,
      { post: { requestBody: { content: Record<string, { schema: object }> } } }
    >;
    components: { schemas: Record<string, object> };
  };
  const op = api.paths['/repos/{owner}/{repo}/dependency-graph/snapshots'];
  const body = op?.post.requestBody.content['application/json']?.schema;
  if (!body) throw new Error('the OpenAPI description has no dependency snapshot body');
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(
    fromOpenApi({ components: { schemas: api.components.schemas } }) as object,
    'openapi',
  );
  // OpenAPI refs are document-local (#/components/...): point them into the added schema.
  return ajv.compile(
    JSON.parse(
      JSON.stringify(body).replaceAll('"#/components/', '"openapi#/components/'),
    ) as object,
  );
}

type Mode = 'created' | 'forbidden' | 'not-found' | 'error' | 'invalid-result';
interface Received {
  path: string;
  auth: string | undefined;
  errors: string[];
  body: unknown;
}

let server: Server;
let baseUrl: string;
let mode: Mode = 'created';
const received: Received[] = [];
const validate = snapshotValidator();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const send = (status: number, body: object): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      if (req.method !== 'POST' || req.url !== PATH) return send(404, { message: 'Not Found' });
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        return send(400, { message: 'Problems parsing JSON' });
      }
      const ok = validate(body);
      const errors = ok
        ? []
        : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
      received.push({ path: req.url, auth: req.headers.authorization, errors, body });
      if (!ok) return send(422, { message: `Invalid request: ${errors.join('; ')}` });
      switch (mode) {
        case 'created':
          return send(201, {
            id: 42,
            created_at: '2026-01-01T00:00:00Z',
            result: 'SUCCESS',
            message: 'Dependency results for the repo have been successfully updated.',
          });
        case 'invalid-result':
          return send(201, {
            id: 43,
            created_at: '2026-01-01T00:00:00Z',
            result: 'INVALID',
            message: 'bad manifest',
          });
        case 'forbidden':
          return send(403, { message: 'Resource not accessible by integration' });
        case 'not-found':
          return send(404, { message: 'Not Found' });
        case 'error':
          return send(502, { message: 'Server Error' });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
});

beforeEach(() => {
  mode = 'created';
  received.length = 0;
});

const CTX: SnapshotContext = {
  sha: '39da54a1ff04120a31df8cbc94ce9ede251d21a3',
  ref: 'refs/heads/main',
  correlator: 'ci_scan',
  jobId: '1910764383',
  jobUrl: 'https://github.com/octo-org/octo-repo/actions/runs/1910764383',
  detectorVersion: '0.1.0',
  detectorUrl: 'https://github.com/octo-org/supply-chain-guard',
  scanned: new Date('2026-01-01T00:00:00Z'),
  imageManifestPath: 'Dockerfile',
};

function snapshotOf(...files: string[]): DependencySnapshot {
  return toDependencySnapshot(
    files.map((f) => parseTrivyReport(readFileSync(corpusPath('trivy-json', f), 'utf8'), f)),
    CTX,
  );
}

const deps = () => ({ apiUrl: baseUrl, repository: 'octo-org/octo-repo', token: TOKEN });

describe.skipIf(!HAS_CORPUS)(
  'dependency snapshot submission (local API, OpenAPI-validated)',
  () => {
    it.each([
      ['fs/npm.json'],
      ['fs/npm-with-dev.json'],
      ['image/alpine-310.json'],
      ['sbom-scan/fluentd-multiple-lockfiles.json'],
      ['image/busybox-with-lockfile.json'],
    ])('%s: GitHub would accept the snapshot, and it is submitted with the token', async (file) => {
      const result = await submitSnapshot(snapshotOf(file), deps());
      expect(received).toHaveLength(1);
      expect(received[0]?.errors).toEqual([]);
      expect(received[0]?.auth).toBe(`Bearer ${TOKEN}`);
      expect(result).toEqual({
        kind: 'submitted',
        id: 42,
        result: 'SUCCESS',
        message: expect.any(String),
      });
    });

    it('several reports in one snapshot are accepted too', async () => {
      await submitSnapshot(
        snapshotOf('fs/npm.json', 'fs/yarn.json', 'image/fluentd-gems.json'),
        deps(),
      );
      expect(received[0]?.errors).toEqual([]);
    });

    it("the OpenAPI check is real: a ref without refs/ (as in Trivy's own golden) is rejected", async () => {
      const bad = { ...snapshotOf('fs/npm.json'), ref: '/ref/feature-1' };
      await expect(submitSnapshot(bad, deps())).rejects.toMatchObject({
        code: 'GITHUB_API_FAILED',
      });
      expect(received[0]?.errors.join()).toMatch(/\/ref .*pattern/);
    });

    it('a 403 degrades to a warning that names contents: write, without the token', async () => {
      mode = 'forbidden';
      const result = await submitSnapshot(snapshotOf('fs/npm.json'), deps());
      expect(result.kind).toBe('skipped');
      const warning = result.kind === 'skipped' ? result.warning : '';
      expect(warning).toContain('contents: write');
      expect(warning).toContain('403');
      expect(warning).not.toContain(TOKEN);
    });

    it('a 404 (dependency graph disabled) degrades to a warning', async () => {
      mode = 'not-found';
      const result = await submitSnapshot(snapshotOf('fs/npm.json'), deps());
      expect(result).toMatchObject({
        kind: 'skipped',
        warning: expect.stringContaining('dependency graph must be enabled'),
      });
    });

    it('a server error fails with GITHUB_API_FAILED and a remedy', async () => {
      mode = 'error';
      const err = await submitSnapshot(snapshotOf('fs/npm.json'), deps()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(GuardError);
      expect(err).toMatchObject({
        code: 'GITHUB_API_FAILED',
        message: expect.stringContaining('502'),
      });
    });

    it('a snapshot GitHub marks INVALID fails instead of passing silently', async () => {
      mode = 'invalid-result';
      await expect(submitSnapshot(snapshotOf('fs/npm.json'), deps())).rejects.toMatchObject({
        message: expect.stringContaining('INVALID'),
      });
    });

    it('an unreachable API fails with the URL named and the cause kept', async () => {
      const err = await submitSnapshot(snapshotOf('fs/npm.json'), {
        ...deps(),
        apiUrl: 'http://127.0.0.1:1',
      }).catch((e: unknown) => e);
      expect(err).toMatchObject({
        code: 'GITHUB_API_FAILED',
        message: expect.stringContaining('127.0.0.1:1'),
      });
    });
  },
);
