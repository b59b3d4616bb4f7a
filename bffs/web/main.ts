/** Entry point of the web BFF: reads the environment once, listens, shuts down gracefully. */
import { graphqlManifestFromEnv } from '../../shared/config/graphql-env';
import { runMain } from '../../shared/config/server-env';
import { runUntilSignalled } from '../../shared/lifecycle';
import { webManifest } from './manifest';
import { buildServer } from './server';

void runMain(async () => {
  const manifest = graphqlManifestFromEnv(webManifest, process.env);
  const app = await buildServer(manifest);
  await runUntilSignalled(app, manifest.server);
});
