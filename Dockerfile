# itgrix container image: one image for the app and the workers (docker-compose.yml picks the command).
#   docker build -t itgrix:0.1.0 .
# Build stage: every dependency, then the TypeScript compiled to dist/ and the dev dependencies pruned.
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.sh scripts/hooks.ts scripts/hooksReplay.ts scripts/
COPY core core
COPY app app
COPY workers workers
COPY emulator emulator
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Runtime stage: Node, the compiled code and the production dependencies; no compiler, no sources.
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    ITGRIX_CONFIG=/etc/itgrix/itgrix.json
WORKDIR /opt/itgrix
COPY --from=build /src/package.json ./package.json
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY config/itgrix.example.json /etc/itgrix/itgrix.json
# The app's outbox for Redis outages (redis.outboxFile) is its one writable place; a volume keeps it.
RUN mkdir -p /var/lib/itgrix && chown node:node /var/lib/itgrix
# The unprivileged user of the node image (uid 1000); the code and the config stay root-owned.
USER node
EXPOSE 8077
CMD ["node", "--enable-source-maps", "dist/app/main.js"]
