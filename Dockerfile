# The case engine (worker + API in one process). Used by docker-compose.yml.
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
# patches/ first: npm ci's postinstall applies them (patch-package).
COPY patches ./patches
RUN npm ci --no-audit --no-fund
COPY . .
RUN bash scripts/prisma generate && node_modules/.bin/tsc -p .
EXPOSE 3000
# Applies migrations, registers search attributes, then runs the worker and the API.
CMD ["node_modules/.bin/tsx", "scripts/system.ts"]
