/**
 * Child-process entry: serves @sigstore/mock's Fulcio, Rekor v1 and TSA handlers from node:http
 * on 127.0.0.1 and prints one JSON line with the URL and a trusted root built from the same
 * keys (plus a foreign root from unrelated keys, for rejection tests).
 *
 * Differences from the bare handlers, on purpose:
 * - Rekor stores a `dsse` entry in the canonical form real Rekor stores (`envelopeHash`,
 *   `payloadHash`, `signatures[{signature, verifier}]`), not as submitted.
 * - `/__stats` counts requests per service; `POST /__fault` plans N failures of one service.
 */
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  fulcioHandler,
  initializeCA,
  initializeCTLog,
  initializeTLog,
  initializeTSA,
  rekorHandler,
  tsaHandler,
} from '@sigstore/mock';

type Service = 'fulcio' | 'rekor' | 'tsa';
type KeyPair = { publicKey: KeyObject; privateKey: KeyObject };

const stats: Record<Service, number> = { fulcio: 0, rekor: 0, tsa: 0 };
const faults: Record<Service, { status: number; times: number }> = {
  fulcio: { status: 0, times: 0 },
  rekor: { status: 0, times: 0 },
  tsa: { status: 0, times: 0 },
};

function keyPair(): KeyPair {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' });
}

function der(key: KeyObject): Buffer {
  return key.export({ format: 'der', type: 'spki' });
}

function b64(bytes: ArrayBufferView | Buffer): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Real Rekor's dsse 0.0.1 canonicalisation of a proposed entry. */
function canonicalDsse(proposed: Record<string, unknown>): Record<string, unknown> | undefined {
  const spec = proposed.spec;
  if (proposed.kind !== 'dsse' || !isRecord(spec) || !isRecord(spec.proposedContent))
    return undefined;
  const { envelope, verifiers } = spec.proposedContent;
  if (typeof envelope !== 'string' || !Array.isArray(verifiers)) return undefined;
  const env: unknown = JSON.parse(envelope);
  if (!isRecord(env) || typeof env.payload !== 'string' || !Array.isArray(env.signatures))
    return undefined;
  const sigs = env.signatures.filter(isRecord);
  const verifier = verifiers[0];
  return {
    apiVersion: '0.0.1',
    kind: 'dsse',
    spec: {
      envelopeHash: {
        algorithm: 'sha256',
        value: createHash('sha256').update(envelope).digest('hex'),
      },
      payloadHash: {
        algorithm: 'sha256',
        value: createHash('sha256').update(Buffer.from(env.payload, 'base64')).digest('hex'),
      },
      signatures: sigs.map((s) => ({ signature: s.sig, verifier })),
    },
  };
}

async function main(): Promise<void> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  const url = `http://127.0.0.1:${port}`;
  const start = new Date(Date.now() - 5 * 60_000).toISOString();
  // One clock for CA, log and TSA, on a whole second: the TSA's DER GeneralizedTime drops
  // trailing zeros of the fraction (".12Z"), which @sigstore/core's parser rejects; a whole
  // second has no fraction at all. Leaf certificates stay valid for 10 minutes from it.
  // The mocks read this Date on every request but make their root/intermediate certificates
  // with the real time while initialising, so it is set only once they all exist (below):
  // a clock from before them would date every timestamp before its TSA certificate.
  const clock = new Date(0);

  const build = async (withServer: boolean) => {
    const caKeys = keyPair();
    const ctKeys = keyPair();
    const tlogKeys = keyPair();
    const tsaKeys = keyPair();
    const ctLog = await initializeCTLog(ctKeys, clock);
    const ca = await initializeCA(caKeys, ctLog, clock);
    const tlog = await initializeTLog(url, tlogKeys, clock);
    const tsa = await initializeTSA(tsaKeys, clock);
    const root = {
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [
        {
          baseUrl: url,
          hashAlgorithm: 'SHA2_256',
          publicKey: {
            rawBytes: der(tlogKeys.publicKey).toString('base64'),
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
            validFor: { start },
          },
          logId: { keyId: createHash('sha256').update(der(tlogKeys.publicKey)).digest('base64') },
        },
      ],
      certificateAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'sigstore' },
          uri: url,
          certChain: { certificates: [{ rawBytes: b64(ca.rootCertificate) }] },
          validFor: { start },
        },
      ],
      ctlogs: [
        {
          baseUrl: url,
          hashAlgorithm: 'SHA2_256',
          publicKey: {
            rawBytes: der(ctKeys.publicKey).toString('base64'),
            keyDetails: 'PKIX_ECDSA_P256_SHA_256',
            validFor: { start },
          },
          logId: { keyId: b64(ctLog.logID) },
        },
      ],
      timestampAuthorities: [
        {
          subject: { organization: 'sigstore.mock', commonName: 'tsa' },
          uri: url,
          certChain: {
            certificates: [
              { rawBytes: b64(tsa.intCertificate) },
              { rawBytes: b64(tsa.rootCertificate) },
            ],
          },
          validFor: { start },
        },
      ],
    };
    return withServer ? { root, ca, tlog, tsa } : { root };
  };

  const main = await build(true);
  const foreign = await build(false);
  clock.setTime(Math.ceil(Date.now() / 1000) * 1000);
  if (!main.ca || !main.tlog || !main.tsa) throw new Error('mock services did not initialise');
  const fulcio = fulcioHandler(main.ca);
  const rekor = rekorHandler(main.tlog);
  const tsaH = tsaHandler(main.tsa);
  const tlog = main.tlog;

  const send = (
    res: ServerResponse,
    status: number,
    body: string | ArrayBufferView,
    type = 'application/json',
  ): void => {
    res.writeHead(status, { 'content-type': type });
    res.end(
      typeof body === 'string' ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength),
    );
  };

  server.on('request', (req, res) => {
    void (async () => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const body = await readBody(req);
      if (path === '/__stats') return send(res, 200, JSON.stringify(stats));
      if (path === '/__fault') {
        const f: unknown = JSON.parse(body);
        if (
          isRecord(f) &&
          (f.service === 'fulcio' || f.service === 'rekor' || f.service === 'tsa')
        ) {
          faults[f.service] = { status: Number(f.status), times: Number(f.times) };
          return send(res, 200, '{}');
        }
        return send(res, 400, '{"message":"bad fault"}');
      }
      const service: Service | undefined =
        path === fulcio.path
          ? 'fulcio'
          : path === rekor.path
            ? 'rekor'
            : path === tsaH.path
              ? 'tsa'
              : undefined;
      if (!service || req.method !== 'POST') return send(res, 404, '{"message":"not found"}');
      stats[service]++;
      const fault = faults[service];
      if (fault.times > 0) {
        fault.times--;
        return send(
          res,
          fault.status,
          JSON.stringify({ code: fault.status, message: 'planned fault' }),
        );
      }
      if (service === 'rekor') {
        const proposed: unknown = JSON.parse(body);
        const canonical = isRecord(proposed) ? canonicalDsse(proposed) : undefined;
        if (canonical) return send(res, 201, JSON.stringify(await tlog.log(canonical)));
      }
      const handler = service === 'fulcio' ? fulcio : service === 'rekor' ? rekor : tsaH;
      const out = await handler.fn(body);
      send(res, out.statusCode, out.response, out.contentType);
    })().catch((err: unknown) => send(res, 500, JSON.stringify({ message: String(err) })));
  });

  process.stdout.write(
    `${JSON.stringify({ url, trustedRoot: main.root, foreignTrustedRoot: foreign.root })}\n`,
  );
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}

void main();
