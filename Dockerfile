# A Safeguards node. Build: docker build -t safeguards .   Run: see docker-compose.yml.
FROM swift:6.1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
COPY Benchmarks ./Benchmarks
RUN swift build -c release --product safeguards --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libsqlite3-0 ca-certificates \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/.build/release/safeguards /usr/local/bin/safeguards
COPY Certs ./Certs
VOLUME /data
ENTRYPOINT ["safeguards"]
CMD ["node", "run"]
