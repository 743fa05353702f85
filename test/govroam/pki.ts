import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Self-signed CA and one certificate per IP address (CN and subjectAltName IP), as radsecproxy checks them. */
export function makePki(dir: string, addresses: readonly string[]): { ca: string; certs: Map<string, { cert: string; key: string }> } {
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ggi test govroam CA']);
  const certs = new Map<string, { cert: string; key: string }>();
  for (const a of addresses) {
    const base = a.replace(/[^0-9a-f]/gi, '_');
    run(['req', ...ec, '-keyout', `${base}.key`, '-out', `${base}.csr`, '-subj', `/CN=${a}`]);
    fs.writeFileSync(`${dir}/${base}.ext`, `subjectAltName=IP:${a}\nextendedKeyUsage=serverAuth,clientAuth\n`);
    run(['x509', '-req', '-in', `${base}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${base}.pem`, '-days', '2', '-extfile', `${base}.ext`]);
    certs.set(a, { cert: `${dir}/${base}.pem`, key: `${dir}/${base}.key` });
  }
  return { ca: `${dir}/ca.pem`, certs };
}
