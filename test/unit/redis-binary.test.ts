import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { REDIS_SERVER_BIN_ENV, locateRedisServer } from '../helpers/redis-binary';

describe('locating redis-server for the test harness', () => {
  let dir: string;
  let fake: string;

  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'portico-redis-bin-'));
    fake = path.join(dir, 'redis-server');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the binary named by the environment', () => {
    expect(locateRedisServer({ [REDIS_SERVER_BIN_ENV]: fake, PATH: '' })).toBe(fake);
  });

  it('does not fall back to another binary when the named one is missing', () => {
    expect(locateRedisServer({ [REDIS_SERVER_BIN_ENV]: path.join(dir, 'missing'), PATH: dir })).toBeUndefined();
  });

  it('finds it on PATH', () => {
    expect(locateRedisServer({ PATH: `/nonexistent${path.delimiter}${dir}` })).toBe(fake);
  });
});
