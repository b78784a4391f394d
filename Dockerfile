# One image pattern for every vnflab stage: `docker build --build-arg STAGE=nic -t vnflab/nic .`
# Multi-stage: build with dev dependencies, ship dist + production dependencies only, as the
# non-root `node` user, with a healthcheck on the heartbeat file it touches while ready. Without a
# registry, use infra/docker/build-offline.sh instead (same layout, local base image).
ARG NODE_IMAGE=node:24.22.3-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json tsconfig.base.json ./
COPY packages/ packages/
COPY services/ services/
RUN npm ci --ignore-scripts --no-audit --no-fund && npx tsc -b packages/* services/* \
 && npm prune --omit=dev --ignore-scripts \
 && find packages services -name src -prune -o -name test -prune -o -name '*.tsbuildinfo' -print | xargs rm -f \
 && rm -rf packages/*/src services/*/src packages/*/test services/*/test

FROM ${NODE_IMAGE}
ARG STAGE
ARG VERSION=0.1.0
LABEL vnflab.stage="${STAGE}" vnflab.variant="default" org.opencontainers.image.version="${VERSION}" org.opencontainers.image.title="vnflab ${STAGE}"
ENV NODE_ENV=production VNFLAB_STAGE=${STAGE} VNFLAB_PORT=8080 VNFLAB_HEARTBEAT_FILE=/tmp/vnflab-heartbeat
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/packages ./packages
COPY --from=build /src/services ./services
COPY chains ./chains
USER node
EXPOSE 8080
# the process touches the heartbeat file every second while ready; the check is its age, in the
# shell (find, grep), not a Node start per check; every 5 s, as each check is a docker exec
# (scripts/heartbeat-check.js, HEALTHCHECK_CMD and HEALTHCHECK_INTERVAL_S)
HEALTHCHECK --interval=5s --timeout=2s --start-period=5s --retries=12 \
  CMD find /tmp/vnflab-heartbeat -mmin -0.1 | grep -q .
# --single-threaded-gc: a collection does not wait for helper threads that wait for a core (the
# reason is in packages/runtime/src/service/service-child.ts, STAGE_NODE_FLAGS)
ENTRYPOINT ["node", "--single-threaded-gc", "packages/cli/bin/vnflab.js", "serve"]
