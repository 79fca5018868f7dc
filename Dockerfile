# syntax=docker/dockerfile:1
# Build: docker build -t catalog-service .
# Run:   docker run -e DATABASE_URL=postgres://… -e ADMIN_TOKEN=… -e GATEWAY_TOKEN=… -e OPENIM_WEBHOOK_SECRET=… -p 8080:8080 catalog-service

FROM swift:6.2-bookworm AS build
WORKDIR /build
RUN apt-get update && apt-get install -y --no-install-recommends zlib1g-dev libssl-dev && rm -rf /var/lib/apt/lists/*
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product catalog-service --static-swift-stdlib \
    && mkdir /staging \
    && cp "$(swift build -c release --show-bin-path)/catalog-service" /staging/ \
    && cp -R "$(swift build -c release --show-bin-path)"/*.resources /staging/ 2>/dev/null || true
COPY Seed /staging/Seed

FROM debian:bookworm-slim AS run
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates zlib1g libssl3 tzdata curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin catalog
WORKDIR /app
COPY --from=build --chown=catalog:catalog /staging /app
USER catalog
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
ENTRYPOINT ["/app/catalog-service"]
CMD ["serve"]
