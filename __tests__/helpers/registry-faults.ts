/**
 * A loopback HTTP proxy in front of a test registry that answers selected requests with a
 * planned fault (429 with Retry-After, 500, ...) before passing the rest through. It records
 * every request so tests can count retries.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

export interface Fault {
  readonly method?: string;
  /** Substring of the request path. */
  readonly path: string;
  readonly status: number;
  readonly headers?: Record<string, string>;
  /** How many matching requests get the fault. */
  times: number;
}

export interface FaultProxy {
  readonly host: string;
  readonly log: { method: string; path: string; status: number }[];
  add(fault: Fault): void;
  close(): Promise<void>;
}

export async function startFaultProxy(upstreamHost: string): Promise<FaultProxy> {
  const faults: Fault[] = [];
  const log: FaultProxy['log'] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const fault = faults.find(
      (f) => f.times > 0 && url.includes(f.path) && (!f.method || f.method === method),
    );
    if (fault) {
      fault.times--;
      log.push({ method, path: url, status: fault.status });
      req.resume();
      res.writeHead(fault.status, { 'content-type': 'application/json', ...fault.headers });
      res.end(JSON.stringify({ errors: [{ code: 'TOOMANYREQUESTS', message: 'planned fault' }] }));
      return;
    }
    const upstream = httpRequest(
      `http://${upstreamHost}${url}`,
      { method, headers: { ...req.headers, host: upstreamHost } },
      (up) => {
        log.push({ method, path: url, status: up.statusCode ?? 0 });
        const headers = { ...up.headers };
        // Upload locations point at the upstream; rewrite them to come back through us.
        if (typeof headers.location === 'string') {
          headers.location = headers.location.replace(upstreamHost, `127.0.0.1:${port()}`);
        }
        res.writeHead(up.statusCode ?? 502, headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => {
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (): number => {
    const a = server.address();
    return typeof a === 'object' && a ? a.port : 0;
  };
  return {
    host: `127.0.0.1:${port()}`,
    log,
    add: (f) => faults.push(f),
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
