'use strict';
// Listens on every given TCP port on all addresses (both families), and on every given UDP port on each given
// address: a UDP reply must come from the address the datagram was sent to, which a wildcard socket does not ensure.
const net = require('node:net');
const dgram = require('node:dgram');
const [tcpPorts, udpPorts, addresses] = JSON.parse(process.argv[2]);
let pending = tcpPorts.length + udpPorts.length * addresses.length;
const ready = () => {
  if (--pending === 0) process.stdout.write('ready\n');
};
for (const port of tcpPorts) {
  const s = net.createServer((c) => {
    c.on('error', () => {});
    c.end();
  });
  s.listen({ port, host: '::', ipv6Only: false }, ready);
}
for (const port of udpPorts) {
  for (const addr of addresses) {
    const s = dgram.createSocket(addr.includes(':') ? 'udp6' : 'udp4');
    s.on('message', (msg, rinfo) => s.send(msg, rinfo.port, rinfo.address));
    s.bind(port, addr, ready);
  }
}
