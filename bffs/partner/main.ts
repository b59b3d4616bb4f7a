/** Entry point of the partner BFF: reads the environment once, listens, shuts down gracefully. */
import { restManifestFromEnv } from '../../shared/config/rest-env';
import { runMain } from '../../shared/config/server-env';
import { runUntilSignalled } from '../../shared/lifecycle';
import { partnerManifest } from './manifest';
import { buildServer } from './server';

void runMain(async () => {
  const manifest = restManifestFromEnv(partnerManifest, process.env);
  const app = await buildServer(manifest);
  await runUntilSignalled(app, manifest.server);
});
