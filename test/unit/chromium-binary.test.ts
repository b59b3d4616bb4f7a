import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { locateChromium } from '../helpers/chromium-binary';

describe('locateChromium', () => {
  it('takes the browser CHROMIUM_PATH names when it is executable, and nothing else when it is not', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'portico-chromium-'));
    try {
      const browser = path.join(dir, 'chromium');
      writeFileSync(browser, '#!/bin/sh\n');
      expect(locateChromium({ CHROMIUM_PATH: browser })).toBeUndefined();
      chmodSync(browser, 0o755);
      expect(locateChromium({ CHROMIUM_PATH: browser })).toBe(browser);
      expect(locateChromium({ CHROMIUM_PATH: path.join(dir, 'missing') })).toBeUndefined();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
