import { detectionLogPrefix, DROP_LOG_PREFIX, parseLogPrefix } from '../../src/veilig/nflog';

describe('NFLOG prefixes', () => {
  it('round-trips a detection rule id and the drop prefix, with or without the trailing space ulogd keeps', () => {
    expect(parseLogPrefix(detectionLogPrefix('geen-telnet'))).toEqual({ kind: 'detection', ruleId: 'geen-telnet' });
    expect(parseLogPrefix(`${detectionLogPrefix('scan-of-flood')} `)).toEqual({ kind: 'detection', ruleId: 'scan-of-flood' });
    expect(parseLogPrefix(DROP_LOG_PREFIX)).toEqual({ kind: 'drop' });
  });
  it('does not claim a prefix ggi did not write', () => {
    expect(parseLogPrefix('ggi-det:')).toBeNull();
    expect(parseLogPrefix('iptables-drop')).toBeNull();
  });
  it('refuses an id that makes a prefix nftables would reject', () => {
    expect(() => detectionLogPrefix('x'.repeat(130))).toThrow(RangeError);
  });
});
