import { stripHopByHopHeaders } from '../../shared/rest/hop-by-hop';

describe('stripHopByHopHeaders', () => {
  it('removes the standard hop-by-hop headers and keeps end-to-end ones', () => {
    const out = stripHopByHopHeaders({
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      te: 'trailers',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic xyz',
      'content-type': 'application/json',
      etag: '"abc"',
    });
    expect(out).toEqual({ 'content-type': 'application/json', etag: '"abc"' });
  });

  it('removes headers named by Connection, in any case', () => {
    const out = stripHopByHopHeaders({ connection: 'X-Debug-Token, x-Trace', 'x-debug-token': '1', 'X-Trace': '2', 'x-kept': '3' });
    expect(out).toEqual({ 'x-kept': '3' });
  });

  it('does not modify its input', () => {
    const input = { connection: 'close', accept: '*/*' };
    stripHopByHopHeaders(input);
    expect(input).toEqual({ connection: 'close', accept: '*/*' });
  });
});
