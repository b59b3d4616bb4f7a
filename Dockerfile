# Portico's container images, one build target each:
#
#   bff       the web, mobile and partner BFFs; the container's command picks which
#             (docker-compose.yml and deploy/kubernetes/ give each its own, as `npm start` runs it)
#   upstream  the demo upstream services and the demo authorization server
#
# Both run as an unprivileged user (uid 1000) on production dependencies only, and neither
# writes outside /tmp (tsx caches compiled files there) and the dev keys folder, so they run
# with a read-only root filesystem. No registry is named here: `npm ci` uses whichever the
# build's npm is configured with.
#
#   docker build --target bff -t portico-bff .
#   docker build --target upstream -t portico-upstream .

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS production-dependencies
WORKDIR /app
COPY package.json package-lock.json ./
# tsx is a production dependency: Portico runs its TypeScript through tsx's CommonJS hook
# (shared/node-runtime.ts). No install scripts: none of the production dependencies needs
# one (package.json's allowScripts says the same for the development install).
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
COPY --from=production-dependencies /app/node_modules ./node_modules
COPY package.json ./
COPY shared ./shared
# The dev keys folder belongs to the runtime user, so the volume docker-compose.yml mounts
# here starts writable for its one-shot dev-keys service and read-only for everyone else.
RUN mkdir -p .portico/dev-keys && chown 1000:1000 .portico/dev-keys
# Numeric, so Kubernetes' runAsNonRoot can verify it without a passwd lookup.
USER 1000:1000

FROM runtime AS upstream
# The demo services import nothing of bffs/.
COPY supergraph ./supergraph
EXPOSE 4101 4102 4103 4104 4105 4106
CMD ["node", "--require", "tsx/cjs", "supergraph/subgraphs/main.ts"]

FROM runtime AS bff
# bffs/ imports the committed supergraph, its contracts and the demo catalogue from supergraph/.
COPY supergraph ./supergraph
COPY bffs ./bffs
EXPOSE 4000 4001 4002
CMD ["node", "--max-semi-space-size=48", "--heap-growing-percent=50", "--require", "tsx/cjs", "bffs/web/main.ts"]
