/**
 * Real Fulcio and Rekor (v1) endpoints from @sigstore/mock, served on 127.0.0.1, plus the
 * `trusted_root.json` that makes @sigstore/verify trust exactly them. `signBlob` produces a
 * genuine keyless message-signature bundle through @sigstore/sign's own building blocks; the
 * mock Fulcio takes an unsigned JWT whose `sub` becomes the certificate SAN and `iss` the
 * issuer extension, which is how tests sign "as" a workflow identity.
 */
import { generateKeyPairSync, createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { bundleToJSON, type SerializedBundle } from '@sigstore/bundle';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  rekorHandler,
} from '@sigstore/mock';
import { FulcioSigner, MessageSignatureBundleBuilder, RekorWitness } from '@sigstore/sign';

type Handler = {
  path: string;
  fn: (
    body: string,
  ) => Promise<{ statusCode: number; response: string | ArrayBufferView; contentType?: string }>;
};

function serve(handlers: () => Handler[]): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const handler = handlers().find((h) => req.url?.startsWith(h.path) && req.method === 'POST');
      if (!handler) {
        res.writeHead(404).end();
        return;
      }
      handler.fn(Buffer.concat(chunks).toString('utf8')).then(
        (r) => {
          res.writeHead(r.statusCode, { 'content-type': r.contentType ?? 'application/json' });
          res.end(typeof r.response === 'string' ? r.response : Buffer.from(r.response.buffer));
        },
        (err: unknown) => res.writeHead(500).end(String(err)),
      );
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, server });
    });
  });
}

function unsignedJwt(claims: Record<string, unknown>): string {
  const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc(claims)}.`;
}

export interface LoopbackSigstore {
  /** A `trusted_root.json` document (JSON form) for these services. */
  readonly trustedRoot: Record<string, unknown>;
  signBlob(data: Buffer, signer: { identity: string; issuer: string }): Promise<SerializedBundle>;
  close(): Promise<void>;
}

export async function startLoopbackSigstore(): Promise<LoopbackSigstore> {
  const p256 = () => generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const validFrom = new Date(Date.now() - 60 * 60 * 1000);
  const ctlog = await initializeCTLog(p256());
  const ca = await initializeCA(p256(), ctlog);
  const fulcio = await serve(() => [fulcioHandler(ca)]);
  // Rekor's URL must exist before its log is initialised (it is part of the entries).
  let rekorHandlers: Handler[] = [];
  const rekor = await serve(() => rekorHandlers);
  const tlog = await initializeTLog(rekor.url, p256());
  rekorHandlers = [rekorHandler(tlog)];

  const b64 = (b: ArrayBufferView | Buffer): string =>
    Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64');
  const start = validFrom.toISOString();
  const trustedRoot = {
    mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
    tlogs: [
      {
        baseUrl: rekor.url,
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(tlog.publicKey),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: createHash('sha256').update(tlog.publicKey).digest('base64') },
      },
    ],
    certificateAuthorities: [
      {
        subject: { organization: 'loopback', commonName: 'loopback' },
        uri: fulcio.url,
        certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
        validFor: { start },
      },
    ],
    ctlogs: [
      {
        baseUrl: 'http://127.0.0.1/ctlog',
        hashAlgorithm: 'SHA2_256',
        publicKey: {
          rawBytes: b64(ctlog.publicKey),
          keyDetails: 'PKIX_ECDSA_P256_SHA_256',
          validFor: { start },
        },
        logId: { keyId: b64(ctlog.logID) },
      },
    ],
    timestampAuthorities: [],
  };

  return {
    trustedRoot,
    async signBlob(data, signer) {
      const token = unsignedJwt({
        sub: signer.identity,
        iss: signer.issuer,
        aud: 'sigstore',
        iat: Math.floor(Date.now() / 1000),
        exp: Math.floor(Date.now() / 1000) + 600,
      });
      const builder = new MessageSignatureBundleBuilder({
        signer: new FulcioSigner({
          fulcioBaseURL: fulcio.url,
          identityProvider: { getToken: () => Promise.resolve(token) },
        }),
        witnesses: [new RekorWitness({ rekorBaseURL: rekor.url })],
      });
      return bundleToJSON(await builder.create({ data }));
    },
    async close() {
      await Promise.all(
        [fulcio.server, rekor.server].map(
          (s) => new Promise<void>((resolve) => s.close(() => resolve())),
        ),
      );
    },
  };
}
