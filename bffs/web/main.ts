/** Entry point of the web BFF: reads the environment once, listens, shuts down gracefully; `--print-config` prints the effective configuration instead. */
// First: in production, the modules below load without source maps (production-source-maps.ts).
import '../../shared/production-source-maps';
import { graphqlManifestFromEnv } from '../../shared/config/graphql-env';
import { printConfigRequested, printedConfig } from '../../shared/config/print-config';
import { runMain, workersFromEnv } from '../../shared/config/server-env';
import { runWorkers } from '../../shared/cluster';
import { runUntilSignalled } from '../../shared/lifecycle';
import { webManifest } from './manifest';
import { buildServer } from './server';

void runMain(async () => {
  const manifest = graphqlManifestFromEnv(webManifest, process.env);
  if (printConfigRequested(process.argv)) {
    process.stdout.write(printedConfig(manifest));
    return;
  }
  // Configuration is checked once, in the primary, before any worker starts.
  await runWorkers(workersFromEnv(process.env), async () => {
    const app = await buildServer(manifest);
    await runUntilSignalled(app, manifest.server);
  });
});
