# syntax=docker/dockerfile:1
# Build: docker build -t catalog-service .
# Run:   docker run -e DATABASE_URL=postgres://… -e ADMIN_TOKEN=… -e GATEWAY_TOKEN=… -e OPENIM_WEBHOOK_SECRET=… -p 8080:8080 catalog-service
# (README has a compose file with PostgreSQL.) Checked by scripts/lint-dockerfile in scripts/test.

FROM swift:6.3-bookworm AS build
WORKDIR /build
RUN apt-get update \
    && apt-get install -y --no-install-recommends zlib1g-dev libssl-dev libwebp-dev libpng-dev libgif-dev libvpx-dev libdeflate-dev \
    && rm -rf /var/lib/apt/lists/*
# Dependencies first, so a source change does not refetch them.
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product catalog-service --static-swift-stdlib
# The binary and its resource bundles (the SQL migrations), without the build tree.
RUN mkdir /staging \
    && BIN="$(swift build -c release --show-bin-path)" \
    && cp "$BIN/catalog-service" /staging/ \
    && find "$BIN" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/ \;
COPY Seed /staging/Seed

FROM debian:bookworm-slim AS run
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates zlib1g libssl3 tzdata curl libwebp7 libwebpdemux2 libpng16-16 libgif7 libvpx7 libdeflate0 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 catalog \
    && useradd --system --uid 10001 --gid 10001 --home-dir /app --shell /usr/sbin/nologin catalog
WORKDIR /app
COPY --from=build --chown=10001:10001 /staging /app
USER 10001:10001
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["curl", "-fsS", "--max-time", "2", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["/app/catalog-service"]
CMD ["serve"]
