/**
 * A loopback stand-in for the Actions OIDC token service: answers
 * `GET <ACTIONS_ID_TOKEN_REQUEST_URL>&audience=…` with `Authorization: Bearer <request token>`
 * by `{"value": <unsigned JWT>}` for the configured workflow identity (the mock Fulcio accepts
 * unsigned tokens). Anything else is refused the way the runner's service would, and every
 * request is recorded so tests can check the audience and the header.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fakeIdToken } from './sigstore.js';

export interface OidcRequest {
  readonly audience: string | null;
  readonly authorized: boolean;
}

export interface TestOidc {
  /** ACTIONS_ID_TOKEN_REQUEST_URL, with a query already in it like the runner's. */
  readonly requestUrl: string;
  /** ACTIONS_ID_TOKEN_REQUEST_TOKEN */
  readonly requestToken: string;
  /** The identity (JWT `sub`) the next tokens are minted for. */
  subject: string;
  readonly requests: OidcRequest[];
  stop(): Promise<void>;
}

export async function startOidc(subject: string): Promise<TestOidc> {
  const requestToken = randomBytes(16).toString('hex');
  const requests: OidcRequest[] = [];
  const state = { subject };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const authorized = req.headers.authorization === `Bearer ${requestToken}`;
    const audience = url.searchParams.get('audience');
    requests.push({ audience, authorized });
    const send = (status: number, body: object): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'GET' || url.pathname !== '/token') return send(404, { message: 'no' });
    if (!authorized) return send(401, { message: 'bad request token' });
    if (!audience) return send(400, { message: 'audience missing' });
    send(200, { value: fakeIdToken({ sub: state.subject, aud: audience }) });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    requestUrl: `http://127.0.0.1:${port}/token?api-version=2.0`,
    requestToken,
    get subject() {
      return state.subject;
    },
    set subject(s: string) {
      state.subject = s;
    },
    requests,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
