/** `npm run dev-keys`: creates the demo stack's dev signing keys and API key file if missing, and prints where they are. */
import { ensureDevKeys } from '../../shared/dev/dev-keys';

ensureDevKeys().then(
  (files) => process.stdout.write(`dev keys ready in ${files.dir}\n`),
  (err: Error) => {
    process.stderr.write(`dev-keys: ${err.message}\n`);
    process.exit(1);
  },
);
