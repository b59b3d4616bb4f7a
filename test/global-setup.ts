/** Jest global setup: runs once before any test file. */
import { CHROMIUM_PATH_ENV, provideChromium } from './helpers/chromium-binary';
import { NO_REDIS_MESSAGE, REDIS_SERVER_BIN_ENV, provideRedisServer } from './helpers/redis-binary';

export default function globalSetup(): void {
  const binary = provideRedisServer();
  if (!binary) {
    process.stderr.write(`\n${NO_REDIS_MESSAGE}\n`);
    process.exit(1);
  }
  // Test workers are started after this and inherit the variable.
  process.env[REDIS_SERVER_BIN_ENV] = binary;
  // Only the browser test needs it; without one that test fails with its own line.
  const chromium = provideChromium();
  if (chromium) process.env[CHROMIUM_PATH_ENV] = chromium;
}
