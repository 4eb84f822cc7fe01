FROM node:20-bookworm-slim
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY . .
ENV NODE_ENV=production
# The command (api or worker) comes from docker-compose.yml.
CMD ["npx", "tsx", "scripts/api.ts"]
