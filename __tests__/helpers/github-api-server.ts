/**
 * A local stand-in for the GitHub REST endpoints the action calls (code-scanning SARIF upload
 * and status, issue comments, dependency snapshots), on 127.0.0.1. Every request is checked against GitHub's own
 * OpenAPI description (@octokit/openapi): the operation must exist, path and query
 * parameters and the JSON body must match their schemas. Every answer it gives is checked
 * against the same description, so the stand-in cannot drift from the real API. Problems are
 * collected in `violations`; tests assert it stays empty.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import type { AddressInfo } from 'node:net';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

const require = createRequire(import.meta.url);

interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  readonly required?: boolean;
  readonly schema?: Record<string, unknown>;
}

interface OpenApiOperation {
  readonly operationId: string;
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: { content?: Record<string, { schema?: Record<string, unknown> }> };
  readonly responses: Record<
    string,
    { content?: Record<string, { schema?: Record<string, unknown> }> }
  >;
}

/** The operations the action uses; anything else is a violation. */
const SUPPORTED = [
  ['POST', '/repos/{owner}/{repo}/code-scanning/sarifs'],
  ['GET', '/repos/{owner}/{repo}/code-scanning/sarifs/{sarif_id}'],
  ['GET', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['POST', '/repos/{owner}/{repo}/issues/{issue_number}/comments'],
  ['PATCH', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['DELETE', '/repos/{owner}/{repo}/issues/comments/{comment_id}'],
  ['POST', '/repos/{owner}/{repo}/dependency-graph/snapshots'],
] as const;

interface CompiledOperation {
  readonly method: string;
  readonly template: string;
  readonly regex: RegExp;
  readonly names: readonly string[];
  readonly op: OpenApiOperation;
  readonly params: ReadonlyMap<string, ValidateFunction>;
  readonly body?: ValidateFunction;
  readonly responses: ReadonlyMap<string, ValidateFunction>;
}

let compiled: CompiledOperation[] | undefined;

/**
 * OpenAPI 3.0's `nullable` as JSON Schema. Ajv understands it only beside `type`; the
 * dependency snapshot schema has it on a bare `additionalProperties` too.
 */
export function fromOpenApi(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(fromOpenApi);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(node)) if (k !== 'nullable') out[k] = fromOpenApi(v);
  if ((node as { nullable?: unknown }).nullable !== true) return out;
  if (typeof out['type'] === 'string') return { ...out, type: [out['type'], 'null'] };
  return { anyOf: [out, { type: 'null' }] };
}

/** Parse the dereferenced description once per worker and compile the schemas we need. */
function operations(): CompiledOperation[] {
  if (compiled !== undefined) return compiled;
  const file = require.resolve('@octokit/openapi/generated/api.github.com.deref.json');
  const spec = fromOpenApi(JSON.parse(readFileSync(file, 'utf8'))) as {
    paths: Record<string, Record<string, OpenApiOperation>>;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  const addFormats = addFormatsModule as unknown as (a: Ajv) => void;
  addFormats(ajv);
  compiled = SUPPORTED.map(([method, template]) => {
    const op = spec.paths[template]?.[method.toLowerCase()];
    if (op === undefined) throw new Error(`OpenAPI description has no ${method} ${template}`);
    const names: string[] = [];
    const regex = new RegExp(
      `^${template.replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n);
        return '([^/]+)';
      })}$`,
    );
    const params = new Map<string, ValidateFunction>();
    for (const p of op.parameters ?? []) {
      if (p.schema !== undefined) params.set(`${p.in}:${p.name}`, ajv.compile(p.schema));
    }
    const bodySchema = op.requestBody?.content?.['application/json']?.schema;
    const responses = new Map<string, ValidateFunction>();
    for (const [status, r] of Object.entries(op.responses)) {
      const s = r.content?.['application/json']?.schema;
      if (s !== undefined) responses.set(status, ajv.compile(s));
    }
    return {
      method,
      template,
      regex,
      names,
      op,
      params,
      ...(bodySchema !== undefined && { body: ajv.compile(bodySchema) }),
      responses,
    };
  });
  return compiled;
}

export interface ScriptedResponse {
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface StoredComment {
  id: number;
  issue: number;
  body: string;
  created_at: string;
  updated_at: string;
}

export interface StoredUpload {
  readonly id: string;
  readonly commit_sha: string;
  readonly ref: string;
  /** The decoded SARIF document. */
  readonly sarif: unknown;
  /** Status polls left before it reports `complete` (or `failed` with `errors`). */
  pollsLeft: number;
  errors?: string[];
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly operationId?: string;
  readonly body: unknown;
  readonly authorization?: string;
}

export interface FakeGitHub {
  readonly url: string;
  readonly violations: string[];
  readonly requests: RecordedRequest[];
  readonly comments: Map<number, StoredComment>;
  readonly uploads: StoredUpload[];
  /** Dependency snapshots as submitted (bodies already checked against the schema). */
  readonly snapshots: unknown[];
  /** Answers for the next requests of an operation, before the normal handler runs. */
  script(operationId: string, ...responses: ScriptedResponse[]): void;
  /** Hold answers to an operation until `count` of its requests are waiting together. */
  barrier(operationId: string, count: number): void;
  /** How many status polls a new upload stays `pending`, and whether it then fails. */
  processing(opts: { pendingPolls: number; errors?: string[] }): void;
  /** Seed a comment as if an earlier run (or a person) wrote it. */
  seedComment(issue: number, body: string): StoredComment;
  close(): Promise<void>;
}

export interface FakeGitHubOptions {
  readonly owner: string;
  readonly repo: string;
  readonly token: string;
  /** The PRs that exist; comments on others answer 404. */
  readonly pulls: readonly number[];
}

function user(): Record<string, unknown> {
  const base = 'http://127.0.0.1/users/github-actions%5Bbot%5D';
  return {
    login: 'github-actions[bot]',
    id: 41898282,
    node_id: 'MDM6Qm90NDE4OTgyODI=',
    avatar_url: 'http://127.0.0.1/avatars/41898282',
    gravatar_id: '',
    url: base,
    html_url: 'http://127.0.0.1/apps/github-actions',
    followers_url: `${base}/followers`,
    following_url: `${base}/following{/other_user}`,
    gists_url: `${base}/gists{/gist_id}`,
    starred_url: `${base}/starred{/owner}{/repo}`,
    subscriptions_url: `${base}/subscriptions`,
    organizations_url: `${base}/orgs`,
    repos_url: `${base}/repos`,
    events_url: `${base}/events{/privacy}`,
    received_events_url: `${base}/received_events`,
    type: 'Bot',
    site_admin: false,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function coerce(value: string, schema: Record<string, unknown> | undefined): unknown {
  return schema?.['type'] === 'integer' && /^-?\d+$/.test(value) ? Number(value) : value;
}

export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  const ops = operations();
  const violations: string[] = [];
  const requests: RecordedRequest[] = [];
  const comments = new Map<number, StoredComment>();
  const uploads: StoredUpload[] = [];
  const snapshots: unknown[] = [];
  const scripts = new Map<string, ScriptedResponse[]>();
  const barriers = new Map<string, { count: number; waiting: (() => void)[] }>();
  let processing: { pendingPolls: number; errors?: string[] } = { pendingPolls: 1 };
  let nextCommentId = 1000;
  let nextUpload = 1;
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const stamp = (): string => new Date((clock += 1000)).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const storeComment = (issue: number, body: string): StoredComment => {
    const now = stamp();
    const c: StoredComment = { id: nextCommentId++, issue, body, created_at: now, updated_at: now };
    comments.set(c.id, c);
    return c;
  };
  let baseUrl = '';

  const commentJson = (c: StoredComment): Record<string, unknown> => ({
    id: c.id,
    node_id: `IC_${c.id}`,
    url: `${baseUrl}/repos/${opts.owner}/${opts.repo}/issues/comments/${c.id}`,
    html_url: `${baseUrl}/${opts.owner}/${opts.repo}/pull/${c.issue}#issuecomment-${c.id}`,
    issue_url: `${baseUrl}/repos/${opts.owner}/${opts.repo}/issues/${c.issue}`,
    body: c.body,
    user: user(),
    created_at: c.created_at,
    updated_at: c.updated_at,
    author_association: 'NONE',
  });

  const error = (status: number, message: string): ScriptedResponse => ({
    status,
    body: { message, documentation_url: 'https://docs.github.com/rest' },
  });

  const handle = (
    op: CompiledOperation,
    params: Record<string, string>,
    query: URLSearchParams,
    body: unknown,
  ): ScriptedResponse => {
    if (params['owner'] !== opts.owner || params['repo'] !== opts.repo)
      return error(404, 'Not Found');
    const b = (body ?? {}) as Record<string, unknown>;
    switch (op.op.operationId) {
      case 'code-scanning/upload-sarif': {
        let sarif: unknown;
        try {
          sarif = JSON.parse(
            gunzipSync(Buffer.from(String(b['sarif']), 'base64')).toString('utf8'),
          );
        } catch {
          violations.push('upload-sarif: `sarif` is not base64 of gzipped JSON');
          return error(400, 'Invalid SARIF');
        }
        const id = `00000000-0000-4000-8000-${String(nextUpload++).padStart(12, '0')}`;
        uploads.push({
          id,
          commit_sha: String(b['commit_sha']),
          ref: String(b['ref']),
          sarif,
          pollsLeft: processing.pendingPolls,
          ...(processing.errors !== undefined && { errors: processing.errors }),
        });
        return {
          status: 202,
          body: {
            id,
            url: `${baseUrl}/repos/${opts.owner}/${opts.repo}/code-scanning/sarifs/${id}`,
          },
        };
      }
      case 'code-scanning/get-sarif': {
        const u = uploads.find((x) => x.id === params['sarif_id']);
        if (u === undefined) return error(404, 'Not Found');
        if (u.pollsLeft > 0) {
          u.pollsLeft -= 1;
          return {
            status: 200,
            body: { processing_status: 'pending', analyses_url: null, errors: null },
          };
        }
        return u.errors !== undefined
          ? {
              status: 200,
              body: { processing_status: 'failed', analyses_url: null, errors: u.errors },
            }
          : {
              status: 200,
              body: {
                processing_status: 'complete',
                analyses_url: `${baseUrl}/repos/${opts.owner}/${opts.repo}/code-scanning/analyses?sarif_id=${u.id}`,
                errors: [],
              },
            };
      }
      case 'issues/list-comments': {
        const issue = Number(params['issue_number']);
        if (!opts.pulls.includes(issue)) return error(404, 'Not Found');
        const perPage = Number(query.get('per_page') ?? 30);
        const page = Number(query.get('page') ?? 1);
        const all = [...comments.values()]
          .filter((c) => c.issue === issue)
          .sort((a, c) => a.id - c.id);
        return {
          status: 200,
          body: all.slice((page - 1) * perPage, page * perPage).map(commentJson),
        };
      }
      case 'issues/create-comment': {
        const issue = Number(params['issue_number']);
        if (!opts.pulls.includes(issue)) return error(404, 'Not Found');
        const text = String(b['body']);
        if (text.length > 65_536)
          return error(422, 'Body is too long (maximum is 65536 characters)');
        return { status: 201, body: commentJson(storeComment(issue, text)) };
      }
      case 'issues/update-comment': {
        const c = comments.get(Number(params['comment_id']));
        if (c === undefined) return error(404, 'Not Found');
        const text = String(b['body']);
        if (text.length > 65_536)
          return error(422, 'Body is too long (maximum is 65536 characters)');
        c.body = text;
        c.updated_at = stamp();
        return { status: 200, body: commentJson(c) };
      }
      case 'issues/delete-comment': {
        const id = Number(params['comment_id']);
        if (!comments.delete(id)) return error(404, 'Not Found');
        return { status: 204 };
      }
      case 'dependency-graph/create-repository-snapshot': {
        snapshots.push(body);
        return {
          status: 201,
          body: {
            id: snapshots.length,
            created_at: stamp(),
            result: 'SUCCESS',
            message: 'Dependency results for the repo have been successfully updated.',
          },
        };
      }
      default:
        return error(500, 'unhandled');
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const text = await readBody(req);
    let body: unknown = undefined;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        violations.push(`${method} ${url.pathname}: body is not JSON`);
      }
    }
    const auth = req.headers['authorization'];
    const op = ops.find((o) => o.method === method && o.regex.test(url.pathname));
    requests.push({
      method,
      path: url.pathname,
      ...(op !== undefined && { operationId: op.op.operationId }),
      body,
      ...(typeof auth === 'string' && { authorization: auth }),
    });
    const send = (r: ScriptedResponse): void => {
      if (op !== undefined && r.body !== undefined) {
        const check = op.responses.get(String(r.status));
        if (check !== undefined && !check(r.body)) {
          violations.push(
            `${op.op.operationId} ${r.status} answer: ${JSON.stringify(check.errors)}`,
          );
        }
      }
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(r.body === undefined ? '' : JSON.stringify(r.body));
    };
    if (op === undefined) {
      violations.push(`${method} ${url.pathname}: not an endpoint the action should call`);
      send(error(404, 'Not Found'));
      return;
    }
    if (auth !== `Bearer ${opts.token}`)
      violations.push(`${method} ${url.pathname}: missing or wrong token`);
    if (req.headers['x-github-api-version'] === undefined)
      violations.push(`${method} ${url.pathname}: no X-GitHub-Api-Version`);
    const m = op.regex.exec(url.pathname)!;
    const params: Record<string, string> = {};
    op.names.forEach((n, i) => (params[n] = decodeURIComponent(m[i + 1]!)));
    for (const p of op.op.parameters ?? []) {
      const raw =
        p.in === 'path'
          ? params[p.name]
          : p.in === 'query'
            ? (url.searchParams.get(p.name) ?? undefined)
            : undefined;
      if (raw === undefined) {
        if (p.required && p.in !== 'header')
          violations.push(`${op.op.operationId}: missing ${p.in} parameter ${p.name}`);
        continue;
      }
      const check = op.params.get(`${p.in}:${p.name}`);
      if (check !== undefined && !check(coerce(raw, p.schema))) {
        violations.push(
          `${op.op.operationId}: ${p.in} parameter ${p.name}=${raw}: ${JSON.stringify(check.errors)}`,
        );
      }
    }
    for (const key of url.searchParams.keys()) {
      if (!(op.op.parameters ?? []).some((p) => p.in === 'query' && p.name === key)) {
        violations.push(`${op.op.operationId}: unknown query parameter ${key}`);
      }
    }
    if (op.body !== undefined) {
      if (body === undefined) violations.push(`${op.op.operationId}: no JSON body`);
      else if (!op.body(body))
        violations.push(`${op.op.operationId} body: ${JSON.stringify(op.body.errors)}`);
    } else if (body !== undefined) {
      violations.push(`${op.op.operationId}: takes no body`);
    }

    const gate = barriers.get(op.op.operationId);
    if (gate !== undefined) {
      await new Promise<void>((release) => {
        gate.waiting.push(release);
        if (gate.waiting.length >= gate.count) {
          barriers.delete(op.op.operationId);
          for (const r of gate.waiting) r();
        }
      });
    }
    const scripted = scripts.get(op.op.operationId)?.shift();
    send(scripted ?? handle(op, params, url.searchParams, body));
  };

  const server: Server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      violations.push(`server error: ${String(err)}`);
      res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  return {
    url: baseUrl,
    violations,
    requests,
    comments,
    uploads,
    snapshots,
    script(operationId, ...responses) {
      scripts.set(operationId, [...(scripts.get(operationId) ?? []), ...responses]);
    },
    barrier(operationId, count) {
      barriers.set(operationId, { count, waiting: [] });
    },
    processing(p) {
      processing = p;
    },
    seedComment: storeComment,
    close() {
      return new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      });
    },
  };
}
