/**
 * Attack: a body bigger than the limit, streamed chunked (no Content-Length) or declared,
 * to a passthrough POST. The limit holds while streaming: the client gets 413
 * PAYLOAD_TOO_LARGE, the upstream gets at most the limit before its request is cut off
 * (or nothing at all for a declared length), and ordinary requests carry on meanwhile.
 */
import { allUpstreamsAt, startPartnerBff, type RunningBff } from '../helpers/bffs';
import { http } from '../helpers/http';
import { startRecordingUpstream, type RecordingUpstream } from '../helpers/recording-upstream';
import { streamUpload } from '../helpers/uploads';
import { DEFAULT_SERVER_SETTINGS } from '../../shared/manifest';

const LIMIT = 65_536;

async function eventually(check: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
}

describe('streamed request bodies over the limit', () => {
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((req, res) => {
      res.writeHead(req.method === 'POST' ? 201 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ received: req.body.length }));
    });
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin), { server: { bodyLimitBytes: LIMIT } });
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  const ordersPosts = () => upstream.requests.filter((r) => r.method === 'POST');

  it('cuts a chunked 50 MB upload off at the limit: 413, the upstream got at most the limit and never the whole request', async () => {
    const bytesBefore = upstream.bodyBytes;
    const postsBefore = ordersPosts().length;
    const [attack, ordinary] = await Promise.all([
      streamUpload(`${partner.url}/v1/orders`, { totalBytes: 50 * 1024 * 1024 }),
      http(`${partner.url}/v1/products/1`),
    ]);
    expect(attack.status).toBe(413);
    expect(attack.json).toMatchObject({ statusCode: 413, code: 'PAYLOAD_TOO_LARGE', error: 'Payload Too Large', requestId: expect.any(String) });
    expect(attack.headers?.connection).toBe('close');
    expect(attack.bytesWritten).toBeLessThan(50 * 1024 * 1024);
    expect(ordinary.status).toBe(200);
    await eventually(() => upstream.cutOff > 0);
    expect(upstream.bodyBytes - bytesBefore).toBeLessThanOrEqual(LIMIT);
    expect(ordersPosts().length).toBe(postsBefore);
    expect(upstream.cutOff).toBeGreaterThanOrEqual(1);
  });

  it('refuses a declared Content-Length over the limit before anything is sent upstream', async () => {
    const bytesBefore = upstream.bodyBytes;
    const countBefore = upstream.requests.length + upstream.cutOff;
    const res = await streamUpload(`${partner.url}/v1/orders`, { totalBytes: 10 * 1024 * 1024, contentLength: 10 * 1024 * 1024 });
    expect(res.status).toBe(413);
    expect(res.json).toMatchObject({ code: 'PAYLOAD_TOO_LARGE', requestId: expect.any(String) });
    expect(upstream.bodyBytes).toBe(bytesBefore);
    expect(upstream.requests.length + upstream.cutOff).toBe(countBefore);
  });

  it('passes a chunked body within the limit whole', async () => {
    const res = await streamUpload(`${partner.url}/v1/orders`, { totalBytes: LIMIT });
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ received: LIMIT });
    expect(ordersPosts().at(-1)?.body.length).toBe(LIMIT);
  });

  it('answers Expect: 100-continue on an upload within the limit and does not forward Expect', async () => {
    const res = await streamUpload(`${partner.url}/v1/orders`, { totalBytes: 1_000, contentLength: 1_000, expectContinue: true });
    expect(res.continued).toBe(true);
    expect(res.status).toBe(201);
    expect(res.json).toEqual({ received: 1_000 });
    expect(ordersPosts().at(-1)?.headers.expect).toBeUndefined();
  });

  it('survives uploads the client cuts off (chunked or declared): nothing whole reaches the upstream, the next request works', async () => {
    const postsBefore = ordersPosts().length;
    const chunked = await streamUpload(`${partner.url}/v1/orders`, { totalBytes: LIMIT, abortAfterBytes: 32_768 });
    const declared = await streamUpload(`${partner.url}/v1/orders`, { totalBytes: 40_000, contentLength: 40_000, abortAfterBytes: 16_384 });
    expect(chunked.status).toBeUndefined();
    expect(declared.status).toBeUndefined();
    expect(ordersPosts().length).toBe(postsBefore);
    const next = await http(`${partner.url}/v1/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"ok":true}' });
    expect(next.status).toBe(201);
    expect(partner.app.breakers.states().orders ?? 'closed').toBe('closed');
  });
});

describe('streamed body limit default', () => {
  let upstream: RecordingUpstream;
  let partner: RunningBff;

  beforeAll(async () => {
    upstream = await startRecordingUpstream((_req, res) => {
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end('{}');
    });
    partner = await startPartnerBff(allUpstreamsAt(upstream.origin));
  });

  afterAll(async () => {
    await partner?.close();
    await upstream?.close();
  });

  it('is the server body limit (1 MiB): a chunked body just over it is refused, one at it passes', async () => {
    const limit = DEFAULT_SERVER_SETTINGS.bodyLimitBytes;
    expect(limit).toBe(1_048_576);
    const over = await streamUpload(`${partner.url}/v1/orders`, { totalBytes: limit + 16_384, chunkBytes: 65_536 });
    expect(over.status).toBe(413);
    expect(over.json.code).toBe('PAYLOAD_TOO_LARGE');
    await eventually(() => upstream.cutOff > 0);
    expect(upstream.bodyBytes).toBeLessThanOrEqual(limit);
    expect(upstream.requests.filter((r) => r.method === 'POST')).toHaveLength(0);
    const at = await streamUpload(`${partner.url}/v1/orders`, { totalBytes: limit, chunkBytes: 65_536 });
    expect(at.status).toBe(201);
  });
});
