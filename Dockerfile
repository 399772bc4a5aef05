# syntax=docker/dockerfile:1
# The gossipchain node image (docs/design.md §13). `docker compose up` builds it from docker-compose.yml and runs
# one container per config/node-N.json. test/compose-config.test.ts checks this file, test/compose-netns.test.ts
# runs the same entry point and configs in network namespaces, and `npm run test:compose` builds it with
# podman (on a base image made by deploy/podman/base-image.sh where none can be pulled) and runs the network.

# ---- build: compile TypeScript with the dev dependencies, then drop them ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# npm's "new version available" notice says nothing about this build.
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
# Lock files first: the dependency layer stays cached while only src/ changes.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY bin ./bin
COPY src ./src
# bin/build.js: esbuild transpiles src/ to dist/ and stamps it with a hash of src/.
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

# ---- runtime ----
# Node >= 20.19 (package.json engines): the 20 line's current release.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY config ./config
# Block store, libp2p key (a stable peer id) and snapshots (docs/design.md §5, §6). A fresh named volume copies
# this directory's owner, so the non-root user can write to it.
RUN mkdir -p /data && chown node:node /data
ENV GOSSIPCHAIN_DATA_DIR=/data
VOLUME ["/data"]
# `node` (uid 1000) comes with the base image; the app files stay root-owned and read-only to it.
USER node
# Defaults of a bare `start`: facade 8000, p2p 9000. A standalone container also needs
# `--http-host 0.0.0.0` (the default facade host is 127.0.0.1, docs/design.md §7) or a config that sets it.
EXPOSE 8000 9000
# /health answers as soon as the facade is up. The slim image has no curl: node's own fetch asks.
# Compose overrides the test per service with the port from that service's config file.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GOSSIPCHAIN_HTTP_PORT || 8000) + '/health', { signal: AbortSignal.timeout(4000) }).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and gets SIGTERM from `docker stop` itself (cli-start stops the node cleanly).
ENTRYPOINT ["node", "bin/gossipchain.js"]
CMD ["start"]
