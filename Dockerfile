# One image for every service; docker-compose picks the entry point per service.
# Build: install everything, generate the Prisma clients (offline), compile, compose.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# npm install rather than ci: see scripts/prepare.mjs (npm/cli#4828).
RUN npm install --no-audit --no-fund
COPY tsconfig.json supergraph.yaml ./
COPY scripts ./scripts
COPY platform ./platform
COPY gateway ./gateway
COPY subgraphs ./subgraphs
COPY prisma ./prisma
COPY tests ./tests
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# Run: production dependencies, compiled code, and the files services read at run time
# (GraphQL schemas, migrations, seed data, the composed supergraph).
FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production HOST=0.0.0.0
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/supergraph.graphql ./
COPY --from=build /app/prisma ./prisma
COPY --from=build /app/subgraphs/users/schema.graphql ./subgraphs/users/
COPY --from=build /app/subgraphs/inventory/schema.graphql ./subgraphs/inventory/
COPY --from=build /app/subgraphs/orders/schema.graphql ./subgraphs/orders/
COPY --from=build /app/subgraphs/notifications/schema.graphql ./subgraphs/notifications/
USER node
# The service ports, then the metrics port (<NAME>_METRICS_PORT, 9464 in docker-compose.yml).
EXPOSE 4000 4001 4002 4003 4004 9464
CMD ["node", "dist/gateway/index.js"]
