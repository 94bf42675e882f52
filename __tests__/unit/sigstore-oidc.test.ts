import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GuardError } from '../../src/errors.js';
import { githubOidcProvider, requireIdTokenAccess } from '../../src/github/oidc.js';
import type { ScanReport } from '../../src/model.js';
import { inTotoStatement, vulnPredicate } from '../../src/sigstore/statement.js';

describe('Actions OIDC token', () => {
  let server: Server;
  let base = '';
  const seen: { url: string; auth: string | undefined }[] = [];
  let failures = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', auth: req.headers.authorization });
      if (failures > 0) {
        failures--;
        res.writeHead(503);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ value: 'aaa.bbb.ccc' }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const a = server.address();
    base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fails before any work without id-token: write, naming the permission', () => {
    let err: unknown;
    try {
      requireIdTokenAccess({});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GuardError);
    expect((err as GuardError).message).toContain('`id-token: write`');
    expect((err as GuardError).remedy).toContain('permissions: id-token: write');
  });

  it('asks for audience sigstore with the request token, retries a 503, and caches the token', async () => {
    failures = 1;
    seen.length = 0;
    const provider = githubOidcProvider(
      { idTokenRequestUrl: `${base}/token?api-version=2.0`, idTokenRequestToken: 'req-token' },
      { sleep: () => Promise.resolve() },
    );
    expect(await provider.getToken()).toBe('aaa.bbb.ccc');
    expect(await provider.getToken()).toBe('aaa.bbb.ccc');
    expect(seen).toHaveLength(2);
    expect(seen[1]?.url).toBe('/token?api-version=2.0&audience=sigstore');
    expect(seen[1]?.auth).toBe('Bearer req-token');
  });
});

describe('statements and the vuln predicate', () => {
  it('builds an in-toto v1 statement for the repository and digest', () => {
    const st = JSON.parse(
      inTotoStatement('ghcr.io/o/a', `sha256:${'1'.repeat(64)}`, {
        predicateType: 'https://x',
        predicate: { a: 1 },
      }).toString(),
    ) as unknown;
    expect(st).toEqual({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'ghcr.io/o/a', digest: { sha256: '1'.repeat(64) } }],
      predicateType: 'https://x',
      predicate: { a: 1 },
    });
  });

  it('follows cosign vuln/v1: invocation, scanner (uri, version, db, result), metadata', () => {
    const report: ScanReport = {
      source: 'scan:img',
      schemaVersion: 2,
      trivyVersion: '0.69.1',
      createdAt: '2026-01-01T00:00:00Z',
      artifact: {
        name: 'ghcr.io/o/a:1',
        type: 'container_image',
        repoTags: [],
        repoDigests: [],
        diffIds: [],
      },
      results: [
        {
          artifact: 'a',
          artifactType: 'container_image',
          target: 'alpine 3.20',
          resultClass: 'os-pkgs',
          packageCount: 1,
        },
      ],
      findings: [
        {
          kind: 'vulnerability',
          id: 'CVE-2026-0001',
          severity: 'HIGH',
          title: 't',
          source: 's',
          artifact: 'a',
          artifactType: 'container_image',
          target: 'alpine 3.20',
          resultClass: 'os-pkgs',
          pkgName: 'openssl',
          installedVersion: '3.0.0',
          fixedVersion: '3.0.1',
          cweIds: [],
          references: [],
        },
      ],
      packages: [],
      hasPackageList: true,
    };
    const p = vulnPredicate(
      report,
      {
        uri: 'https://github.com/o/a/actions/runs/1',
        eventId: '1',
        builderId: 'https://github.com/o/a/.github/workflows/r.yml@refs/heads/main',
      },
      '2026-01-01T00:05:00Z',
    ) as Record<string, Record<string, unknown>>;
    expect(Object.keys(p)).toEqual(['invocation', 'scanner', 'metadata']);
    expect(Object.keys(p.invocation ?? {})).toEqual([
      'parameters',
      'uri',
      'event_id',
      'builder.id',
    ]);
    expect(p.scanner).toMatchObject({
      uri: 'https://github.com/aquasecurity/trivy',
      version: '0.69.1',
      db: { uri: '', version: '' },
    });
    expect(p.scanner?.result).toMatchObject({
      Results: [
        {
          Target: 'alpine 3.20',
          Vulnerabilities: [
            { VulnerabilityID: 'CVE-2026-0001', FixedVersion: '3.0.1', Severity: 'HIGH' },
          ],
        },
      ],
    });
    expect(p.metadata).toEqual({
      scanStartedOn: '2026-01-01T00:00:00Z',
      scanFinishedOn: '2026-01-01T00:05:00Z',
    });
  });
});
