/**
 * The reconciler's HTTP edge, for appliances driven by an API (e.g. an appliance's control agent): a small JSON-over-HTTP
 * client on node:http. Plain HTTP with basic authentication (RFC 7617) is what such agents speak on a management
 * network; the address is checked before any byte is sent:
 * - only IP literals (no DNS: a management address is pinned in the inventory, a name could be redirected);
 * - only inside the allowed prefixes (default: loopback and the documentation/benchmarking ranges the lab uses; a
 *   deployment passes its management network, ggi.yaml `transfer.managementIpv4`).
 * Credentials are read at connect time from the environment or an owner-only file (src/secrets), held only in the
 * Authorization header, and never appear in a message or an error.
 */
import * as http from 'node:http';
import { contains, parseAddress, parsePrefix, type Prefix } from '../net';
import { readSecret, SecretError } from '../secrets';
import type { SecretRef } from '../model/schema';
import { TransportError, type HttpRequest, type HttpResponse, type HttpTransport } from '../devices/contract';

/** Where the controller may send HTTP requests unless told otherwise: loopback and the lab's documentation ranges. */
export const DEFAULT_HTTP_ALLOWED: readonly string[] = [
  '127.0.0.0/8',
  '::1/128',
  '192.0.2.0/24',
  '198.51.100.0/24',
  '203.0.113.0/24',
  '198.18.0.0/15',
  '2001:db8::/32',
  '3fff::/20',
];

export interface HttpAuth {
  user: string;
  /** The password, named, never written: `{ env: NAME }` or `{ file: PATH }` (owner-only). */
  password: SecretRef;
}

export interface HttpTarget {
  /** Device id, for messages. */
  id: string;
  /** An IP literal. */
  host: string;
  port: number;
  auth?: HttpAuth;
}

export interface HttpOptions {
  /** Per request: connect + answer (default 10 s). */
  timeoutMs?: number;
  /** Prefixes the host must lie in (default DEFAULT_HTTP_ALLOWED). */
  allowed?: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** Base folder for relative secret files (default: the working directory). */
  baseDir?: string;
  /** Largest answer accepted (default 16 MiB; the full configuration of a big appliance is a few MiB). */
  maxBytes?: number;
}

/** True when `host` is an IP literal inside one of `allowed`. Pure. */
export function hostAllowed(host: string, allowed: readonly string[] = DEFAULT_HTTP_ALLOWED): boolean {
  let a: { family: 4 | 6; value: bigint };
  try {
    a = parseAddress(host);
  } catch {
    return false;
  }
  const point: Prefix = { family: a.family, addr: a.value, len: a.family === 4 ? 32 : 128 };
  return allowed.some((p) => {
    try {
      return contains(parsePrefix(p, { strict: false }), point);
    } catch {
      return false;
    }
  });
}

/** The Authorization header value for basic authentication (RFC 7617: user-id ":" password, UTF-8, base64). */
export function basicAuthHeader(user: string, password: string): string {
  if (user.includes(':')) throw new TransportError('AUTH_FAILED', 'an HTTP basic-auth user name cannot contain a colon (RFC 7617)');
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * Checks the target and reads its credentials; no connection is made until the first request (HTTP/1.1 with a
 * keep-alive agent, closed by `close`).
 */
export function connectHttp(target: HttpTarget, opts: HttpOptions = {}): HttpTransport {
  const where = `${target.id} (${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port})`;
  if (!hostAllowed(target.host, opts.allowed)) {
    throw new TransportError('UNREACHABLE', `${where}: ${target.host} is not an IP address inside the allowed management prefixes (${(opts.allowed ?? DEFAULT_HTTP_ALLOWED).join(', ')})`);
  }
  if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) throw new TransportError('UNREACHABLE', `${where}: port ${target.port} is not 1-65535`);
  let authorization: string | undefined;
  if (target.auth) {
    let password: string;
    try {
      password = readSecret(target.auth.password, opts.env ?? process.env, opts.baseDir ?? process.cwd());
    } catch (e) {
      if (e instanceof SecretError) throw new TransportError('AUTH_FAILED', `${where}: the API password: ${e.message}`);
      throw e;
    }
    authorization = basicAuthHeader(target.auth.user, password);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxBytes = opts.maxBytes ?? 16 * 1024 * 1024;
  let closed = false;
  const endpoint = `http://${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;

  const request = (r: HttpRequest): Promise<HttpResponse> => {
    if (closed) return Promise.reject(new TransportError('CONNECTION_LOST', `${where}: the transport is closed`));
    const body = r.body === undefined ? undefined : Buffer.from(JSON.stringify(r.body), 'utf8');
    const limit = r.timeoutMs ?? timeoutMs;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (e: TransportError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        req.destroy();
        reject(e);
      };
      const req = http.request(
        {
          host: target.host,
          port: target.port,
          path: r.path,
          method: r.method,
          agent,
          headers: {
            ...(body ? { 'Content-Type': 'application/json', 'Content-Length': body.length } : {}),
            ...(authorization ? { Authorization: authorization } : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > maxBytes) return fail(new TransportError('CONNECTION_LOST', `${where}: the answer to ${r.path} is larger than ${maxBytes} bytes`));
            chunks.push(c);
          });
          res.on('error', (e) => fail(new TransportError('CONNECTION_LOST', `${where}: ${e.message}`)));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            const text = Buffer.concat(chunks).toString('utf8');
            let json: unknown = null;
            try {
              json = JSON.parse(text) as unknown;
            } catch {
              json = null;
            }
            resolve({ status: res.statusCode ?? 0, json, text });
          });
        },
      );
      // One deadline for connect and answer: a device that accepts and never answers must not hold the apply.
      const timer = setTimeout(() => fail(new TransportError('TIMEOUT', `${where}: no answer to ${r.method} ${r.path} within ${Math.round(limit / 100) / 10} s`)), limit);
      req.on('error', (e: NodeJS.ErrnoException) => fail(classify(e, where)));
      req.end(body);
    });
  };

  return {
    kind: 'http-api',
    endpoint,
    request,
    async close() {
      closed = true;
      agent.destroy();
    },
  };
}

/**
 * A request whose answer must be 2xx JSON: 401/403 is AUTH_FAILED (the transport returns every status; callers that
 * want JSON or nothing use this). The credentials never appear in the message.
 */
export async function requestJson(t: HttpTransport, r: HttpRequest): Promise<unknown> {
  const res = await t.request(r);
  if (res.status === 401 || res.status === 403) throw new TransportError('AUTH_FAILED', `${t.endpoint}: the API refused the credentials (HTTP ${res.status})`);
  if (res.status < 200 || res.status > 299) throw new TransportError('CONNECTION_LOST', `${t.endpoint}: HTTP ${res.status} from ${r.path}: ${clip(res.text)}`);
  if (res.json === null && res.text.trim() !== 'null') throw new TransportError('CONNECTION_LOST', `${t.endpoint}: the answer from ${r.path} is not JSON: ${clip(res.text)}`);
  return res.json;
}

function classify(e: NodeJS.ErrnoException, where: string): TransportError {
  switch (e.code) {
    case 'ECONNREFUSED':
      return new TransportError('UNREACHABLE', `${where}: connection refused (is the API agent running?)`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new TransportError('UNREACHABLE', `${where}: no route to the device`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new TransportError('CONNECTION_LOST', `${where}: the connection was reset`);
    default:
      return new TransportError('UNREACHABLE', `${where}: ${e.message}`);
  }
}

function clip(s: string): string {
  const t = s.trim().replace(/\s+/g, ' ');
  return t.length > 200 ? `${t.slice(0, 200)}…` : t;
}
