# syntax=docker/dockerfile:1
#
# One image for every Switchyard app. The command picks the app; the default is the gateway:
#
#   docker build -t switchyard .
#   docker run -p 8080:8080 -e DATABASE_URL=... -e REDIS_URL=... switchyard
#   docker run -e REDIS_URL=... -e HEALTH_PORT=8081 switchyard node apps/embedder/dist/index.js
#   docker run -e DATABASE_URL=... switchyard node libs/db/dist/migrate-cli.js
#
# Apps: apps/gateway, apps/detector-worker, apps/embedder, apps/generator, apps/deployer
# (each runs as `node apps/<app>/dist/index.js`). In Kubernetes, override `args`, never `command`:
# `command` replaces the ENTRYPOINT and with it tini.
#
# GPU image. onnxruntime-node ships its CPU runtime inside the npm package; the CUDA execution
# provider (libonnxruntime_providers_cuda.so and friends) is downloaded by its install script, which
# the normal build skips. The provider in turn needs the CUDA 12 runtime and cuDNN 9 libraries,
# which come from an NVIDIA CUDA base image (the host only provides the driver):
#
#   docker build -t switchyard:gpu \
#     --build-arg ONNXRUNTIME_NODE_INSTALL=cuda12 \
#     --build-arg RUNTIME_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04 .
#
# and run the model workers with MODEL_EXECUTION_PROVIDERS=cuda,cpu on a GPU (linux/amd64 only:
# onnxruntime-node publishes no CUDA provider for arm64).

ARG NODE_IMAGE=node:24-bookworm-slim
# The image the runtime stage starts from; the node binary is copied into it from the build stage.
ARG RUNTIME_IMAGE=${NODE_IMAGE}

# Every workspace's package.json and nothing else, so that the dependency layer below is rebuilt
# only when a manifest changes, not on every source edit.
FROM ${NODE_IMAGE} AS manifests
WORKDIR /src
COPY apps apps
COPY libs libs
RUN find apps libs -mindepth 2 -maxdepth 2 ! -name package.json -exec rm -rf {} +

FROM ${NODE_IMAGE} AS build
RUN apt-get update \
  && apt-get install -y --no-install-recommends tini \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
ENV NX_DAEMON=false NX_NO_CLOUD=true CHECKPOINT_DISABLE=1
COPY package.json package-lock.json .npmrc prisma.config.ts ./
COPY scripts scripts
COPY prisma prisma
COPY --from=manifests /src ./
# npm install (with the onnxruntime-node download skipped) and the Prisma client.
RUN --mount=type=cache,target=/root/.npm node scripts/setup.mjs
# `skip` for the CPU image; `cuda12` fetches the CUDA execution provider (see the top of this file).
ARG ONNXRUNTIME_NODE_INSTALL=skip
RUN if [ "$ONNXRUNTIME_NODE_INSTALL" != "skip" ]; then node node_modules/onnxruntime-node/script/install.js; fi
COPY . .
RUN node_modules/.bin/nx run-many -t build --output-style=stream-without-prefixes

# Runtime dependencies only: build tools, test tools and the model generator stay behind.
FROM build AS runtime-modules
RUN npm prune --omit=dev --no-audit --no-fund

# The workspaces as the runtime needs them: package.json (the node_modules symlinks resolve
# `main` through it) and dist (the gateway's includes dist/web, the built /verify page it serves).
FROM build AS app-files
RUN find apps libs -mindepth 2 -maxdepth 2 ! -name package.json ! -name dist -exec rm -rf {} +

FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=build /usr/local/bin/node /usr/local/bin/node
# tini as PID 1 forwards SIGTERM to node (which then drains: workers finish their active jobs)
# and reaps zombies. The static build runs on any base image.
COPY --from=build /usr/bin/tini-static /usr/bin/tini
WORKDIR /app
ENV NODE_ENV=production \
    MODEL_CACHE_DIR=/var/cache/switchyard/models
COPY --from=build /app/package.json ./
COPY --from=runtime-modules /app/node_modules node_modules
COPY --from=build /app/prisma/migrations prisma/migrations
COPY --from=app-files /app/apps apps
COPY --from=app-files /app/libs libs
# The code stays owned by root (read-only to the app). The model cache is the one place the app
# writes; a fresh named volume mounted there inherits this ownership.
RUN mkdir -p /var/cache/switchyard/models /models \
  && chown -R 1000:1000 /var/cache/switchyard
# Numeric, so that Kubernetes' runAsNonRoot can verify it.
USER 1000:1000
EXPOSE 8080 8081
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "apps/gateway/dist/index.js"]
