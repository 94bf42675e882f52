/**
 * Keyless signing for one run: ONE ephemeral P-256 key and ONE Fulcio certificate, reused for
 * every signature and attestation (sigstore-js's FulcioSigner would ask Fulcio on every call).
 * Signatures go to Rekor v1 (hashedrekord for blobs, dsse for attestations), optionally to a
 * TSA. Built from @sigstore/sign's one-method interfaces.
 */
import {
  X509Certificate,
  generateKeyPairSync,
  sign as cryptoSign,
  type KeyObject,
} from 'node:crypto';
import {
  DSSEBundleBuilder,
  FulcioSigner,
  MessageSignatureBundleBuilder,
  RekorWitness,
  TSAWitness,
  type Bundle,
  type IdentityProvider,
  type Signature,
  type Signer,
  type Witness,
} from '@sigstore/sign';
import { GuardError, errorMessage } from '../errors.js';

export const PUBLIC_GOOD_FULCIO = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR = 'https://rekor.sigstore.dev';

export interface SigstoreEndpoints {
  readonly fulcioUrl: string;
  readonly rekorUrl: string;
  readonly tsaUrl?: string;
}

export interface SignerOptions extends SigstoreEndpoints {
  readonly identity: IdentityProvider;
  /** Retries for Fulcio/Rekor/TSA on 5xx/429 (sigstore-js's promise-retry options). */
  readonly retry?: { retries: number; minTimeout?: number; maxTimeout?: number; factor?: number };
  readonly timeoutMs?: number;
}

export interface RunSigner {
  /** Sign bytes (hashedrekord entry); the bundle carries a message signature. */
  signBlob(data: Buffer): Promise<Bundle>;
  /** Sign a DSSE envelope over `payload` (dsse entry). */
  signDsse(payload: Buffer, payloadType: string): Promise<Bundle>;
  /** The run's leaf certificate (PEM), requesting it on first use. */
  certificate(): Promise<string>;
  /** How many certificates this run asked Fulcio for (1 in a normal run). */
  readonly certificateRequests: number;
}

/** Holds the run's key; signs with it and presents the public key (what FulcioSigner needs). */
class EphemeralKey implements Signer {
  private readonly privateKey: KeyObject;
  readonly publicKeyPem: string;
  constructor() {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.privateKey = pair.privateKey;
    this.publicKeyPem = pair.publicKey.export({ format: 'pem', type: 'spki' }).toString();
  }
  sign(data: Buffer): Promise<Signature> {
    return Promise.resolve({
      signature: cryptoSign('sha256', data, this.privateKey),
      key: { $case: 'publicKey', publicKey: this.publicKeyPem },
    });
  }
}

/** Re-request the certificate when less than this remains (Fulcio issues 10-minute certs). */
const CERT_RENEW_MARGIN_MS = 60_000;

class ReusedCertificateSigner implements Signer {
  private readonly key = new EphemeralKey();
  private readonly fulcio: FulcioSigner;
  private cert: Promise<string> | undefined;
  private certExpiry = 0;
  requests = 0;

  constructor(options: SignerOptions) {
    this.fulcio = new FulcioSigner({
      identityProvider: options.identity,
      keyHolder: this.key,
      fulcioBaseURL: options.fulcioUrl,
      ...(options.retry && { retry: options.retry }),
      ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
    });
  }

  certificate(now = Date.now()): Promise<string> {
    if (!this.cert || now > this.certExpiry - CERT_RENEW_MARGIN_MS) {
      this.requests++;
      const pending = this.fulcio.sign(Buffer.from('')).then((s) => {
        if (s.key.$case !== 'x509Certificate') throw new Error('Fulcio returned no certificate');
        this.certExpiry = Date.parse(new X509Certificate(s.key.certificate).validTo);
        return s.key.certificate;
      });
      // A failed request is not cached: the caller fails the step, nothing retries it silently.
      pending.catch(() => {
        if (this.cert === pending) this.cert = undefined;
      });
      this.cert = pending;
      this.certExpiry = Number.POSITIVE_INFINITY;
    }
    return this.cert;
  }

  async sign(data: Buffer): Promise<Signature> {
    const certificate = await this.certificate();
    const { signature } = await this.key.sign(data);
    return { signature, key: { $case: 'x509Certificate', certificate } };
  }
}

/** Wrap sigstore-js errors into GuardError naming the service. */
function signingError(err: unknown, what: string, endpoints: SigstoreEndpoints): GuardError {
  if (err instanceof GuardError) return err;
  const message = errorMessage(err);
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  let service = 'Sigstore';
  let remedy = 'retry the job; if it persists check the Sigstore status page or the *-url inputs';
  if (code.startsWith('CA_') || code.startsWith('IDENTITY_')) {
    service = `Fulcio (${endpoints.fulcioUrl})`;
    if (code.startsWith('IDENTITY_'))
      remedy = 'the job needs `permissions: id-token: write` for keyless signing';
  } else if (code.startsWith('TLOG_')) {
    service = `Rekor (${endpoints.rekorUrl})`;
  } else if (code.startsWith('TSA_')) {
    service = `the timestamp authority (${endpoints.tsaUrl ?? ''})`;
  }
  const causeMessage =
    err instanceof Error && err.cause instanceof Error && !message.includes(err.cause.message)
      ? `: ${err.cause.message}`
      : '';
  return new GuardError('SIGNING_FAILED', `${what}: ${service} failed: ${message}${causeMessage}`, {
    cause: err,
    remedy,
  });
}

/** sigstore-js does not retry unless told to; these are ours for Fulcio, Rekor and the TSA. */
export const DEFAULT_SIGSTORE_RETRY = {
  retries: 3,
  factor: 2,
  minTimeout: 1000,
  maxTimeout: 10_000,
};
export const DEFAULT_SIGSTORE_TIMEOUT_MS = 30_000;

export function createRunSigner(input: SignerOptions): RunSigner {
  const options: SignerOptions = {
    ...input,
    retry: input.retry ?? DEFAULT_SIGSTORE_RETRY,
    timeoutMs: input.timeoutMs ?? DEFAULT_SIGSTORE_TIMEOUT_MS,
  };
  const signer = new ReusedCertificateSigner(options);
  const common = {
    ...(options.retry && { retry: options.retry }),
    ...(options.timeoutMs !== undefined && { timeout: options.timeoutMs }),
  };
  const witnesses = (entryType: 'dsse' | undefined): Witness[] => [
    new RekorWitness({
      rekorBaseURL: options.rekorUrl,
      ...(entryType && { entryType }),
      ...common,
    }),
    ...(options.tsaUrl ? [new TSAWitness({ tsaBaseURL: options.tsaUrl, ...common })] : []),
  ];
  const blobBuilder = new MessageSignatureBundleBuilder({
    signer,
    witnesses: witnesses(undefined),
  });
  const dsseBuilder = new DSSEBundleBuilder({ signer, witnesses: witnesses('dsse') });
  return {
    async signBlob(data) {
      try {
        return await blobBuilder.create({ data });
      } catch (err) {
        throw signingError(err, 'signing the image', options);
      }
    },
    async signDsse(payload, payloadType) {
      try {
        return await dsseBuilder.create({ data: payload, type: payloadType });
      } catch (err) {
        throw signingError(err, 'signing an attestation', options);
      }
    },
    async certificate() {
      try {
        return await signer.certificate();
      } catch (err) {
        throw signingError(err, 'requesting the signing certificate', options);
      }
    },
    get certificateRequests() {
      return signer.requests;
    },
  };
}
