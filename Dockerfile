# Build stage: installs everything (dev dependencies included) and compiles the server, the CLI and
# the workflow bundle into dist/ (scripts/build.ts).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/package.json
COPY packages/testing/package.json packages/testing/package.json
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsx scripts/build.ts

# Runtime stage: dist/, the launcher and production dependencies only; no TypeScript, no tsx.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY packages/sdk/package.json packages/sdk/package.json
COPY packages/testing/package.json packages/testing/package.json
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /src/dist dist
COPY bin bin
COPY templates templates
USER node
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# The command (api or worker) comes from docker-compose.yml.
CMD ["node", "bin/trackbridge.js", "api"]
