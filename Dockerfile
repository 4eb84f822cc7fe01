# syntax=docker/dockerfile:1
# Build stage: installs everything (dev dependencies included) and compiles the server, the CLI and
# the workflow bundle into dist/ (scripts/build.ts).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/package.json
COPY packages/testing/package.json packages/testing/package.json
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
COPY . .
RUN npx tsx scripts/build.ts

# Runtime stage: dist/, the launcher and production dependencies only; no TypeScript, no tsx, no vitest.
# test/install.test.ts carries this stage out in a folder (COPY, ENV, RUN, USER as uid 1000) and boots
# the CMD and the compose file's worker command from it with node.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# The workspaces (packages/sdk, packages/testing) build the plugin packages; the server imports neither.
# Kept, they would make the kit's peer vitest a production dependency, and vite's optional peer tsx
# with it (npm ci --omit=dev keeps a package that is both dev and optional). Without them, npm ci
# prunes the lock to the production tree.
RUN npm pkg delete workspaces
# npm's cache lives in a BuildKit cache mount, out of the image's layers and kept between builds.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --no-audit --no-fund
COPY --from=build /src/dist dist
COPY bin bin
COPY templates templates
# The one place the server writes: a first start's admin token (DATA_DIR/admin-token, when stdout is
# not a terminal). /app is root's; the node user's home is its own.
ENV DATA_DIR=/home/node/.trackbridge
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The command (api or worker) comes from docker-compose.yml.
CMD ["node", "bin/trackbridge.js", "api"]
