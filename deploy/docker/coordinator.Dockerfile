# syntax=docker/dockerfile:1
# Shoal coordinator: the API, the dispatcher and the dashboard. Build from the repository root:
#   docker build -f deploy/docker/coordinator.Dockerfile --target coordinator -t shoal/coordinator:0.1.0 .
# or `npm run images` (docs/deploy.md). Runs as uid 10001, as deploy/k8s expects.

# --- build: every dependency, TypeScript build, dashboard bundle, then dev dependencies pruned ---
FROM node:20.20.0-bookworm-slim AS build
WORKDIR /src
# The lockfile and the workspaces' package.json first: this layer is reused until they change.
COPY package.json package-lock.json ./
COPY libs/protocol/package.json libs/protocol/
COPY libs/runtime/package.json libs/runtime/
COPY libs/scheduler/package.json libs/scheduler/
COPY libs/testing/package.json libs/testing/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.build.json tsconfig.json ./
COPY libs libs
COPY apps apps
COPY scripts/build-dashboard.mjs scripts/build-dashboard.mjs
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# --- runtime: node, the built apps and production dependencies only ---
FROM node:20.20.0-bookworm-slim AS coordinator
ENV NODE_ENV=production HOST=0.0.0.0 PORT=8080
WORKDIR /app
RUN groupadd --gid 10001 shoal && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin shoal \
 && printf '#!/bin/sh\nexec node /app/apps/cli/dist/main.js "$@"\n' > /usr/local/bin/shoal && chmod 0755 /usr/local/bin/shoal
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/libs/protocol/package.json libs/protocol/
COPY --from=build /src/libs/protocol/dist libs/protocol/dist
COPY --from=build /src/libs/runtime/package.json libs/runtime/
COPY --from=build /src/libs/runtime/dist libs/runtime/dist
COPY --from=build /src/libs/scheduler/package.json libs/scheduler/
COPY --from=build /src/libs/scheduler/dist libs/scheduler/dist
COPY --from=build /src/apps/coordinator/dist apps/coordinator/dist
COPY --from=build /src/apps/dashboard/dist apps/dashboard/dist
COPY --from=build /src/apps/cli/dist apps/cli/dist
USER 10001:10001
EXPOSE 8080
CMD ["node", "apps/coordinator/dist/main.js"]
