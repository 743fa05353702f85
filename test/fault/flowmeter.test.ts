import { flowGaps, lossWindowMs, pingFlowReport } from '../../src/lab/flowmeter';

describe('flow meter: gaps from the packets', () => {
  it('finds every run of unanswered numbers, including one at the end', () => {
    expect(flowGaps([true, false, false, true, true, false, true, false])).toEqual([
      { start: 1, length: 2 },
      { start: 5, length: 1 },
      { start: 7, length: 1 },
    ]);
    expect(flowGaps([true, true])).toEqual([]);
  });

  it('reads the answers of a ping flow, not its error lines', () => {
    const out = [
      'PING 192.0.2.161 (192.0.2.161) 56(84) bytes of data.',
      '64 bytes from 192.0.2.161: icmp_seq=1 ttl=61 time=0.120 ms',
      'From 198.18.0.1 icmp_seq=2 Destination Host Unreachable',
      '64 bytes from 192.0.2.161: icmp_seq=5 ttl=61 time=0.101 ms',
      '64 bytes from 192.0.2.161: icmp_seq=6 ttl=61 time=0.101 ms',
      '64 bytes from 192.0.2.161: icmp_seq=6 ttl=61 time=0.101 ms (DUP!)',
      '',
      '--- 192.0.2.161 ping statistics ---',
      '8 packets transmitted, 3 received, 62.5% packet loss, time 70ms',
    ].join('\n');
    const r = pingFlowReport(out, 8, 10);
    expect(r.received).toBe(3);
    expect(r.gaps).toEqual([
      { start: 1, length: 3 },
      { start: 6, length: 2 },
    ]);
    expect(r.longestGap).toBe(3);
    expect(r.gapStart).toBe(1);
    expect(lossWindowMs(r)).toBe(30);
  });
});
