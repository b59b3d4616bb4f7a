import { MAX_REQUEST_ID_LENGTH, resolveRequestId } from '../../shared/observability/request-id';

const generate = () => 'generated-id';

describe('resolveRequestId', () => {
  it('keeps a well-formed client id', () => {
    expect(resolveRequestId('abc-123_DEF.456:7', generate)).toBe('abc-123_DEF.456:7');
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['containing spaces', 'abc def'],
    ['containing a newline (log injection)', 'abc\nlevel=error'],
    ['containing quotes', 'abc"def'],
    ['too long', 'a'.repeat(MAX_REQUEST_ID_LENGTH + 1)],
    ['repeated', ['one', 'two']],
  ])('generates a new id when the client id is %s', (_label, header) => {
    expect(resolveRequestId(header, generate)).toBe('generated-id');
  });

  it('keeps an id of exactly the maximum length', () => {
    const id = 'a'.repeat(MAX_REQUEST_ID_LENGTH);
    expect(resolveRequestId(id, generate)).toBe(id);
  });

  it('generates UUIDs by default', () => {
    expect(resolveRequestId(undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });
});
