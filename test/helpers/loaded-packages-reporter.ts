/**
 * Preloaded (`--require`) into a BFF process started with an IPC channel, by tests that
 * check what it loads: asked `loaded-packages`, it answers `{ loadedPackages }`, every npm
 * package the process has required so far. (Not a signal: the BFF's lifecycle treats the
 * user signals as shutdown requests.)
 */
import { packagesIn } from './loaded-packages';

process.on('message', (message) => {
  if (message === 'loaded-packages') process.send?.({ loadedPackages: packagesIn(Object.keys(require.cache)) });
});
// The channel alone never keeps the BFF alive: it stops on its signals as it always does.
process.channel?.unref();
