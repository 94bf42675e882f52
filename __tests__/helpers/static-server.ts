/** A static file server on 127.0.0.1 for a fake release: path → bytes; anything else is 404. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StaticServer {
  readonly url: string;
  /** Paths requested, in order. */
  readonly requests: string[];
  /** Replace the files served (a test tampers with one). */
  files: Map<string, Buffer>;
  close(): Promise<void>;
}

export async function startStaticServer(files: Map<string, Buffer>): Promise<StaticServer> {
  const state = { files, requests: [] as string[] };
  const server = http.createServer((req, res) => {
    const p = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    state.requests.push(p);
    const body = state.files.get(p);
    if (req.method !== 'GET' || body === undefined) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
    });
    res.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: state.requests,
    get files() {
      return state.files;
    },
    set files(f: Map<string, Buffer>) {
      state.files = f;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
