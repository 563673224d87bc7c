# A Safeguards node as a container image.
#
#   docker build -t safeguards .
#   docker run -d -p 127.0.0.1:8080:8080 -v safeguards_data:/data -e SAFEGUARDS_API_TOKEN=... safeguards
#
# The build stage compiles the `safeguards` product; the runtime stage holds that binary, the
# SQLite library it links and a default config, and nothing else: no sources, no toolchain, no
# certificates or keys (mount them, as docker-compose.yml does with Certs/). The node runs as an
# unprivileged user (uid 10001) and keeps its state in the /data volume.

FROM swift:6.1-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# SAFEGUARDS_NODE_ONLY leaves the test and benchmark targets out of the manifest, so the build
# needs only the manifest and the sources.
COPY Package.swift ./
COPY Sources ./Sources
RUN SAFEGUARDS_NODE_ONLY=1 swift build -c release --product safeguards --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libsqlite3-0 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 safeguards \
    && useradd --system --uid 10001 --gid 10001 --home-dir /data --no-create-home \
        --shell /usr/sbin/nologin safeguards \
    && install -d -o 10001 -g 10001 -m 0700 /data \
    && install -d -m 0755 /etc/safeguards /app \
    && printf 'system_id: local\ndata_dir: /data\napi:\n  listen: 0.0.0.0:8080\n' > /etc/safeguards/node.yaml
COPY --from=build /src/.build/release/safeguards /usr/local/bin/safeguards
# Relative paths in a config (certificates, keys) are resolved from here.
WORKDIR /app
# A named volume starts as a copy of this folder, owned by the node's user.
VOLUME /data
USER 10001:10001
EXPOSE 8080
# The node writes its API address into /data once it listens; `node health` reads it from there.
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
    CMD ["safeguards", "node", "health", "--data-dir", "/data"]
# SIGTERM stops the node gracefully: requests in flight finish for at most api.shutdown_grace (5 s).
STOPSIGNAL SIGTERM
ENTRYPOINT ["safeguards"]
CMD ["node", "run", "--config", "/etc/safeguards/node.yaml"]
