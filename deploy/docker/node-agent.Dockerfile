# syntax=docker/dockerfile:1
# Shoal node-agent: runs tasks in tmux windows, each in its own resource group. Build from the
# repository root:
#   docker build -f deploy/docker/node-agent.Dockerfile --target node-agent -t shoal/node-agent:0.1.0 .
# With the agent CLIs (pinned in scripts/agents-capture/versions.mjs; `npm run images -- --agent-clis`):
#   docker build -f deploy/docker/node-agent.Dockerfile --target node-agent-clis \
#     --build-arg AGENT_CLIS="@anthropic-ai/claude-code@2.1.332 ..." -t shoal/node-agent:0.1.0-agents .

# --- build: every dependency, TypeScript build, then dev dependencies pruned ---
FROM node:20.20.0-bookworm-slim AS build
WORKDIR /src
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

# --- runtime: tmux, procps (ps/pkill), git (worktrees), util-linux (setpriv, nsenter) ---
FROM node:20.20.0-bookworm-slim AS node-agent-base
# LANG: tmux needs a UTF-8 locale, else it prints the tabs of Shoal's list formats as `_` and the
# node-agent fails at start ("Cannot read properties of undefined (reading 'startsWith')"); the
# node image sets no LANG. C.UTF-8 ships with Debian's libc.
ENV NODE_ENV=production LANG=C.UTF-8
WORKDIR /app
RUN apt-get update \
 && apt-get install -y --no-install-recommends tmux procps git util-linux ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --no-create-home --shell /usr/sbin/nologin shoal-agent \
 && printf '#!/bin/sh\nexec node /app/apps/cli/dist/main.js "$@"\n' > /usr/local/bin/shoal && chmod 0755 /usr/local/bin/shoal
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules node_modules
COPY --from=build /src/libs/protocol/package.json libs/protocol/
COPY --from=build /src/libs/protocol/dist libs/protocol/dist
COPY --from=build /src/libs/runtime/package.json libs/runtime/
COPY --from=build /src/libs/runtime/dist libs/runtime/dist
COPY --from=build /src/libs/scheduler/package.json libs/scheduler/
COPY --from=build /src/libs/scheduler/dist libs/scheduler/dist
COPY --from=build /src/apps/node-agent/dist apps/node-agent/dist
COPY --from=build /src/apps/cli/dist apps/cli/dist
# root on purpose: the node-agent creates resource groups in the host's cgroup filesystem and drops
# each agent to its own uid (SHOAL_RUN_AS=shoal-agent, setpriv); the agents never run as root
# (docs/security.md "Agents run unprivileged").
USER root
CMD ["node", "apps/node-agent/dist/main.js"]

# --- optional layer: the agent CLIs, pinned (AGENT_CLIS="pkg@version ..."); empty installs none ---
FROM node-agent-base AS node-agent-clis
ARG AGENT_CLIS=""
RUN if [ -n "$AGENT_CLIS" ]; then npm install -g --no-audit --no-fund $AGENT_CLIS && npm cache clean --force; \
    else echo "AGENT_CLIS is empty: no agent CLI installed"; fi

# --- default target: the node-agent without agent CLIs ---
FROM node-agent-base AS node-agent
