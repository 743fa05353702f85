import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { TransportError } from '../../src/devices/contract';
import { basicAuthHeader, connectHttp, hostAllowed, requestJson } from '../../src/reconciler/http-transport';

const PASSWORD = 'p@ss: wörd "1"';

/** A loopback JSON server that wants basic auth `ggi` / PASSWORD; `hang` never answers. */
function server(): Promise<{ port: number; seen: Array<{ auth?: string; body: string }>; close: () => Promise<void> }> {
  const seen: Array<{ auth?: string; body: string }> = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ auth: req.headers.authorization, body });
      if (req.url === '/hang') return;
      if (req.headers.authorization !== basicAuthHeader('ggi', PASSWORD)) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        return res.end('[{"result":1,"text":"Unauthorized"}]');
      }
      if (req.url === '/text') {
        res.writeHead(200);
        return res.end('not json');
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([{ result: 0, echo: JSON.parse(body) }]));
    });
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () =>
      resolve({
        port: (srv.address() as AddressInfo).port,
        seen,
        close: () =>
          new Promise<void>((r) => {
            srv.closeAllConnections();
            srv.close(() => r());
          }),
      }),
    ),
  );
}

async function rejection(p: Promise<unknown>): Promise<TransportError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TransportError) return e;
    throw e;
  }
  throw new Error('expected a TransportError');
}

describe('http transport', () => {
  it('allows only IP literals inside the allowed prefixes', () => {
    expect(hostAllowed('127.0.0.1')).toBe(true);
    expect(hostAllowed('::1')).toBe(true);
    expect(hostAllowed('198.19.0.5')).toBe(true);
    expect(hostAllowed('3fff:500::1')).toBe(true);
    expect(hostAllowed('8.8.8.8')).toBe(false);
    expect(hostAllowed('localhost')).toBe(false);
    expect(hostAllowed('kea.example.nl')).toBe(false);
    expect(hostAllowed('10.1.2.3', ['10.0.0.0/8'])).toBe(true);
    expect(hostAllowed('127.0.0.1', ['10.0.0.0/8'])).toBe(false);
    expect(() => connectHttp({ id: 'x', host: '8.8.8.8', port: 8000 })).toThrow(/not an IP address inside the allowed/);
  });

  it('posts JSON with basic auth from the environment and parses the answer', async () => {
    const s = await server();
    const t = connectHttp({ id: 'kea-1', host: '127.0.0.1', port: s.port, auth: { user: 'ggi', password: { env: 'KEA_PW' } } }, { env: { KEA_PW: PASSWORD } });
    try {
      expect(await requestJson(t, { method: 'POST', path: '/', body: { command: 'status-get' } })).toEqual([{ result: 0, echo: { command: 'status-get' } }]);
      expect(await requestJson(t, { method: 'POST', path: '/', body: { command: 'config-get' } })).toEqual([{ result: 0, echo: { command: 'config-get' } }]);
      expect(s.seen[0].auth).toBe(`Basic ${Buffer.from(`ggi:${PASSWORD}`).toString('base64')}`);
      const e = await rejection(requestJson(t, { method: 'POST', path: '/text', body: {} }));
      expect(e.code).toBe('CONNECTION_LOST');
      expect(e.message).toContain('not JSON');
    } finally {
      await t.close();
      await s.close();
    }
  });

  it('reads the password from an owner-only file and refuses a readable one; never shows it', async () => {
    const s = await server();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ggi-http-'));
    try {
      fs.writeFileSync(path.join(dir, 'pw'), `${PASSWORD}\n`, { mode: 0o600 });
      const t = connectHttp({ id: 'kea-1', host: '127.0.0.1', port: s.port, auth: { user: 'ggi', password: { file: 'pw' } } }, { baseDir: dir });
      expect(await requestJson(t, { method: 'POST', path: '/', body: { a: 1 } })).toEqual([{ result: 0, echo: { a: 1 } }]);
      await t.close();

      fs.chmodSync(path.join(dir, 'pw'), 0o644);
      let err: unknown;
      try {
        connectHttp({ id: 'kea-1', host: '127.0.0.1', port: s.port, auth: { user: 'ggi', password: { file: 'pw' } } }, { baseDir: dir });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(TransportError);
      expect((err as TransportError).code).toBe('AUTH_FAILED');
      expect((err as Error).message).toContain('readable by others');
      expect((err as Error).message).not.toContain(PASSWORD);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      await s.close();
    }
  });

  it('reports a wrong password as AUTH_FAILED without the password, a silent server as TIMEOUT, no server as UNREACHABLE', async () => {
    const s = await server();
    const bad = connectHttp({ id: 'kea-1', host: '127.0.0.1', port: s.port, auth: { user: 'ggi', password: { env: 'KEA_PW' } } }, { env: { KEA_PW: 'wrong-secret' } });
    const e1 = await rejection(requestJson(bad, { method: 'POST', path: '/', body: {} }));
    expect(e1.code).toBe('AUTH_FAILED');
    expect(e1.message).not.toContain('wrong-secret');
    // The transport itself returns every status (the contract); only requestJson turns 401 into an error.
    expect((await bad.request({ method: 'POST', path: '/', body: {} })).status).toBe(401);
    await bad.close();

    const slow = connectHttp({ id: 'kea-1', host: '127.0.0.1', port: s.port }, { timeoutMs: 300 });
    const started = Date.now();
    const e2 = await rejection(requestJson(slow, { method: 'POST', path: '/hang', body: {} }));
    expect(e2.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(5000);
    await slow.close();
    const port = s.port;
    await s.close();

    const gone = connectHttp({ id: 'kea-1', host: '127.0.0.1', port });
    const e3 = await rejection(requestJson(gone, { method: 'POST', path: '/', body: {} }));
    expect(e3.code).toBe('UNREACHABLE');
    await gone.close();
  });
});
