import type { IncomingMessage } from 'node:http';
import { isWarmUpRequest, openWarmUpWindow, WARM_UP_REQUEST_HEADER, warmUpRequestHeaders } from '../../shared/warm-up-request';

const secret = warmUpRequestHeaders()[WARM_UP_REQUEST_HEADER] as string;

function raw(header: string | string[] | undefined, remoteAddress: string | undefined): IncomingMessage {
  return { headers: header === undefined ? {} : { [WARM_UP_REQUEST_HEADER]: header }, socket: { remoteAddress } } as unknown as IncomingMessage;
}

describe('isWarmUpRequest', () => {
  it('recognises the secret from loopback only while a warm-up is under way', () => {
    expect(isWarmUpRequest(raw(secret, '127.0.0.1'))).toBe(false);
    const close = openWarmUpWindow();
    try {
      expect(isWarmUpRequest(raw(secret, '127.0.0.1'))).toBe(true);
      expect(isWarmUpRequest(raw(secret, '::1'))).toBe(true);
      expect(isWarmUpRequest(raw(secret, '::ffff:127.0.0.1'))).toBe(true);
    } finally {
      close();
      close();
    }
    expect(isWarmUpRequest(raw(secret, '127.0.0.1'))).toBe(false);
  });

  it.each([
    ['no header', raw(undefined, '127.0.0.1')],
    ['another value', raw('x'.repeat(secret.length), '127.0.0.1')],
    ['a value of another length', raw(`${secret}x`, '127.0.0.1')],
    ['the header twice', raw([secret, secret], '127.0.0.1')],
    ['the secret from another address', raw(secret, '10.0.0.7')],
    ['the secret from a public IPv6 address', raw(secret, '2001:db8::1')],
    ['the secret from an unknown address', raw(secret, undefined)],
  ])('refuses %s, even during a warm-up', (_name, request) => {
    const close = openWarmUpWindow();
    try {
      expect(isWarmUpRequest(request)).toBe(false);
    } finally {
      close();
    }
  });
});
