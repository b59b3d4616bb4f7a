/**
 * Preloaded (`--require`) into a BFF process by tests that check what it loads: on SIGUSR2
 * it writes one line, `LOADED-PACKAGES <json>`, naming every npm package the process has
 * required so far.
 */
import { packagesIn } from './loaded-packages';

process.on('SIGUSR2', () => {
  process.stdout.write(`\nLOADED-PACKAGES ${JSON.stringify(packagesIn(Object.keys(require.cache)))}\n`);
});
