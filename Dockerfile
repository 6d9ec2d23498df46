# ai-trading-retraining: the whole system (`retrain start`) in one container.
#   docker build -t ai-trading-retraining .
#   docker run -p 8787:8787 -v retraining-data:/data \
#     -e RETRAINING_ADMIN_KEY=$(openssl rand -hex 24) -e RETRAINING_READ_KEY=$(openssl rand -hex 24) \
#     ai-trading-retraining
# Without DATABASE_URL it keeps the embedded database in the /data volume; with it, a PostgreSQL
# server (or Supabase). It listens on 0.0.0.0 inside the container, so the keys are required.

FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY dashboard ./dashboard
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8787 \
    RETRAINING_DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: the runtime needs none (TensorFlow.js's WebAssembly files ship in its package).
RUN npm ci --omit=dev --no-audit --no-fund --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8787
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8787)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/retrain.js", "start"]
