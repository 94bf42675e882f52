/**
 * What a Fulcio certificate says about its signer: the SAN (workflow URI or email) and the
 * OIDC issuer extension. https://github.com/sigstore/fulcio/blob/main/docs/oid-info.md
 */
import { X509Certificate } from 'node:crypto';

const ISSUER_OID_V2 = '1.3.6.1.4.1.57264.1.8';

/** SAN (URI or email) of a certificate. */
export function certificateSubject(pem: string): string {
  const san = new X509Certificate(pem).subjectAltName ?? '';
  return /URI:([^,]+)/.exec(san)?.[1] ?? /email:([^,]+)/.exec(san)?.[1] ?? '';
}

/** The Fulcio issuer extension (v2 DER UTF8String, else v1 raw), read from the DER. */
export function certificateIssuer(pem: string): string {
  const der = Buffer.from(new X509Certificate(pem).raw);
  for (const oid of [ISSUER_OID_V2, '1.3.6.1.4.1.57264.1.1']) {
    const encoded = encodeOid(oid);
    const at = der.indexOf(encoded);
    if (at < 0) continue;
    // OID, then OCTET STRING (0x04 len) wrapping either a UTF8String (v2) or raw bytes (v1).
    let p = at + encoded.length;
    if (der[p] === 0x01) p += 3; // critical BOOLEAN
    if (der[p] !== 0x04) continue;
    const [len, hdr] = derLength(der, p + 1);
    let value = der.subarray(p + 1 + hdr, p + 1 + hdr + len);
    if (oid === ISSUER_OID_V2 && value[0] === 0x0c) {
      const [l2, h2] = derLength(value, 1);
      value = value.subarray(1 + h2, 1 + h2 + l2);
    }
    return value.toString('utf8');
  }
  return '';
}

function derLength(buf: Buffer, at: number): [number, number] {
  const first = buf[at] ?? 0;
  if (first < 0x80) return [first, 1];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 1; i <= n; i++) len = (len << 8) | (buf[at + i] ?? 0);
  return [len, 1 + n];
}

function encodeOid(oid: string): Buffer {
  const parts = oid.split('.').map(Number);
  const bytes: number[] = [(parts[0] ?? 0) * 40 + (parts[1] ?? 0)];
  for (const p of parts.slice(2)) {
    const stack: number[] = [p & 0x7f];
    let v = p >>> 7;
    while (v > 0) {
      stack.unshift((v & 0x7f) | 0x80);
      v >>>= 7;
    }
    bytes.push(...stack);
  }
  return Buffer.from([0x06, bytes.length, ...bytes]);
}
