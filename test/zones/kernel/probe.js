'use strict';
// Sends one real probe per flow from this namespace and prints one JSON line: the flows' outcomes (delivered or not).
// tcp: a connect that completes (or is refused by the far host) was delivered; udp: an echo came back; icmp: ping.
const net = require('node:net');
const dgram = require('node:dgram');
const { spawn } = require('node:child_process');
const flows = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const timeout = Number(process.argv[3] || 1500);
const limit = Number(process.argv[4] || 64);

function tcp(f) {
  return new Promise((resolve) => {
    const s = net.connect({ host: f.dst, port: f.dport, localAddress: f.src });
    const t = setTimeout(() => { s.destroy(); resolve(false); }, timeout);
    s.on('connect', () => { clearTimeout(t); s.destroy(); resolve(true); });
    s.on('error', (e) => { clearTimeout(t); resolve(e.code === 'ECONNREFUSED'); });
  });
}
function udp(f) {
  return new Promise((resolve) => {
    const s = dgram.createSocket(f.dst.includes(':') ? 'udp6' : 'udp4');
    let done = false;
    const finish = (v) => { if (done) return; done = true; clearTimeout(t); try { s.close(); } catch {} resolve(v); };
    const t = setTimeout(() => finish(false), timeout);
    s.on('message', () => finish(true));
    s.on('error', () => finish(false));
    s.bind(0, f.src, () => s.send(Buffer.from('ggi'), f.dport, f.dst));
  });
}
function icmp(f) {
  return new Promise((resolve) => {
    const args = [f.dst.includes(':') ? '-6' : '-4', '-c', '1', '-W', String(Math.ceil(timeout / 1000)), '-I', f.src, '-n', '-q', f.dst];
    const p = spawn('ping', args, { stdio: 'ignore' });
    p.on('exit', (code) => resolve(code === 0));
    p.on('error', () => resolve(false));
  });
}
(async () => {
  const out = new Array(flows.length);
  let next = 0;
  async function worker() {
    while (next < flows.length) {
      const i = next++;
      const f = flows[i];
      out[i] = await (f.proto === 'tcp' ? tcp(f) : f.proto === 'udp' ? udp(f) : icmp(f));
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, flows.length) }, worker));
  process.stdout.write(JSON.stringify(out) + '\n');
})();
