# pushgate: the GitHub App as a small image. Build: docker build -t pushgate .
# Stage 1 compiles the release binary; stage 2 carries only the binary and CA certificates.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin pushgate

FROM debian:bookworm-slim
# ca-certificates is left unpinned on purpose: it must follow Debian's updates (the trust
# store), and the base image's tag already fixes the release.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --create-home pushgate
COPY --from=build /src/target/release/pushgate /usr/local/bin/pushgate
USER 10001
WORKDIR /data
ENV PUSHGATE_LISTEN=0.0.0.0:3000 \
    DATABASE_URL=sqlite:///data/pushgate.db \
    PUSHGATE_LOG_FORMAT=json
EXPOSE 3000
VOLUME ["/data"]
ENTRYPOINT ["pushgate"]
CMD ["serve"]
